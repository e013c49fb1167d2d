import { NotFoundError, readinessDelays } from '@krint/engine-sdk';
import type { Engine } from '@krint/engine-sdk';
import type { InstanceAddress } from './protocol/commands.js';
import type { Docker } from './docker/client.js';
import type { InstanceReach } from './instance-reach.js';
import { containerStatus } from './docker/containers.js';
import { lastLogLines } from './docker/logs.js';
import { TimeoutError, UnavailableError, redact } from './errors.js';

/** Log lines quoted in a readiness failure: enough to show the server's complaint. */
const LOG_LINES_IN_ERROR = 20;
/** Longest log line quoted; servers can log whole configuration dumps on one line. */
const LOG_LINE_CHARS = 400;
/** Restarts during the wait after which the container is taken to be crash-looping. */
const CRASH_LOOP_RESTARTS = 3;

/**
 * Probes the instance with the engine's readiness check until it answers, backing off as the
 * engine declares, up to `ceilingMs`. Fails early when the container stops. Every failure names the
 * address tried and quotes the container's last log lines, with the password removed.
 */
export async function waitUntilReady(
  docker: Docker,
  reach: InstanceReach,
  engine: Engine,
  address: InstanceAddress,
  options: { ceilingMs?: number; signal?: AbortSignal } = {},
): Promise<{ elapsedMs: number }> {
  const { readiness } = engine;
  const ceilingMs = options.ceilingMs ?? readiness.ceilingMs;
  const target = await reach.target(address);
  const where = `${target.host}:${target.port}`;
  const started = Date.now();
  const deadline = started + ceilingMs;
  const delays = readinessDelays(readiness);
  let lastError = 'no attempt finished';
  const explain = async (headline: string) => {
    const lines = await lastLogLines(docker, address.containerId, LOG_LINES_IN_ERROR);
    const quoted = lines.map((line) => (line.length > LOG_LINE_CHARS ? `${line.slice(0, LOG_LINE_CHARS)}…` : line));
    const logs = quoted.length > 0 ? `\nLast log lines:\n${quoted.join('\n')}` : '\nThe container wrote no log lines.';
    return redact(`${headline} Last error: ${lastError}.${logs}`, [address.rootPassword]);
  };

  const initialRestarts = await restartCount(docker, address.containerId);
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      await withTimeout(readiness.probe(target), Math.max(1_000, deadline - Date.now()));
      return { elapsedMs: Date.now() - started };
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    // The container checks below count towards the wait, so probes keep the declared backoff
    // schedule even when the daemon answers slowly.
    const checksStarted = Date.now();
    const status = await containerStatus(docker, address.containerId);
    if (status.state === 'missing') throw new NotFoundError(`The container ${address.containerId} of this ${engine.displayName} instance does not exist.`);
    if (status.state !== 'running' && status.state !== 'restarting') {
      throw new UnavailableError(
        await explain(`The ${engine.displayName} container is ${status.state}${status.exitCode === null ? '' : ` (exit code ${status.exitCode})`}; it stopped before the server at ${where} became ready.`),
      );
    }
    const restarts = (await restartCount(docker, address.containerId)) - initialRestarts;
    if (restarts >= CRASH_LOOP_RESTARTS) {
      throw new UnavailableError(await explain(`The ${engine.displayName} container restarted ${restarts} times while waiting for the server at ${where}; it keeps crashing.`));
    }
    const delay = delays.next().value as number;
    if (Date.now() + delay >= deadline) {
      throw new TimeoutError(await explain(`The ${engine.displayName} server at ${where} did not become ready within ${Math.round(ceilingMs / 1000)} s (${attempt} attempts).`));
    }
    await sleep(Math.max(0, delay - (Date.now() - checksStarted)), options.signal);
  }
}

async function restartCount(docker: Docker, containerId: string): Promise<number> {
  try {
    return (await docker.getContainer(containerId).inspect()).RestartCount ?? 0;
  } catch {
    return 0;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the probe did not answer within ${ms} ms`)), ms);
  });
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
