import { StringDecoder } from 'node:string_decoder';
import type { LogBatch, LogLine } from '../protocol/commands.js';
import type { Docker } from './client.js';
import { PayloadDecoder } from './demux.js';

export interface LogOptions {
  /** Lines from the end of the log to start with. */
  readonly tail: number;
  /** Keep going with new lines until aborted. */
  readonly follow: boolean;
  readonly signal?: AbortSignal;
}

/**
 * The container's log as batches of lines, with stdout and stderr told apart (a container with a
 * TTY has only one stream, reported as stdout). Each batch holds the lines completed by one read
 * of Docker's response, which holds everything that arrived since the last read: one line for a
 * quiet container (no waiting for more), hundreds in a burst. Ends when the log ends
 * (`follow: false`), when the container stops, or quietly when `signal` aborts.
 */
export async function* followLogs(docker: Docker, containerId: string, options: LogOptions): AsyncGenerator<LogBatch> {
  const container = docker.getContainer(containerId);
  const { Config } = await container.inspect();
  if (options.signal?.aborted) return;
  const raw = await container.logs({
    follow: options.follow,
    stdout: true,
    stderr: true,
    timestamps: true,
    tail: options.tail,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const parser = new LogParser({ multiplexed: !Config.Tty });
  const stop = () => raw.destroy();
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    for await (const chunk of raw as AsyncIterable<Buffer>) {
      const lines = parser.push(chunk);
      if (lines.length > 0) yield { lines };
    }
    const rest = parser.flush();
    if (rest.length > 0) yield { lines: rest };
  } catch (error) {
    if (!options.signal?.aborted) throw error;
  } finally {
    options.signal?.removeEventListener('abort', stop);
    stop();
  }
}

const NEWLINE = 0x0a;
const STREAMS = ['stdout', 'stderr'] as const;

/**
 * Cuts `docker logs --timestamps` output into lines: demultiplexes the frames of a container
 * without a TTY (or takes the bytes as stdout for one with a TTY), keeps a line or a character
 * split over frames or reads (a frame split between reads comes in two pieces) until its end
 * arrives, and splits off Docker's timestamp. Docker writes one frame per log line, so this runs
 * once per line of a burst and allocates little besides the strings it returns.
 */
export class LogParser {
  readonly #frames: PayloadDecoder | undefined;
  readonly #decoders = [new StringDecoder('utf8'), new StringDecoder('utf8')];
  /** Text after the last newline of each stream. */
  readonly #partial = ['', ''];
  /** True while a stream's decoder may hold the first bytes of a split character. */
  readonly #carry = [false, false];

  constructor(options: { readonly multiplexed: boolean }) {
    this.#frames = options.multiplexed ? new PayloadDecoder() : undefined;
  }

  /** The lines that `chunk` completes, in order. */
  push(chunk: Buffer): LogLine[] {
    const lines: LogLine[] = [];
    if (this.#frames) this.#frames.forEach(chunk, (stream, bytes, start, end) => this.#take(stream === 'stderr' ? 1 : 0, bytes, start, end, lines));
    else this.#take(0, chunk, 0, chunk.length, lines);
    return lines;
  }

  /** What is left without a final newline, as lines (the log ended). */
  flush(): LogLine[] {
    const lines: LogLine[] = [];
    for (const index of [0, 1] as const) {
      const rest = this.#partial[index] + this.#decoders[index]!.end();
      this.#partial[index] = '';
      this.#carry[index] = false;
      if (rest.length > 0) lines.push(toLogLine(STREAMS[index], rest));
    }
    return lines;
  }

  #take(index: 0 | 1, bytes: Buffer, start: number, end: number, lines: LogLine[]): void {
    if (end === start) return;
    const endsLine = bytes[end - 1] === NEWLINE;
    // A payload that ends a line cannot end inside a character; unless the decoder still holds
    // part of one from before, it decodes directly without a Buffer view for the decoder.
    const text = endsLine && !this.#carry[index] ? bytes.toString('utf8', start, end) : this.#decoders[index]!.write(bytes.subarray(start, end));
    this.#carry[index] = !endsLine;
    const stream = STREAMS[index];
    let pending = this.#partial[index]!;
    let from = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', from)) {
      lines.push(toLogLine(stream, pending === '' ? text.slice(from, newline) : pending + text.slice(from, newline)));
      pending = '';
      from = newline + 1;
    }
    this.#partial[index] = from === 0 ? pending + text : text.slice(from);
  }
}

/**
 * Splits off the RFC 3339 timestamp Docker puts before each line (`2024-05-01T10:00:00.123456789Z `),
 * checked by its fixed separators rather than a pattern, since this runs for every line.
 */
function toLogLine(stream: 'stdout' | 'stderr', line: string): LogLine {
  const end = line.charCodeAt(line.length - 1) === 13 ? line.length - 1 : line.length;
  if (looksTimestamped(line)) {
    const space = line.indexOf(' ', 19);
    if (space === -1) return { stream, time: line.slice(0, end), text: '' };
    return { stream, time: line.slice(0, space), text: line.slice(space + 1, end) };
  }
  return { stream, time: new Date().toISOString(), text: line.slice(0, end) };
}

const TIMESTAMP_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18] as const;

/** `dddd-dd-ddTdd:dd:dd` at the start of the line. */
function looksTimestamped(line: string): boolean {
  if (line.length < 20) return false;
  if (line.charCodeAt(4) !== 45 || line.charCodeAt(7) !== 45 || line.charCodeAt(10) !== 84 || line.charCodeAt(13) !== 58 || line.charCodeAt(16) !== 58) return false;
  for (const at of TIMESTAMP_DIGITS) {
    const code = line.charCodeAt(at);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

/** The last `count` lines of the log as text, for error messages (callers redact secrets). */
export async function lastLogLines(docker: Docker, containerId: string, count: number): Promise<string[]> {
  const lines: string[] = [];
  try {
    for await (const batch of followLogs(docker, containerId, { tail: count, follow: false })) for (const line of batch.lines) lines.push(line.text);
  } catch {
    // Logs are a courtesy in an error message; their absence must not hide the real error.
  }
  return lines.slice(-count);
}
