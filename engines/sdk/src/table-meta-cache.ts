import { ExpiringCache } from './expiring-cache.js';

/** What a {@link TableMetaCache} keeps for one table. */
export interface CachedTableMeta<Meta, Estimate> {
  readonly meta: Meta;
  /** How the server described the page statement's result when `meta` was read; any change means the table changed. */
  readonly shape: string;
  /**
   * What the session learnt about the table later, e.g. a big table's estimated total. It lives as
   * long as the entry, so at most the cache's TTL: it is only ever set after the entry was stored.
   */
  estimate: Estimate | null;
}

/** How a session reads one page of a table; the steps {@link TableMetaCache.read} runs. */
export interface TablePageSteps<Meta, Read, Estimate> {
  /** Reads the table's metadata from the server's catalog. */
  loadMeta(): Promise<Meta>;
  /**
   * Reads the page with cached metadata that may be outdated; null when the statement failed in a
   * way outdated metadata explains (a dropped table or column), so the metadata is read again.
   */
  readCached(entry: CachedTableMeta<Meta, Estimate>): Promise<Read | null>;
  /** Reads the page with metadata just loaded; its failures are the caller's. */
  readFresh(meta: Meta): Promise<Read>;
  /** True when the result's columns are the ones `meta` lists; only then is `meta` cached. */
  describes(read: Read, meta: Meta): boolean;
}

/**
 * A session's cache of table metadata for paging, so a page costs one statement while the table is
 * known. Each page's own result description (its `shape`) is compared with the one seen when the
 * metadata was read: a table dropped, recreated or altered by anyone is read afresh at once. The
 * TTL bounds what that comparison cannot see; sessions forget a database's tables after their own
 * DDL on it.
 */
export class TableMetaCache<Meta extends { readonly database: string }, Read extends { readonly shape: string }, Estimate> {
  readonly #entries: ExpiringCache<CachedTableMeta<Meta, Estimate>>;

  /**
   * @param ttlMs how long metadata is trusted without reading the catalog again
   * @param maxTables tables kept at most; the one stored longest ago gives way
   */
  constructor(ttlMs: number, maxTables: number) {
    this.#entries = new ExpiringCache(ttlMs, maxTables);
  }

  /**
   * Reads a page with the cached metadata when there is any and it still describes the table;
   * otherwise loads the metadata, reads the page with it and caches it (when the result's columns
   * are the ones it lists). `entry` is the cached entry the page was read with, or a new one.
   */
  async read(database: string, table: string, steps: TablePageSteps<Meta, Read, Estimate>): Promise<{ entry: CachedTableMeta<Meta, Estimate>; read: Read }> {
    const key = `${database}\u0000${table}`;
    const cached = this.#entries.get(key);
    if (cached) {
      const read = await steps.readCached(cached);
      if (read && read.shape === cached.shape) return { entry: cached, read };
      // The table changed since it was cached (or is gone): read it again as on first use.
      this.#entries.delete(key);
    }
    const meta = await steps.loadMeta();
    const read = await steps.readFresh(meta);
    const entry: CachedTableMeta<Meta, Estimate> = { meta, shape: read.shape, estimate: null };
    if (steps.describes(read, meta)) this.#entries.set(key, entry);
    return { entry, read };
  }

  /** Forgets the tables of one database, e.g. after DDL on it run through Krint. */
  forget(database: string): void {
    this.#entries.deleteWhere((entry) => entry.meta.database === database);
  }

  clear(): void {
    this.#entries.clear();
  }

  /** Tables cached now, expired ones possibly included until they are asked for. */
  get size(): number {
    return this.#entries.size;
  }
}
