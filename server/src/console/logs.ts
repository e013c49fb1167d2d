import type { LogLine } from '@krint/agent';
import { InvalidInputError } from '@krint/engine-sdk';
import { handleFor, type ServiceDeps } from '../services/context.js';

export const MAX_LOG_TAIL = 10_000;

/**
 * The container log: the last `tail` lines, then every new line until the subscriber leaves
 * (returning from the generator aborts the agent's stream).
 */
export async function* followLogs(deps: ServiceDeps, instanceId: string, tail: number): AsyncGenerator<LogLine> {
  if (!Number.isInteger(tail) || tail < 0 || tail > MAX_LOG_TAIL) throw new InvalidInputError(`tail must be from 0 to ${MAX_LOG_TAIL}.`, 'tail');
  const handle = await handleFor(deps, instanceId);
  const abort = new AbortController();
  try {
    yield* handle.executor.stream('logs.follow', { containerId: handle.address.containerId, tail, follow: true }, { signal: abort.signal });
  } finally {
    abort.abort();
  }
}
