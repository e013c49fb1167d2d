/**
 * A small map whose entries expire after a fixed time and whose oldest entry gives way once it is
 * full. Sessions keep what they learnt about a table (columns, key, an estimated total) in one, so
 * a page costs one statement while nothing outside the session can have changed it for long.
 */
export class ExpiringCache<V> {
  readonly #entries = new Map<string, { readonly value: V; readonly storedAt: number }>();

  /**
   * @param ttlMs how long an entry is returned after it was stored
   * @param maxEntries entries kept at most; storing one more forgets the one stored longest ago
   */
  constructor(
    readonly ttlMs: number,
    readonly maxEntries: number,
  ) {}

  /** The value stored under `key` while it is fresh; an expired entry is forgotten. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (Date.now() - entry.storedAt > this.ttlMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V): void {
    // Deleting first makes a replaced entry the newest, so eviction order is storing order.
    this.#entries.delete(key);
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, storedAt: Date.now() });
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Forgets every entry whose value matches, e.g. the tables of a dropped database. */
  deleteWhere(matches: (value: V) => boolean): void {
    for (const [key, entry] of this.#entries) if (matches(entry.value)) this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
