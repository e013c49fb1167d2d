import { PassThrough, pipeline, type Duplex } from 'node:stream';
import type { ExecCommand } from '@krint/engine-sdk';
import type { Docker } from './client.js';
import { PayloadDecoder } from './demux.js';
import { InternalError } from '../errors.js';
import { EXEC_MARKER_VARIABLE, newExecMarker, reapExec, watchedArgv } from './exec-reaper.js';

/** stderr kept for the error message of a failed command: the end is where the reason is. */
const STDERR_TAIL_BYTES = 4096;
/** How long to wait for Docker to record the exit code once the output has ended. */
const EXIT_CODE_WAIT_MS = 10_000;
/**
 * Output read ahead of the consumer. A socket alone buffers about 16 KiB, so while a chunk is being
 * encoded and sent on, the command soon blocks on a full pipe; with a few chunks of room it keeps
 * writing. Bounded, so a slow consumer still slows the command down.
 */
const READ_AHEAD_BYTES = 1024 * 1024;
/**
 * Socket reads (up to 64 KiB each) queued on the reading side of the read-ahead, on top of the
 * {@link READ_AHEAD_BYTES} its writing side holds: one, so the read-ahead is the 1 MiB it says.
 */
const READ_AHEAD_CHUNKS = 1;

interface StartedExec {
  readonly stream: Duplex;
  exitCode(): Promise<number | null>;
  /** Ends what is left of the command inside the container; see `exec-reaper.ts`. */
  reap(): Promise<void>;
}

/**
 * How a command's end is guaranteed when its caller leaves (see `exec-reaper.ts`): `watched` runs
 * it under the in-container watchdog that reaps it when the connection ends (its stdin is not
 * used); `input` gives it the connection as stdin and marks it for {@link reapExec}.
 */
type ExecMode = 'watched' | 'input';

async function startExec(docker: Docker, containerId: string, command: ExecCommand, mode: ExecMode): Promise<StartedExec> {
  const marker = newExecMarker();
  const env = Object.entries(command.env ?? {}).map(([key, value]) => `${key}=${value}`);
  const exec = await docker.getContainer(containerId).exec({
    Cmd: mode === 'watched' ? watchedArgv(marker, command.argv) : [...command.argv],
    Env: mode === 'watched' ? env : [...env, `${EXEC_MARKER_VARIABLE}=${marker}`],
    ...(command.user ? { User: command.user } : {}),
    // Always attached: for a watched command, this stdin is what tells the watchdog the caller is gone.
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const stream = await exec.start();
  return { stream, exitCode: () => waitForExitCode(exec), reap: () => reapExec(docker, containerId, marker, command.user) };
}

/** Docker sets the exit code a moment after the output ends; waits for it, bounded in time. */
export async function waitForExitCode(exec: { inspect(): Promise<{ Running: boolean; ExitCode: number | null }> }): Promise<number | null> {
  const deadline = Date.now() + EXIT_CODE_WAIT_MS;
  for (;;) {
    const info = await exec.inspect();
    if (!info.Running) return info.ExitCode;
    if (Date.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Keeps the last bytes written to it. */
class Tail {
  #buffer = Buffer.alloc(0);
  constructor(readonly limit: number) {}
  push(chunk: Buffer): void {
    const joined = Buffer.concat([this.#buffer, chunk]);
    this.#buffer = joined.length > this.limit ? joined.subarray(joined.length - this.limit) : joined;
  }
  get text(): string {
    return this.#buffer.toString('utf8').trim();
  }
}

function describeFailure(command: ExecCommand, exitCode: number | null, stderr: string): string {
  const program = command.argv[0] ?? 'command';
  const status =
    exitCode === null ? 'did not report an exit code' : exitCode === 0 ? 'exited with code 0 but wrote to stderr, so its output is not trusted' : `exited with code ${exitCode}`;
  return `${program} ${status}${stderr ? `: ${stderr}` : '.'}`;
}

/**
 * Runs `command` in the container and yields its stdout in chunks of at most `chunkBytes`, pulling
 * from Docker only as fast as the consumer takes chunks. After the last chunk, a non-zero exit
 * code or any stderr output throws, so a failed dump is never taken for a complete one.
 * Aborting (or leaving the loop) closes the connection, and the command is ended inside the
 * container at once (by the watchdog of `exec-reaper.ts`), not left to run to its end.
 */
export async function* execOutput(docker: Docker, containerId: string, command: ExecCommand, chunkBytes: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
  // Destroying the connection closes the watchdog's stdin, which ends the command in the container.
  const started = await startExec(docker, containerId, command, 'watched');
  const stop = () => started.stream.destroy();
  signal?.addEventListener('abort', stop, { once: true });
  // Payload pieces as they arrive: frames split between reads are not joined, only the chunk is.
  const frames = new PayloadDecoder();
  const stderr = new Tail(STDERR_TAIL_BYTES);
  let sawStderr = false;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  // A socket error reaches the loop below through the read-ahead stream, which pipeline() destroys with it.
  // Object mode on the reading side hands out the socket's chunks one by one instead of joining
  // everything buffered into a new Buffer on every read.
  const readAhead = new PassThrough({ writableHighWaterMark: READ_AHEAD_BYTES, readableObjectMode: true, readableHighWaterMark: READ_AHEAD_CHUNKS });
  pipeline(started.stream, readAhead, () => undefined);
  try {
    for await (const chunk of readAhead as AsyncIterable<Buffer>) {
      for (const frame of frames.push(chunk)) {
        if (frame.stream === 'stderr') {
          sawStderr = true;
          stderr.push(frame.payload);
          continue;
        }
        let payload = frame.payload;
        while (payload.length > 0) {
          const room = chunkBytes - pendingBytes;
          pending.push(payload.subarray(0, room));
          pendingBytes += Math.min(room, payload.length);
          payload = payload.subarray(room);
          if (pendingBytes === chunkBytes) {
            yield joined(pending);
            pending = [];
            pendingBytes = 0;
          }
        }
      }
    }
    if (pendingBytes > 0) yield joined(pending);
    signal?.throwIfAborted();
    const exitCode = await started.exitCode();
    if (exitCode !== 0 || sawStderr) throw new InternalError(describeFailure(command, exitCode, stderr.text || (sawStderr ? 'wrote to stderr' : '')));
  } finally {
    signal?.removeEventListener('abort', stop);
    stop();
  }
}

/** The pieces as one Buffer; a single piece is handed out as it is rather than copied. */
function joined(pieces: readonly Buffer[]): Buffer {
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
}

/**
 * Runs `command` with `input` as its stdin, writing only as fast as Docker accepts, then closes
 * stdin and waits for the command to end. A non-zero exit code throws with the end of stderr.
 * Returns the number of bytes written.
 */
export async function execWithInput(docker: Docker, containerId: string, command: ExecCommand, input: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<{ bytes: number }> {
  const started = await startExec(docker, containerId, command, 'input');
  const { stream } = started;
  let finished = false;
  const stop = () => stream.destroy();
  signal?.addEventListener('abort', stop, { once: true });
  const frames = new PayloadDecoder();
  const output = new Tail(STDERR_TAIL_BYTES);
  // Reading runs beside writing: a command whose output fills the pipe would otherwise block.
  const drained = (async () => {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (const frame of frames.push(chunk)) if (frame.stream === 'stderr') output.push(frame.payload);
    }
  })();
  drained.catch(() => undefined);
  let bytes = 0;
  try {
    for await (const chunk of prefetched(input, signal)) {
      signal?.throwIfAborted();
      bytes += chunk.length;
      if (!stream.write(chunk) && !(await drainOrClose(stream))) {
        throw new InternalError(`${command.argv[0] ?? 'The command'} stopped reading its input after ${bytes} bytes${output.text ? `: ${output.text}` : '.'}`);
      }
    }
    stream.end();
    await drained;
    signal?.throwIfAborted();
    const exitCode = await started.exitCode();
    finished = true;
    if (exitCode !== 0) throw new InternalError(describeFailure(command, exitCode, output.text));
    return { bytes };
  } finally {
    signal?.removeEventListener('abort', stop);
    stop();
    // Closing stdin alone would let the command apply a partial input to its end.
    if (!finished) await started.reap();
  }
}

/**
 * The items of `source`, asking for the next one as soon as one is handed out: reading and decoding
 * the next chunk overlaps with Docker taking the current one. At most one item is held ahead.
 * An abort ends the wait for an item at once: an uploader that went silent must not hold the
 * command (and its cleanup) until it speaks again.
 */
async function* prefetched<T>(source: AsyncIterable<T>, signal?: AbortSignal): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let pending = iterator.next();
  let finished = false;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal?.reason instanceof Error ? signal.reason : new Error('The restore was cancelled.'));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  try {
    for (;;) {
      const current = signal ? await Promise.race([pending, aborted]) : await pending;
      if (current.done) {
        finished = true;
        return;
      }
      pending = iterator.next();
      pending.catch(() => undefined); // surfaces at the next await; never unhandled when the consumer stops first
      yield current.value;
    }
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    // Stopped early: close the source without waiting for an item a slow producer may never send.
    if (!finished) void iterator.return?.()?.catch(() => undefined);
  }
}

/** Waits until the stream takes more data (`true`) or closes (`false`). */
function drainOrClose(stream: Duplex): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (drained: boolean) => {
      stream.off('drain', onDrain);
      stream.off('close', onClose);
      resolve(drained);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    stream.on('drain', onDrain);
    stream.on('close', onClose);
  });
}

/** Runs a short command and returns its stdout; throws like {@link execOutput} on failure. */
export async function execCapture(docker: Docker, containerId: string, command: ExecCommand, signal?: AbortSignal): Promise<string> {
  const parts: Buffer[] = [];
  for await (const chunk of execOutput(docker, containerId, command, 64 * 1024, signal)) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}
