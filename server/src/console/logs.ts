import type { LogBatch, LogLine } from '@krint/agent';
import { InvalidInputError, passwordRedactor } from '@krint/engine-sdk';
import { ManagedUser } from '../db/entities.js';
import { handleFor, type InstanceHandle, type ServiceDeps } from '../services/context.js';

export const MAX_LOG_TAIL = 10_000;

/**
 * An event never grows past this many lines by joining batches (a single batch from the agent is
 * passed on whole: it is one read of the log, already bounded).
 */
export const MAX_LOG_EVENT_LINES = 5_000;

/**
 * While a log keeps producing, events go out at most this often and the lines that arrive in
 * between join the next one; the first line after a quiet spell goes out at once. A chatty
 * container then costs at most a hundred GraphQL executions, messages and socket writes a second
 * per subscriber, and no line waits longer than this.
 */
export const LOG_EVENT_INTERVAL_MS = 10;

/**
 * The container log as events of lines: the last `tail` lines, then every new line until the
 * subscriber leaves (returning from the generator aborts the agent's stream).
 *
 * An event carries whatever has arrived since the previous one: the agent's batches (one per read
 * of the Docker log), any batches already waiting behind them (a node hands over several per
 * round trip) and, while the log is busy, whatever arrives until {@link LOG_EVENT_INTERVAL_MS}
 * after the previous event. So a quiet container's line goes out alone at once, and a burst costs
 * one GraphQL execution, message and socket write per several hundred lines rather than per line.
 */
export async function* followLogs(deps: ServiceDeps, instanceId: string, tail: number): AsyncGenerator<readonly LogLine[]> {
  if (!Number.isInteger(tail) || tail < 0 || tail > MAX_LOG_TAIL) throw new InvalidInputError(`tail must be from 0 to ${MAX_LOG_TAIL}.`, 'tail');
  const handle = await handleFor(deps, instanceId);
  const scrub = await logScrubber(deps, handle);
  // Aborting ends the agent's stream, which also settles a `next()` still waiting on a quiet log.
  const abort = new AbortController();
  const batches = handle.executor.stream('logs.follow', { containerId: handle.address.containerId, tail, follow: true }, { signal: abort.signal })[Symbol.asyncIterator]();
  let ahead: Promise<IteratorResult<LogBatch>> | undefined;
  let lastEvent = Number.NEGATIVE_INFINITY;
  try {
    for (;;) {
      const first = await (ahead ?? batches.next());
      ahead = undefined;
      if (first.done) return;
      let lines = first.value.lines;
      /** Joined lines, once a second batch arrives (the first is passed on as it is otherwise). */
      let joined: LogLine[] | undefined;
      let ended = false;
      const due = lastEvent + LOG_EVENT_INTERVAL_MS;
      while (lines.length < MAX_LOG_EVENT_LINES) {
        ahead = batches.next();
        const next = await settledBy(ahead, due - performance.now());
        if (next === NOT_YET) break;
        ahead = undefined;
        if (next.done) {
          ended = true;
          break;
        }
        joined ??= [...lines];
        for (const line of next.value.lines) joined.push(line);
        lines = joined;
      }
      lastEvent = performance.now();
      yield scrub(lines);
      if (ended) return;
    }
  } finally {
    abort.abort();
    await ahead?.catch(() => undefined);
    await batches.return?.(undefined);
  }
}

/**
 * Removes passwords from log lines before anyone sees them (viewers follow logs too): the
 * instance's root password and the passwords of its managed users by value, and whatever the
 * engine's patterns recognise as a password in statement text it logged (PostgreSQL's
 * `STATEMENT: ALTER ROLE … PASSWORD '…'` of instances created before it stopped logging failed
 * statements, or passwords Krint never knew). Lines without a match are passed on as they are.
 */
async function logScrubber(deps: ServiceDeps, handle: InstanceHandle): Promise<(lines: readonly LogLine[]) => readonly LogLine[]> {
  const managed = await deps.orm.em.fork().find(ManagedUser, { instanceId: handle.instance.id });
  const known = [handle.address.rootPassword, ...managed.map((user) => deps.vault.open(user.passwordSealed))];
  const redact = passwordRedactor(handle.engine.credentials?.passwordPatterns ?? [], known);
  return (lines) => {
    let scrubbed: LogLine[] | undefined;
    lines.forEach((line, index) => {
      const text = redact(line.text);
      if (text === line.text) return;
      scrubbed ??= [...lines];
      scrubbed[index] = { ...line, text };
    });
    return scrubbed ?? lines;
  };
}

const NOT_YET = Symbol('not yet');

/**
 * The promise's result if it settles within `ms`, or NOT_YET. With no time left it still takes a
 * result that is already on its way: batches already received settle within a few microtask
 * hops, and a check-phase immediate fires only after all of them, before any new data is read.
 */
function settledBy<T>(promise: Promise<T>, ms: number): Promise<T | typeof NOT_YET> {
  return new Promise((resolve, reject) => {
    const timer = ms > 0 ? setTimeout(() => resolve(NOT_YET), ms) : setImmediate(() => resolve(NOT_YET));
    const cancel = () => (ms > 0 ? clearTimeout(timer as NodeJS.Timeout) : clearImmediate(timer as NodeJS.Immediate));
    promise.then(
      (value) => {
        cancel();
        resolve(value);
      },
      (error: unknown) => {
        cancel();
        reject(error);
      },
    );
  });
}
