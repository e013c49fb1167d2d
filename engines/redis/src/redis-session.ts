import type { Redis } from 'ioredis';
import {
  ConflictError,
  EngineError,
  InvalidInputError,
  MAX_PAGE_SIZE,
  NotFoundError,
  decodeCursor,
  encodeCursor,
  type ColumnInfo,
  type ConnectionTarget,
  type DatabaseInfo,
  type EngineSession,
  type JsonValue,
  type PageRequest,
  type QueryOptions,
  type QueryResult,
  type Row,
  type RowKey,
  type RowPage,
  type RowUpdate,
  type TableInfo,
} from '@krint/engine-sdk';
import { openRedisClient, parseInfo, parseKeyspace, replyError } from './redis-connection.js';
import { parseConsoleCommand } from './redis-command-line.js';
import { ALL_KEYS, assertKey, assertPattern, matchesPattern, namespacePattern, parseDbNumber, printable } from './redis-keys.js';
import { KEY_COLUMNS, PREVIEW_ITEMS, parseTtl, queueWrite, readKeyRows, toTypedValue } from './redis-values.js';
import { RedisUsers } from './redis-users.js';

/** DB numbers a stock server has; used when `CONFIG GET databases` is not allowed for the user. */
const DEFAULT_DATABASE_COUNT = 16;
/** Keys sampled to find namespaces; bigger DBs get estimated namespace counts. */
const NAMESPACE_SAMPLE_KEYS = 10_000;
/** SCAN calls one page may make before it returns what it has (sparse patterns). */
const MAX_SCANS_PER_PAGE = 200;
const MAX_PAGE_SCAN_MS = 3_000;
/** Keys an exact pattern count may walk before it gives up. */
const MAX_COUNTED_KEYS = 5_000_000;

/**
 * A session on one Redis-protocol server. Every DB number gets its own connection (opened on first
 * use), so concurrent calls for different DB numbers never race on SELECT.
 */
export class RedisSession implements EngineSession {
  readonly #target: ConnectionTarget;
  readonly #clients = new Map<number, Promise<Redis>>();
  #knownDatabaseCount: number | undefined;
  #closed = false;
  readonly users: RedisUsers;

  private constructor(target: ConnectionTarget) {
    this.#target = target;
    this.users = new RedisUsers(() => this.#client(0));
  }

  /** Connects to DB 0 (a real AUTH and PING) and returns the session. */
  static async open(target: ConnectionTarget): Promise<RedisSession> {
    const session = new RedisSession(target);
    try {
      await session.ping();
      return session;
    } catch (error) {
      await session.close();
      throw error;
    }
  }

  async ping(): Promise<void> {
    const client = await this.#client(0);
    const reply = await client.ping().catch((error: unknown) => {
      throw replyError(error, 'PING');
    });
    if (reply !== 'PONG') throw new EngineError('UNAVAILABLE', `The server answered PING with "${printable(String(reply))}".`);
  }

  /** True while the server is still loading its RDB/AOF at start; readiness waits for this. */
  async isLoading(): Promise<boolean> {
    const client = await this.#client(0);
    const info = await client.info('persistence').catch(() => '');
    return parseInfo(info).get('loading') === '1';
  }

  async close(): Promise<void> {
    this.#closed = true;
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(clients.map(async (pending) => (await pending.catch(() => null))?.disconnect()));
  }

  async listDatabases(): Promise<DatabaseInfo[]> {
    const client = await this.#client(0);
    const count = await this.#databaseCountOf(client);
    const keyspace = parseKeyspace(await client.info('keyspace'));
    return Array.from({ length: count }, (_, db) => ({ name: String(db), rowCount: keyspace.get(db) ?? 0 }));
  }

  /**
   * Redis has a fixed set of DB numbers, so "dropping" one empties it (FLUSHDB). The number itself
   * stays and can be used again at once.
   */
  async dropDatabase(name: string): Promise<void> {
    const client = await this.#clientFor(name);
    await client.flushdb().catch((error: unknown) => {
      throw replyError(error, 'FLUSHDB');
    });
  }

  /**
   * `*` (every key, exact count from DBSIZE), then one `prefix:*` pattern per namespace found in a
   * sample of at most {@link NAMESPACE_SAMPLE_KEYS} keys; counts are estimates when the DB is bigger.
   */
  async listTables(database: string): Promise<TableInfo[]> {
    const client = await this.#clientFor(database);
    const total = await client.dbsize();
    const namespaces = new Map<string, number>();
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        if (seen.has(key)) continue;
        seen.add(key);
        const pattern = namespacePattern(key);
        if (pattern) namespaces.set(pattern, (namespaces.get(pattern) ?? 0) + 1);
      }
    } while (cursor !== '0' && seen.size < NAMESPACE_SAMPLE_KEYS);
    const sampled = cursor === '0';
    const scale = sampled || seen.size === 0 ? 1 : total / seen.size;
    const tables: TableInfo[] = [{ name: ALL_KEYS, rowCount: total, rowCountIsEstimate: false, kind: 'all keys' }];
    for (const [pattern, count] of [...namespaces].sort(([a], [b]) => a.localeCompare(b))) {
      tables.push({ name: pattern, rowCount: Math.round(count * scale), rowCountIsEstimate: !sampled, kind: 'namespace' });
    }
    return tables;
  }

  async describeTable(database: string, table: string): Promise<ColumnInfo[]> {
    await this.#clientFor(database);
    assertPattern(table);
    return [...KEY_COLUMNS];
  }

  /** Exact number of keys matching the pattern: DBSIZE for `*`, otherwise a full SCAN. */
  async countRows(database: string, table: string): Promise<number> {
    const client = await this.#clientFor(database);
    const pattern = assertPattern(table);
    if (pattern === ALL_KEYS) return client.dbsize();
    const seen = new Set<string>();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) seen.add(key);
      if (seen.size > MAX_COUNTED_KEYS) {
        throw new EngineError('UNAVAILABLE', `More than ${MAX_COUNTED_KEYS} keys match "${printable(pattern)}"; Krint does not count that many one by one.`);
      }
    } while (cursor !== '0');
    return seen.size;
  }

  /**
   * One page of keys matching the pattern, walked with SCAN (never KEYS). The page cursor carries
   * SCAN's own cursor plus the few keys a SCAN call returned beyond the page size. SCAN may return
   * a key twice while the server resizes its tables; a page never repeats a key, but two pages can.
   */
  async readRows(database: string, table: string, page: PageRequest): Promise<RowPage> {
    const client = await this.#clientFor(database);
    const pattern = assertPattern(table);
    const limit = clampLimit(page.limit);
    const { scanCursor, pending } = page.cursor ? decodeScanCursor(page.cursor) : { scanCursor: '0', pending: [] as string[] };
    const keys = new Set<string>(pending);
    let cursor = scanCursor;
    let first = !page.cursor;
    const started = Date.now();
    for (let scans = 0; keys.size < limit && (first || cursor !== '0'); scans++) {
      if (scans >= MAX_SCANS_PER_PAGE || Date.now() - started > MAX_PAGE_SCAN_MS) break;
      first = false;
      const [next, found] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', Math.max(limit, 100));
      cursor = next;
      for (const key of found) keys.add(key);
    }
    const ordered = [...keys];
    const pageKeys = ordered.slice(0, limit);
    const rest = ordered.slice(limit);
    const rows = await readKeyRows(client, pageKeys);
    const more = rest.length > 0 || cursor !== '0';
    return {
      columns: KEY_COLUMNS,
      rows,
      keyColumns: ['key'],
      nextCursor: more ? encodeCursor([cursor, ...rest]) : null,
      ...(pattern === ALL_KEYS ? { total: await client.dbsize(), totalIsEstimate: false } : {}),
    };
  }

  /** Creates a key; fails with a conflict when it exists (checked and written atomically). */
  async insertRow(database: string, table: string, values: Row): Promise<Row> {
    const client = await this.#clientFor(database);
    const key = this.#keyInTable(table, values.key);
    const typed = toTypedValue(values.type, values.value);
    const ttl = values.ttl === undefined ? null : parseTtl(values.ttl);
    await this.#atomically(client, key, async () => {
      if ((await client.exists(key)) === 1) throw new ConflictError(`The key "${printable(key)}" already exists.`);
      const multi = client.multi();
      queueWrite(multi, key, typed);
      if (ttl !== null) multi.expire(key, ttl);
      return multi;
    });
    return this.#readOne(client, key);
  }

  /**
   * Replaces the value (and type) of one key, sets or clears its TTL. The key keeps its remaining
   * TTL when `ttl` is not among the changes. With `expected`, the key must still have the type and
   * value the client saw; everything is checked and written in one WATCH/MULTI.
   */
  async updateRow(database: string, table: string, update: RowUpdate): Promise<Row> {
    const client = await this.#clientFor(database);
    const key = this.#keyInTable(table, update.key.key);
    const changes = update.changes;
    if ('key' in changes && changes.key !== key) {
      throw new InvalidInputError('Renaming a key is not supported here; insert the new key and delete the old one.', 'key');
    }
    const unknown = Object.keys(changes).filter((name) => !['key', 'type', 'value', 'ttl'].includes(name));
    if (unknown.length > 0) throw new InvalidInputError(`Only type, value and ttl can be changed; not ${unknown.join(', ')}.`, unknown[0]);
    const rewrite = 'value' in changes || 'type' in changes;
    const ttl = 'ttl' in changes ? parseTtl(changes.ttl) : undefined;
    await this.#atomically(client, key, async () => {
      const [current] = await readKeyRows(client, [key]);
      if (!current) throw new NotFoundError(`The key "${printable(key)}" does not exist.`);
      checkExpected(current, update.expected);
      const multi = client.multi();
      if (rewrite) {
        if (current.type === 'string' && typeof current.value === 'object' && current.value !== null) {
          throw new InvalidInputError('The key holds a binary (not UTF-8) string, shown as base64; the editor does not overwrite it. Use the console for this key.', 'value');
        }
        if (current.complete !== true) {
          throw new InvalidInputError(
            `The key holds ${String(current.length)} items (or bytes), more than Krint shows; saving the shown part would drop the rest. Use the console for this key.`,
            'value',
          );
        }
        const typed = toTypedValue(changes.type ?? current.type, 'value' in changes ? changes.value : current.value);
        const remainingMs = await client.pttl(key);
        queueWrite(multi, key, typed);
        if (ttl === undefined && remainingMs > 0) multi.pexpire(key, remainingMs);
      }
      if (ttl === null) multi.persist(key);
      else if (ttl !== undefined) multi.expire(key, ttl);
      return multi;
    });
    return this.#readOne(client, key);
  }

  async deleteRow(database: string, table: string, key: RowKey): Promise<void> {
    const client = await this.#clientFor(database);
    const name = this.#keyInTable(table, key.key);
    const removed = await client.del(name);
    if (removed === 0) throw new NotFoundError(`The key "${printable(name)}" does not exist.`);
  }

  /**
   * Runs one Redis command given as text (see `redis-command-line.ts` for quoting and the commands
   * the console refuses). Array replies become one row per item, up to `rowLimit`.
   */
  async query(database: string, text: string, options: QueryOptions): Promise<QueryResult> {
    const db = parseDbNumber(database, await this.#databaseCount());
    const argv = parseConsoleCommand(text);
    const client = await this.#client(db);
    const started = Date.now();
    const [name, ...args] = argv as [string, ...string[]];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new EngineError('UNAVAILABLE', `The command did not finish within ${options.timeoutMs} ms.`)), options.timeoutMs);
    });
    let reply: unknown;
    try {
      reply = await Promise.race([client.call(name, ...args), timeout]);
    } catch (error) {
      if (error instanceof EngineError && /did not finish/.test(error.message)) {
        // The reply may still arrive; this connection's replies would be out of step, so drop it.
        this.#forget(db);
      }
      throw replyError(error, name.toUpperCase());
    } finally {
      clearTimeout(timer);
    }
    const limit = Math.max(1, Math.min(options.rowLimit, MAX_PAGE_SIZE * 10));
    const items = Array.isArray(reply) ? reply : [reply];
    const rows: Row[] = items.slice(0, limit).map((item, index): Row => (Array.isArray(reply) ? { '#': index + 1, value: toJson(item) } : { value: toJson(item) }));
    return {
      columns: Array.isArray(reply)
        ? [{ name: '#', type: 'integer' }, { name: 'value', type: 'json' }]
        : [{ name: 'value', type: 'json' }],
      rows,
      rowCount: items.length,
      truncated: items.length > limit,
      command: name.toUpperCase(),
      durationMs: Date.now() - started,
    };
  }

  async #clientFor(database: string): Promise<Redis> {
    return this.#client(parseDbNumber(database, await this.#databaseCount()));
  }

  #client(db: number): Promise<Redis> {
    if (this.#closed) return Promise.reject(new EngineError('UNAVAILABLE', 'The session is closed.'));
    let pending = this.#clients.get(db);
    if (!pending) {
      const opening = openRedisClient(this.#target, db);
      pending = opening;
      const forget = () => {
        if (this.#clients.get(db) === opening) this.#clients.delete(db);
      };
      // A connection the server closed (restart, timeout) is replaced on next use, not reused.
      opening.then((client) => client.once('end', forget), forget);
      this.#clients.set(db, opening);
    }
    return pending;
  }

  #forget(db: number): void {
    const pending = this.#clients.get(db);
    this.#clients.delete(db);
    void pending?.then((client) => client.disconnect()).catch(() => undefined);
  }

  async #databaseCount(): Promise<number> {
    this.#knownDatabaseCount ??= await this.#databaseCountOf(await this.#client(0));
    return this.#knownDatabaseCount;
  }

  async #databaseCountOf(client: Redis): Promise<number> {
    try {
      const reply = (await client.config('GET', 'databases')) as string[];
      const count = Number(reply[1]);
      return Number.isInteger(count) && count > 0 ? count : DEFAULT_DATABASE_COUNT;
    } catch {
      return DEFAULT_DATABASE_COUNT;
    }
  }

  #keyInTable(table: string, key: JsonValue | undefined): string {
    const pattern = assertPattern(table);
    const name = assertKey(key);
    if (!matchesPattern(pattern, name)) {
      throw new InvalidInputError(`The key "${printable(name)}" does not match the key pattern "${printable(pattern)}".`, 'key');
    }
    return name;
  }

  async #readOne(client: Redis, key: string): Promise<Row> {
    const [row] = await readKeyRows(client, [key]);
    if (!row) throw new NotFoundError(`The key "${printable(key)}" disappeared right after it was written (expired?).`);
    return row;
  }

  /**
   * WATCHes `key`, lets `prepare` read and queue a MULTI, and executes it. A null EXEC reply means
   * someone else changed the key in between: nothing was written.
   */
  async #atomically(client: Redis, key: string, prepare: () => Promise<ReturnType<Redis['multi']>>): Promise<void> {
    await client.watch(key);
    let result: unknown;
    try {
      const multi = await prepare();
      result = await multi.exec();
    } catch (error) {
      await client.unwatch().catch(() => undefined);
      throw replyError(error, 'the change');
    }
    if (result === null) throw new ConflictError(`The key "${printable(key)}" was changed by someone else meanwhile; nothing was written.`);
    const failed = (result as [Error | null, unknown][]).find(([error]) => error);
    if (failed?.[0]) throw replyError(failed[0], 'the change');
  }
}

function clampLimit(limit: number): number {
  if (!Number.isFinite(limit) || limit < 1) return 1;
  return Math.min(Math.floor(limit), MAX_PAGE_SIZE);
}

function decodeScanCursor(cursor: string): { scanCursor: string; pending: string[] } {
  const [scanCursor, ...pending] = decodeCursor(cursor);
  if (typeof scanCursor !== 'string' || !/^\d+$/.test(scanCursor) || !pending.every((key) => typeof key === 'string')) {
    throw new InvalidInputError('The page cursor is not valid; start again from the first page.', 'cursor');
  }
  return { scanCursor, pending: pending as string[] };
}

function checkExpected(current: Row, expected: Row | undefined): void {
  if (!expected) return;
  for (const column of ['type', 'value'] as const) {
    if (column in expected && JSON.stringify(expected[column]) !== JSON.stringify(current[column])) {
      throw new ConflictError(`The key's ${column} changed since it was read; reload it and try again. Nothing was written.`);
    }
  }
}

function toJson(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) return value.map(toJson);
  if (value instanceof Error) return `(error) ${value.message}`;
  return String(value);
}
