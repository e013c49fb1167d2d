import type { LogLine } from '@krint/agent';
import { InvalidInputError } from '@krint/engine-sdk';
import { handleFor, type ServiceDeps } from '../services/context.js';

export const MAX_LOG_TAIL = 10_000;

/**
 * The container log: the last `tail` lines, then every new line until the subscriber leaves
 * (returning from the generator aborts the agent's stream).
 */
export async function* followLogs(deps: ServiceDeps, instanceId: string, tail: number, stop?: AbortSignal): AsyncGenerator<LogLine> {
  if (!Number.isInteger(tail) || tail < 0 || tail > MAX_LOG_TAIL) throw new InvalidInputError(`tail must be from 0 to ${MAX_LOG_TAIL}.`, 'tail');
  const handle = await handleFor(deps, instanceId);
  const abort = new AbortController();
  stop?.addEventListener('abort', () => abort.abort(), { once: true });
  try {
    yield* handle.executor.stream('logs.follow', { containerId: handle.address.containerId, tail, follow: true }, { signal: abort.signal });
  } finally {
    abort.abort();
  }
}

export const MAX_LOG_BATCH = 2_000;

/**
 * The same log as {@link followLogs}, in batches: each batch holds the lines that arrived within
 * `lingerMs` of the first one, up to `maxLines`. A busy container then costs one GraphQL event per
 * batch instead of one per line, which is what lets a subscriber keep up with `docker logs -f`.
 */
export async function* followLogBatches(deps: ServiceDeps, instanceId: string, tail: number, maxLines: number, lingerMs: number): AsyncGenerator<LogLine[]> {
  if (!Number.isInteger(maxLines) || maxLines < 1 || maxLines > MAX_LOG_BATCH) throw new InvalidInputError(`maxLines must be from 1 to ${MAX_LOG_BATCH}.`, 'maxLines');
  if (!Number.isInteger(lingerMs) || lingerMs < 0 || lingerMs > 1_000) throw new InvalidInputError('lingerMs must be from 0 to 1000.', 'lingerMs');
  // Aborting ends the agent's stream, which settles a `next()` still waiting on a quiet log, so
  // the generator below can be closed at once when the subscriber leaves.
  const stop = new AbortController();
  const lines = followLogs(deps, instanceId, tail, stop.signal);
  let pending: Promise<IteratorResult<LogLine>> | undefined;
  try {
    for (;;) {
      const first = await (pending ?? lines.next());
      pending = undefined;
      if (first.done) return;
      const batch = [first.value];
      const deadline = Date.now() + lingerMs;
      while (batch.length < maxLines) {
        pending = lines.next();
        const next = await Promise.race([pending, delay(Math.max(0, deadline - Date.now()))]);
        if (next === 'timeout') break;
        pending = undefined;
        if (next.done) {
          yield batch;
          return;
        }
        batch.push(next.value);
      }
      yield batch;
    }
  } finally {
    stop.abort();
    await pending?.catch(() => undefined);
    await lines.return(undefined);
  }
}

function delay(ms: number): Promise<'timeout'> {
  return new Promise((resolve) => setTimeout(() => resolve('timeout'), ms));
}
