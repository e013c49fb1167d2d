import type { LogBatch, LogLine } from '@krint/agent';
import { InvalidInputError } from '@krint/engine-sdk';
import { handleFor, type ServiceDeps } from '../services/context.js';

export const MAX_LOG_TAIL = 10_000;

/**
 * An event never grows past this many lines by joining batches that are ready together (a single
 * batch from the agent is passed on whole: it is one read of the log, already bounded).
 */
export const MAX_LOG_EVENT_LINES = 5_000;

/**
 * The container log as events of lines: the last `tail` lines, then every new line until the
 * subscriber leaves (returning from the generator aborts the agent's stream).
 *
 * An event carries whatever has arrived since the previous one was taken, and nothing waits for
 * more: a quiet container's line goes out alone at once, while in a burst the agent's batches (one
 * per read of the Docker log) and any batches already waiting behind them (a node hands over
 * several per round trip) go out together, so the cost of a GraphQL execution, a message and a
 * socket write is paid per burst rather than per line.
 */
export async function* followLogs(deps: ServiceDeps, instanceId: string, tail: number): AsyncGenerator<readonly LogLine[]> {
  if (!Number.isInteger(tail) || tail < 0 || tail > MAX_LOG_TAIL) throw new InvalidInputError(`tail must be from 0 to ${MAX_LOG_TAIL}.`, 'tail');
  const handle = await handleFor(deps, instanceId);
  // Aborting ends the agent's stream, which also settles a `next()` still waiting on a quiet log.
  const abort = new AbortController();
  const batches = handle.executor.stream('logs.follow', { containerId: handle.address.containerId, tail, follow: true }, { signal: abort.signal })[Symbol.asyncIterator]();
  let ahead: Promise<IteratorResult<LogBatch>> | undefined;
  try {
    for (;;) {
      const first = await (ahead ?? batches.next());
      ahead = undefined;
      if (first.done) return;
      let lines = first.value.lines;
      // Join what is ready without waiting: a batch that settles within the current turn (already
      // received) joins this event; one still on its way starts the next event.
      while (lines.length < MAX_LOG_EVENT_LINES) {
        ahead = batches.next();
        const next = await readyNow(ahead);
        if (next === NOT_READY) break;
        ahead = undefined;
        if (next.done) {
          if (lines.length > 0) yield lines;
          return;
        }
        lines = lines.concat(next.value.lines);
      }
      if (lines.length > 0) yield lines;
    }
  } finally {
    abort.abort();
    await ahead?.catch(() => undefined);
    await batches.return?.(undefined);
  }
}

const NOT_READY = Symbol('not ready');

/**
 * The promise's result if it settles before the event loop moves on to I/O, or NOT_READY. Batches
 * already received settle within a few microtask hops; a check-phase immediate fires only after
 * all of them, and before any new data is read.
 */
function readyNow<T>(promise: Promise<T>): Promise<T | typeof NOT_READY> {
  return new Promise((resolve, reject) => {
    const timer = setImmediate(() => resolve(NOT_READY));
    promise.then(
      (value) => {
        clearImmediate(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearImmediate(timer);
        reject(error);
      },
    );
  });
}
