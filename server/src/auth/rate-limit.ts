/**
 * Counts failed sign-ins per key (an IP address, a user name) in a fixed window. In memory: a
 * restart forgives, which is acceptable for a single control-plane process. The map is bounded so
 * a flood of distinct keys cannot exhaust memory (the oldest windows are dropped first).
 */
export class FailureLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    readonly maxFailures: number,
    readonly windowMs: number,
    private readonly maxKeys = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `key` may try again, or 0 when it may try now. */
  blockedFor(key: string): number {
    const window = this.windows.get(key);
    if (!window) return 0;
    const now = this.now();
    if (now >= window.resetAt) {
      this.windows.delete(key);
      return 0;
    }
    return window.count >= this.maxFailures ? Math.ceil((window.resetAt - now) / 1000) : 0;
  }

  recordFailure(key: string): void {
    const now = this.now();
    const window = this.windows.get(key);
    if (window && now < window.resetAt) {
      window.count++;
      return;
    }
    this.windows.delete(key);
    if (this.windows.size >= this.maxKeys) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    this.windows.set(key, { count: 1, resetAt: now + this.windowMs });
  }

  /** A successful sign-in clears the user name's failures (not the address's). */
  clear(key: string): void {
    this.windows.delete(key);
  }
}
