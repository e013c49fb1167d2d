import { StringDecoder } from 'node:string_decoder';
import type { LogLine } from '../protocol/commands.js';
import type { Docker } from './client.js';
import { FrameDecoder } from './demux.js';

export interface LogOptions {
  /** Lines from the end of the log to start with. */
  readonly tail: number;
  /** Keep going with new lines until aborted. */
  readonly follow: boolean;
  readonly signal?: AbortSignal;
}

/**
 * The container's log as lines, with stdout and stderr told apart (a container with a TTY has only
 * one stream, reported as stdout). Ends when the log ends (`follow: false`), when the container
 * stops, or quietly when `signal` aborts.
 */
export async function* followLogs(docker: Docker, containerId: string, options: LogOptions): AsyncGenerator<LogLine> {
  const container = docker.getContainer(containerId);
  const { Config } = await container.inspect();
  if (options.signal?.aborted) return;
  const raw = (await container.logs({
    follow: options.follow as true,
    stdout: true,
    stderr: true,
    timestamps: true,
    tail: options.tail,
    ...(options.signal ? { abortSignal: options.signal } : {}),
  })) as unknown as NodeJS.ReadableStream | Buffer;
  const splitter = new LineSplitter();
  const frames = Config.Tty ? undefined : new FrameDecoder();
  const source: Iterable<Buffer> | AsyncIterable<Buffer | string> = Buffer.isBuffer(raw) ? [raw] : (raw as AsyncIterable<Buffer>);
  const stop = () => {
    if (!Buffer.isBuffer(raw)) (raw as unknown as { destroy?: () => void }).destroy?.();
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const chunk of source) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const parts = frames ? frames.push(buffer) : [{ stream: 'stdout' as const, payload: buffer }];
      for (const part of parts) yield* splitter.push(part.stream, part.payload);
    }
    yield* splitter.flush();
  } catch (error) {
    if (!options.signal?.aborted) throw error;
  } finally {
    options.signal?.removeEventListener('abort', stop);
    stop();
  }
}

/** Cuts each stream into lines; a line split over chunks is kept until its end arrives. */
class LineSplitter {
  readonly #decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  readonly #partial = { stdout: '', stderr: '' };

  *push(stream: 'stdout' | 'stderr', payload: Buffer): Generator<LogLine> {
    const text = this.#partial[stream] + this.#decoders[stream].write(payload);
    const lines = text.split('\n');
    this.#partial[stream] = lines.pop() ?? '';
    for (const line of lines) yield toLogLine(stream, line);
  }

  *flush(): Generator<LogLine> {
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.#partial[stream] + this.#decoders[stream].end();
      this.#partial[stream] = '';
      if (rest.length > 0) yield toLogLine(stream, rest);
    }
  }
}

const TIMESTAMPED = /^(\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d)) ?(.*)$/s;

function toLogLine(stream: 'stdout' | 'stderr', line: string): LogLine {
  const clean = line.endsWith('\r') ? line.slice(0, -1) : line;
  const match = TIMESTAMPED.exec(clean);
  return match ? { stream, time: match[1] ?? '', text: match[2] ?? '' } : { stream, time: new Date().toISOString(), text: clean };
}

/** The last `count` lines of the log as text, for error messages (callers redact secrets). */
export async function lastLogLines(docker: Docker, containerId: string, count: number): Promise<string[]> {
  const lines: string[] = [];
  try {
    for await (const line of followLogs(docker, containerId, { tail: count, follow: false })) lines.push(line.text);
  } catch {
    // Logs are a courtesy in an error message; their absence must not hide the real error.
  }
  return lines.slice(-count);
}
