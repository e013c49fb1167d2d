/**
 * Delays between reconnect attempts: exponential from `initialMs`, capped at `maxMs`, with full
 * jitter so a control plane that comes back is not hit by every node at the same instant.
 */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Source of randomness in [0, 1); injectable so tests can pin it. */
  readonly random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 30_000 };

export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const random = options.random ?? Math.random;
  const ceiling = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(attempt, 30));
  // Half fixed, half random: never zero (no tight loops), never above the cap.
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
