import type { ConnectionTarget } from './session.js';

/**
 * How to tell that a freshly started instance accepts work. Readiness is a value the engine
 * declares; the runtime owns the retry loop, the backoff and the timeout error (which names the
 * address tried and the container's last log lines).
 */
export interface Readiness {
  /** Give up after this long. */
  readonly ceilingMs: number;
  /** First delay between attempts; doubles up to {@link maxDelayMs}. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /**
   * One attempt: resolves when the server answered a real request (a query, a PING), rejects
   * otherwise. Never a bare TCP connect: a port accepts connections long before the server works.
   */
  probe(target: ConnectionTarget): Promise<void>;
}

export interface ReadinessOptions {
  readonly ceilingMs?: number;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

const DEFAULT_CEILING_MS = 60_000;
const DEFAULT_INITIAL_DELAY_MS = 100;
// A probe is one cheap round trip, so probing twice a second costs nothing, while a longer cap
// makes a server that became ready just after an attempt wait for the next one: with 2 s, a
// PostgreSQL that is ready after 1.8 s was seen at 3.75 s.
const DEFAULT_MAX_DELAY_MS = 500;

/** Factories for the readiness strategies engines use. */
export const Ready = {
  /** Ready when `probe` succeeds, e.g. a session's `ping()`. */
  forProbe(probe: (target: ConnectionTarget) => Promise<void>, options: ReadinessOptions = {}): Readiness {
    return {
      ceilingMs: options.ceilingMs ?? DEFAULT_CEILING_MS,
      initialDelayMs: options.initialDelayMs ?? DEFAULT_INITIAL_DELAY_MS,
      maxDelayMs: options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS,
      probe,
    };
  },
};

/** The delays between readiness attempts: exponential, capped, never past the ceiling. */
export function* readinessDelays(readiness: Pick<Readiness, 'initialDelayMs' | 'maxDelayMs'>): Generator<number> {
  let delay = readiness.initialDelayMs;
  for (;;) {
    yield delay;
    delay = Math.min(delay * 2, readiness.maxDelayMs);
  }
}
