import type pg from 'pg';
import {
  assertCreatableName,
  ConflictError,
  decodeCursor,
  encodeCursor,
  InvalidInputError,
  MAX_PAGE_SIZE,
  NotFoundError,
  TableMetaCache,
  type CachedTableMeta,
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
import { clientConfig, MAINTENANCE_DATABASE } from './postgres-connection.js';
import { pgDriver } from './postgres-driver.js';
import { errorCode, translateError } from './postgres-errors.js';
import { qualifiedName, quoteIdent } from './postgres-identifiers.js';
import { runConsoleQuery } from './postgres-query.js';
import {
  CTID_COLUMN,
  insertColumns,
  keysetAfter,
  orderByKey,
  Params,
  requireObject,
  setClause,
  whereExpected,
  whereKey,
  type ColumnMeta,
} from './postgres-statements.js';
import { PostgresUserAdmin } from './postgres-users.js';

/** Databases the server itself needs; they are listed as system and never dropped. */
export const SYSTEM_DATABASES: ReadonlySet<string> = new Set(['postgres', 'template0', 'template1']);
/** Connections one session keeps per database at most; console queries open their own. */
const POOL_SIZE_PER_DATABASE = 3;
/** Databases one session keeps pools for; the least recently used pool is closed beyond this. */
const MAX_POOLS = 16;
/** Tables whose heap is at most this big are counted exactly; bigger ones are estimated. */
const EXACT_COUNT_MAX_BYTES = 1024 * 1024;
/** listTables asks the planner for at most this many estimates of never-analysed big tables. */
const MAX_PLANNER_ESTIMATES = 20;
/** Most updates one bulk call may carry. */
const MAX_BULK_UPDATES = 1000;
/**
 * How long readRows trusts a table's cached columns and key without reading the catalog again.
 * Every page also compares the columns the server describes with the cached ones, so a dropped,
 * recreated or altered table is noticed at once; the TTL bounds what that check cannot see (a
 * primary key or NOT NULL changed outside Krint). A big table's estimated total lives as long as
 * its cached entry, since reading the statistics costs the page statement about as much as the page itself.
 */
const TABLE_META_TTL_MS = 10_000;
/** Tables whose metadata one session caches for readRows; the oldest entry is dropped beyond this. */
const MAX_CACHED_TABLES = 256;

const TABLE_KINDS: Readonly<Record<string, string>> = {
  r: 'table',
  p: 'partitioned table',
  v: 'view',
  m: 'materialized view',
  f: 'foreign table',
};

/** Schemas of the server's own objects, never listed or addressed as user tables. */
const USER_SCHEMA_FILTER = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'`;

/** A table as Krint addresses it, with the columns and the key its rows are paged and edited by. */
interface TableMeta {
  readonly database: string;
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  /** The name clients use: `table` in `public`, `schema.table` elsewhere. */
  readonly displayName: string;
  readonly relkind: string;
  readonly columns: readonly ColumnMeta[];
  /** Primary key columns in key order; `[ctid]` for plain tables without one; empty for views. */
  readonly keyColumns: readonly ColumnMeta[];
  readonly usesCtid: boolean;
  /** Set when rows cannot be inserted, updated or deleted here. */
  readonly readOnlyReason: string | null;
}

interface TableStats {
  readonly reltuples: number;
  readonly relpages: number;
  readonly bytes: number | null;
  readonly block_size: number;
}

/**
 * A table's metadata as readRows caches it. Its estimate is a big table's estimated total, reused
 * for as long as the entry lives (at most {@link TABLE_META_TTL_MS}); exact counts (small tables)
 * are never reused.
 */
type CachedTable = CachedTableMeta<TableMeta, RowTotal>;

/** A table's row count as a page reports it: none, exact, or estimated. */
interface RowTotal {
  readonly value?: number;
  readonly estimate: boolean;
}

interface TableRow extends TableStats {
  readonly schema: string;
  readonly name: string;
  readonly kind: string;
}

/** Opens a session and proves the login works with one round trip. */
export async function openPostgresSession(target: ConnectionTarget): Promise<PostgresSession> {
  await pgDriver.load();
  const session = new PostgresSession(target);
  try {
    await session.ping();
    return session;
  } catch (error) {
    await session.close();
    throw error;
  }
}

/**
 * An {@link EngineSession} on one PostgreSQL server. A PostgreSQL connection belongs to one
 * database, so the session opens a small pool per database on first use and keeps it until
 * {@link close}. Transactions take a dedicated client from the pool; console queries open a
 * connection of their own so whatever the user's statement changes (SET, an open transaction)
 * dies with it.
 */
export class PostgresSession implements EngineSession {
  readonly users: PostgresUserAdmin;
  readonly #target: ConnectionTarget;
  readonly #pools = new Map<string, pg.Pool>();
  /** readRows' table metadata by database and table name (see {@link TABLE_META_TTL_MS}). */
  readonly #tableCache = new TableMetaCache<TableMeta, PageRead, RowTotal>(TABLE_META_TTL_MS, MAX_CACHED_TABLES);
  #password: string;
  #closed = false;

  constructor(target: ConnectionTarget) {
    this.#target = target;
    this.#password = target.password;
    this.users = new PostgresUserAdmin({
      rootUser: target.user,
      maintenanceDatabase: target.database ?? MAINTENANCE_DATABASE,
      secrets: () => [this.#password, this.#target.password],
      run: (database, sql, params) => this.#pool(database).query(sql, params),
      inTransaction: (database, work) => this.#transaction(database, work),
      databaseExists: (database) => this.#databaseExists(database),
      passwordChanged: (user, password) => {
        // Rotating the session's own password: later connections must log in with the new one.
        if (user === this.#target.user) this.#password = password;
      },
    });
  }

  get #maintenanceDatabase(): string {
    return this.#target.database ?? MAINTENANCE_DATABASE;
  }

  async ping(): Promise<void> {
    await this.#run(this.#maintenanceDatabase, 'SELECT 1');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    this.#tableCache.clear();
    await Promise.all(pools.map((pool) => pool.end().catch(() => undefined)));
  }

  // ---- databases -------------------------------------------------------------------------------

  async listDatabases(): Promise<DatabaseInfo[]> {
    const result = await this.#run(
      this.#maintenanceDatabase,
      `SELECT datname AS name,
              CASE WHEN has_database_privilege(oid, 'CONNECT') THEN pg_database_size(oid)::text END AS size
         FROM pg_database WHERE NOT datistemplate ORDER BY datname`,
    );
    return (result.rows as { name: string; size: string | null }[]).map((row) => ({
      name: row.name,
      ...(row.size === null ? {} : { sizeBytes: Number(row.size) }),
      isSystem: SYSTEM_DATABASES.has(row.name),
    }));
  }

  async createDatabase(name: string): Promise<void> {
    assertCreatableName(name, 'database');
    const quoted = quoteIdent(name, 'database');
    await this.#run(this.#maintenanceDatabase, `CREATE DATABASE ${quoted}`, [], `create database "${name}"`);
    try {
      // New databases are private: only users Krint grants access to may connect.
      await this.#run(this.#maintenanceDatabase, `REVOKE CONNECT, TEMPORARY ON DATABASE ${quoted} FROM PUBLIC`, [], `restrict database "${name}"`);
    } catch (error) {
      await this.#run(this.#maintenanceDatabase, `DROP DATABASE ${quoted}`).catch(() => undefined);
      throw error;
    }
  }

  async dropDatabase(name: string): Promise<void> {
    const quoted = quoteIdent(name, 'database');
    if (SYSTEM_DATABASES.has(name)) {
      throw new InvalidInputError(`"${name}" is a PostgreSQL system database and cannot be dropped.`, 'database');
    }
    if (name === this.#target.database) {
      throw new InvalidInputError(`"${name}" is this instance's default database and cannot be dropped.`, 'database');
    }
    if (!(await this.#databaseExists(name))) throw new NotFoundError(`Database "${name}" does not exist.`);
    // Our own connections first, then everyone else's: WITH (FORCE) terminates them, so a client
    // left connected cannot block the drop.
    await this.#closePool(name);
    await this.#run(this.#maintenanceDatabase, `DROP DATABASE ${quoted} WITH (FORCE)`, [], `drop database "${name}"`);
  }

  // ---- tables ----------------------------------------------------------------------------------

  async listTables(database: string): Promise<TableInfo[]> {
    await this.#requireDatabase(database);
    const result = await this.#run(
      database,
      `SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind, c.reltuples::float8 AS reltuples, c.relpages AS relpages,
              CASE WHEN c.relkind IN ('r', 'm') THEN pg_relation_size(c.oid)::float8 END AS bytes,
              current_setting('block_size')::int AS block_size
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${USER_SCHEMA_FILTER}
        ORDER BY n.nspname <> 'public', n.nspname, c.relname`,
    );
    const tables: TableInfo[] = [];
    let plannerEstimates = 0;
    for (const row of result.rows as TableRow[]) {
      const displayName = row.schema === 'public' ? row.name : `${row.schema}.${row.name}`;
      const info: TableInfo = { name: displayName, schema: row.schema, kind: TABLE_KINDS[row.kind] ?? 'table' };
      if (row.bytes === null) {
        tables.push(info);
        continue;
      }
      const count = await this.#rowCount(database, qualifiedName(row.schema, row.name), row, plannerEstimates < MAX_PLANNER_ESTIMATES);
      if (count.planner) plannerEstimates += 1;
      tables.push(count.value === undefined ? info : { ...info, rowCount: count.value, rowCountIsEstimate: count.estimate });
    }
    return tables;
  }

  async describeTable(database: string, table: string): Promise<ColumnInfo[]> {
    const meta = await this.#tableMeta(database, table);
    return meta.columns.map(columnInfo);
  }

  async countRows(database: string, table: string): Promise<number> {
    const meta = await this.#tableMeta(database, table);
    const result = await this.#run(database, `SELECT count(*)::int8 AS n FROM ${qualifiedName(meta.schema, meta.name)}`, [], `count rows of "${table}"`);
    return Number((result.rows[0] as { n: string }).n);
  }

  /**
   * One statement per page once the table is known: the keyset query, with the table's statistics
   * (and, for a small table, its exact count) as one extra column evaluated once. The table's
   * columns and key come from a cache that the page's own result description keeps honest.
   */
  async readRows(database: string, table: string, page: PageRequest): Promise<RowPage> {
    const { entry, read } = await this.#tableCache.read(database, table, {
      loadMeta: () => this.#tableMeta(database, table),
      readCached: (cached) => this.#readPage(cached.meta, page, table, { stale: true, knownTotal: cached.estimate }),
      readFresh: async (meta) => (await this.#readPage(meta, page, table, { stale: false, knownTotal: null }))!,
      describes: (read, meta) => read.describesColumnsOf(meta),
    });
    return this.#rowPage(entry, read);
  }

  /**
   * Runs the page statement, with the statistics column unless `knownTotal` (a cached estimate) is
   * given. With `stale` set a failure that may come from outdated metadata (a dropped table or
   * column: SQLSTATE class 42) returns null so the caller reads the catalog again.
   */
  async #readPage(meta: TableMeta, page: PageRequest, table: string, options: { stale: boolean; knownTotal: RowTotal | null }): Promise<PageRead | null> {
    const limit = clampPageSize(page.limit);
    const from = qualifiedName(meta.schema, meta.name);
    const select = meta.usesCtid ? 'ctid, *' : '*';
    const counted = options.knownTotal === null && hasRowCount(meta);
    const stats = counted ? `, ${statsColumn(meta.oid, from)}` : '';
    const params = new Params();
    let sql: string;
    if (meta.keyColumns.length === 0) {
      if (page.cursor) {
        throw new InvalidInputError(`"${meta.displayName}" has no key to page by; only its first page can be shown.`, 'cursor');
      }
      sql = `SELECT ${select}${stats} FROM ${from} LIMIT ${limit}`;
    } else {
      // Keyset paging: continue after the last key seen, never OFFSET, so page 10,000 costs what page 1 does.
      const where = page.cursor ? ` WHERE ${keysetAfter(meta.keyColumns, decodeCursor(page.cursor), params)}` : '';
      sql = `SELECT ${select}${stats} FROM ${from}${where} ORDER BY ${orderByKey(meta.keyColumns)} LIMIT ${limit + 1}`;
    }
    let result: pg.QueryArrayResult;
    try {
      result = await this.#pool(meta.database).query({ text: sql, values: params.values, rowMode: 'array' });
    } catch (error) {
      if (options.stale && errorCode(error)?.startsWith('42')) return null;
      throw translateError(error, { secrets: this.#secrets(), action: `read rows of "${table}"` });
    }
    return new PageRead(result, limit, meta.keyColumns.length > 0, counted, options.knownTotal);
  }

  /** The page as the SDK describes it; the total is the read's known one, else worked out here (and an estimate cached). */
  async #rowPage(entry: CachedTable, read: PageRead): Promise<RowPage> {
    const { meta } = entry;
    const last = read.rows[read.rows.length - 1];
    let total = read.knownTotal;
    if (!total) {
      total = read.stats ? await this.#countFromStats(meta, read.stats) : await this.#tableTotal(meta);
      if (total.estimate && total.value !== undefined) entry.estimate = total;
    }
    return {
      columns: (meta.usesCtid ? [CTID_COLUMN, ...meta.columns] : meta.columns).map(columnInfo),
      rows: read.rows,
      // Empty when rows cannot be edited (views, materialized views), even where paging uses ctid.
      keyColumns: meta.readOnlyReason ? [] : meta.keyColumns.map((column) => column.name),
      nextCursor: read.hasMore && last ? encodeCursor(meta.keyColumns.map((column) => last[column.name] ?? null)) : null,
      ...(total.value === undefined ? {} : { total: total.value, totalIsEstimate: total.estimate }),
    };
  }

  /** The total from the statistics read with the page: the exact count when it was taken, else as {@link #rowCount}. */
  async #countFromStats(meta: TableMeta, stats: PageStats): Promise<RowTotal> {
    if (stats.exact !== null) return { value: stats.exact, estimate: false };
    return this.#rowCount(meta.database, qualifiedName(meta.schema, meta.name), stats, true);
  }

  async insertRow(database: string, table: string, values: Row): Promise<Row> {
    const meta = await this.#editableTable(database, table);
    const params = new Params();
    const insert = insertColumns(meta.columns, requireObject(values, 'values'), meta.displayName, params);
    const target = qualifiedName(meta.schema, meta.name);
    const returning = meta.usesCtid ? 'ctid, *' : '*';
    const sql = insert.names
      ? `INSERT INTO ${target} (${insert.names}) VALUES (${insert.placeholders}) RETURNING ${returning}`
      : `INSERT INTO ${target} DEFAULT VALUES RETURNING ${returning}`;
    const result = await this.#run(database, sql, params.values, `insert a row into "${table}"`);
    return result.rows[0] as Row;
  }

  async updateRow(database: string, table: string, update: RowUpdate): Promise<Row> {
    const meta = await this.#editableTable(database, table);
    return this.#transaction(database, (client) => this.#updateOne(client, meta, update), `update a row of "${table}"`);
  }

  async bulkUpdate(database: string, table: string, updates: readonly RowUpdate[]): Promise<number> {
    if (!Array.isArray(updates) || updates.length === 0) throw new InvalidInputError('The bulk update has no rows.', 'updates');
    if (updates.length > MAX_BULK_UPDATES) {
      throw new InvalidInputError(`A bulk update may change at most ${MAX_BULK_UPDATES} rows; this one has ${updates.length}.`, 'updates');
    }
    const meta = await this.#editableTable(database, table);
    return this.#transaction(
      database,
      async (client) => {
        for (const update of updates) await this.#updateOne(client, meta, update);
        return updates.length;
      },
      `update rows of "${table}"`,
    );
  }

  async deleteRow(database: string, table: string, key: RowKey): Promise<void> {
    const meta = await this.#editableTable(database, table);
    await this.#transaction(
      database,
      async (client) => {
        const params = new Params();
        const where = whereKey(keyableColumns(meta), requireObject(key, 'key'), meta.displayName, params);
        const result = await client.query(`DELETE FROM ${qualifiedName(meta.schema, meta.name)} WHERE ${where}`, params.values);
        guardExactlyOne(result.rowCount ?? 0, 'delete', meta.displayName);
      },
      `delete a row of "${table}"`,
    );
  }

  async dropTable(database: string, table: string): Promise<void> {
    const meta = await this.#tableMeta(database, table);
    const statement =
      meta.relkind === 'v' ? 'DROP VIEW' : meta.relkind === 'm' ? 'DROP MATERIALIZED VIEW' : meta.relkind === 'f' ? 'DROP FOREIGN TABLE' : 'DROP TABLE';
    try {
      await this.#run(database, `${statement} ${qualifiedName(meta.schema, meta.name)}`, [], `drop "${table}"`);
    } finally {
      this.#tableCache.forget(database);
    }
  }

  async query(database: string, text: string, options: QueryOptions): Promise<QueryResult> {
    this.#assertOpen();
    await this.#requireDatabase(database);
    try {
      return await runConsoleQuery({ ...this.#target, password: this.#password }, database, text, options);
    } finally {
      // The console runs any statement, DDL included: readRows reads this database's tables afresh.
      this.#tableCache.forget(database);
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed) throw new InvalidInputError('This session is closed.', 'session');
  }

  /** The pool of one database, created on first use; the least recently used one closes beyond {@link MAX_POOLS}. */
  #pool(database: string): pg.Pool {
    this.#assertOpen();
    quoteIdent(database, 'database');
    const existing = this.#pools.get(database);
    if (existing) {
      // Re-insert so the map's order is least recently used first.
      this.#pools.delete(database);
      this.#pools.set(database, existing);
      return existing;
    }
    if (this.#pools.size >= MAX_POOLS) {
      const [oldest] = this.#pools.keys();
      if (oldest !== undefined) void this.#closePool(oldest);
    }
    const pool = new (pgDriver.loaded().Pool)({
      ...clientConfig(this.#target, database, { password: () => this.#password }),
      max: POOL_SIZE_PER_DATABASE,
      idleTimeoutMillis: 30_000,
    });
    // An idle connection the server ended (DROP DATABASE … FORCE, restart) must not crash the process.
    pool.on('error', () => undefined);
    this.#pools.set(database, pool);
    return pool;
  }

  async #closePool(database: string): Promise<void> {
    const pool = this.#pools.get(database);
    if (!pool) return;
    this.#pools.delete(database);
    this.#tableCache.forget(database);
    await pool.end().catch(() => undefined);
  }

  #secrets(): string[] {
    return [this.#password, this.#target.password];
  }

  /** Runs one statement; errors become EngineErrors without secrets. */
  async #run(database: string, sql: string, params: unknown[] = [], action?: string): Promise<pg.QueryResult> {
    try {
      return await this.#pool(database).query(sql, params);
    } catch (error) {
      throw translateError(error, { secrets: this.#secrets(), ...(action ? { action } : {}) });
    }
  }

  /** BEGIN … COMMIT on one client of the pool; any error rolls everything back. */
  async #transaction<T>(database: string, work: (client: pg.PoolClient) => Promise<T>, action?: string): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.#pool(database).connect();
    } catch (error) {
      throw translateError(error, { secrets: this.#secrets(), ...(action ? { action } : {}) });
    }
    let broken = false;
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection is unusable; the pool must not hand it out again
      }
      throw translateError(error, { secrets: this.#secrets(), ...(action ? { action } : {}) });
    } finally {
      client.release(broken);
    }
  }

  async #databaseExists(database: string): Promise<boolean> {
    quoteIdent(database, 'database');
    const result = await this.#run(this.#maintenanceDatabase, 'SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    return (result.rowCount ?? 0) > 0;
  }

  /** Checked before a pool is opened, so a mistyped name never leaves a pool (or a login attempt) behind. */
  async #requireDatabase(database: string): Promise<void> {
    if (this.#pools.has(database)) return;
    if (!(await this.#databaseExists(database))) throw new NotFoundError(`Database "${printable(database)}" does not exist.`);
  }

  /** Finds `table` (in `public`, or `schema.table`) with its columns and key, or NotFound. */
  async #tableMeta(database: string, table: string): Promise<TableMeta> {
    quoteIdent(database, 'database');
    if (typeof table !== 'string' || table.length === 0) throw new InvalidInputError('The table name must not be empty.', 'table');
    if (table.length > 255 || table.includes('\u0000')) throw new InvalidInputError('The table name is not a valid PostgreSQL name.', 'table');
    await this.#requireDatabase(database);
    const dot = table.indexOf('.');
    // The relation and its columns with the key in one statement: one row per column, or one row
    // of NULL column fields for a relation without columns; none when there is no such relation.
    const found = await this.#run(
      database,
      `SELECT r.oid::int8::text AS oid, r.schema, r.name, r.kind,
              a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type, format_type(a.atttypid, NULL) AS cast_type,
              NOT a.attnotnull AS nullable, array_position(i.indkey::int2[], a.attnum) AS key_position
         FROM (SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${USER_SCHEMA_FILTER}
                  AND ((n.nspname = 'public' AND c.relname = $1) OR (n.nspname = $2 AND c.relname = $3))
                ORDER BY (n.nspname = 'public' AND c.relname = $1) DESC LIMIT 1) r
         LEFT JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
         LEFT JOIN pg_index i ON i.indrelid = r.oid AND i.indisprimary
        ORDER BY a.attnum`,
      [table, dot > 0 ? table.slice(0, dot) : null, dot > 0 ? table.slice(dot + 1) : null],
    );
    const relation = found.rows[0] as { oid: string; schema: string; name: string; kind: string } | undefined;
    if (!relation) throw new NotFoundError(`Table "${printable(table)}" does not exist in database "${printable(database)}".`);
    const rows = (found.rows as { column_name: string | null; type: string; cast_type: string; nullable: boolean; key_position: number | null }[])
      .filter((row) => row.column_name !== null)
      .map((row) => ({ ...row, name: row.column_name! }));
    const columns: ColumnMeta[] = rows.map((row) => ({
      name: row.name,
      type: row.type,
      castType: row.cast_type,
      nullable: row.nullable,
      isPrimaryKey: row.key_position !== null,
    }));
    const primaryKey = rows
      .filter((row) => row.key_position !== null)
      .sort((a, b) => (a.key_position ?? 0) - (b.key_position ?? 0))
      .map((row) => columns.find((column) => column.name === row.name)!);
    const displayName = relation.schema === 'public' ? relation.name : `${relation.schema}.${relation.name}`;
    // Without a primary key a plain table's rows are still told apart by their physical address
    // (ctid); other relation kinds have no stable row identity Krint can page or edit by.
    const usesCtid = primaryKey.length === 0 && (relation.kind === 'r' || relation.kind === 'm');
    let readOnlyReason: string | null = null;
    if (relation.kind !== 'r' && relation.kind !== 'p') {
      readOnlyReason = `"${displayName}" is a ${TABLE_KINDS[relation.kind] ?? 'relation'}; Krint edits rows of tables only.`;
    } else if (relation.kind === 'p' && primaryKey.length === 0) {
      readOnlyReason = `Partitioned table "${displayName}" has no primary key, so its rows cannot be told apart; add one to page and edit it.`;
    }
    return {
      database,
      oid: Number(relation.oid),
      schema: relation.schema,
      name: relation.name,
      displayName,
      relkind: relation.kind,
      columns,
      keyColumns: usesCtid ? [CTID_COLUMN] : primaryKey,
      usesCtid,
      readOnlyReason,
    };
  }

  async #editableTable(database: string, table: string): Promise<TableMeta> {
    const meta = await this.#tableMeta(database, table);
    if (meta.readOnlyReason) throw new InvalidInputError(meta.readOnlyReason, 'table');
    return meta;
  }

  /**
   * UPDATE … RETURNING with the exactly-one-row guard; runs inside the caller's transaction, which
   * rolls back when the guard throws.
   */
  async #updateOne(client: pg.PoolClient, meta: TableMeta, update: RowUpdate): Promise<Row> {
    const request = requireObject(update, 'update') as unknown as RowUpdate;
    const params = new Params();
    const set = setClause(meta.columns, requireObject(request.changes, 'changes'), meta.displayName, params);
    const keyColumns = keyableColumns(meta);
    const conditions = [whereKey(keyColumns, requireObject(request.key, 'key'), meta.displayName, params)];
    if (request.expected !== undefined) {
      conditions.push(...whereExpected(meta.columns, requireObject(request.expected, 'expected'), meta.displayName, params));
    }
    const target = qualifiedName(meta.schema, meta.name);
    const result = await client.query(
      `UPDATE ${target} SET ${set} WHERE ${conditions.join(' AND ')} RETURNING ${meta.usesCtid ? 'ctid, *' : '*'}`,
      params.values,
    );
    const changed = result.rowCount ?? 0;
    if (changed === 0 && request.expected !== undefined) {
      const keyParams = new Params();
      const byKey = await client.query(`SELECT 1 FROM ${target} WHERE ${whereKey(keyColumns, request.key, meta.displayName, keyParams)} LIMIT 1`, keyParams.values);
      if ((byKey.rowCount ?? 0) > 0) {
        throw new ConflictError(`The row of "${meta.displayName}" was changed since it was read; nothing was updated. Reload it and try again.`);
      }
    }
    guardExactlyOne(changed, 'update', meta.displayName);
    return result.rows[0] as Row;
  }

  /** Exact count for small heaps; otherwise the statistics, scaled to the heap's current size. */
  async #rowCount(database: string, from: string, stats: TableStats, allowPlanner: boolean): Promise<{ value?: number; estimate: boolean; planner: boolean }> {
    const bytes = stats.bytes ?? 0;
    if (bytes <= EXACT_COUNT_MAX_BYTES) {
      const counted = await this.#run(database, `SELECT count(*)::int8 AS n FROM ${from}`);
      return { value: Number((counted.rows[0] as { n: string }).n), estimate: false, planner: false };
    }
    if (stats.reltuples >= 0) {
      const pages = bytes / stats.block_size;
      const value = stats.relpages > 0 ? Math.round((stats.reltuples / stats.relpages) * pages) : Math.round(stats.reltuples);
      return { value, estimate: true, planner: false };
    }
    if (!allowPlanner) return { estimate: true, planner: false };
    // Never analysed: the planner still estimates from the heap's size.
    const plan = await this.#run(database, `EXPLAIN (FORMAT JSON) SELECT 1 FROM ${from}`);
    const document = (plan.rows[0] as Record<string, unknown>)['QUERY PLAN'] as [{ Plan: { 'Plan Rows': number } }];
    const rows = Number(document[0]?.Plan['Plan Rows']);
    return Number.isFinite(rows) ? { value: rows, estimate: true, planner: true } : { estimate: true, planner: true };
  }

  async #tableTotal(meta: TableMeta): Promise<{ value?: number; estimate: boolean }> {
    if (meta.relkind !== 'r' && meta.relkind !== 'm') return { estimate: true };
    const stats = await this.#run(
      meta.database,
      `SELECT c.reltuples::float8 AS reltuples, c.relpages AS relpages, pg_relation_size(c.oid)::float8 AS bytes,
              current_setting('block_size')::int AS block_size
         FROM pg_class c WHERE c.oid = $1::oid`,
      [String(meta.oid)],
    );
    const row = stats.rows[0] as TableStats | undefined;
    if (!row) return { estimate: true };
    return this.#rowCount(meta.database, qualifiedName(meta.schema, meta.name), row, true);
  }
}

/** Statistics read in the page statement; `exact` is the row count, taken only for small tables. */
interface PageStats extends TableStats {
  readonly exact: number | null;
}

/** Only plain and materialized tables have statistics that give a row count. */
function hasRowCount(meta: TableMeta): boolean {
  return meta.relkind === 'r' || meta.relkind === 'm';
}

/**
 * The page statement's extra column: the table's statistics as one text array, and the exact count
 * when the heap is small. An uncorrelated scalar subquery is an InitPlan, run once per statement
 * (and only if a row is returned); the count sits in a CASE branch, so a big table is never counted.
 */
function statsColumn(oid: number, from: string): string {
  return `(SELECT ARRAY[c.reltuples::float8, c.relpages::float8, pg_relation_size(c.oid)::float8, current_setting('block_size')::float8,
                  CASE WHEN pg_relation_size(c.oid) <= ${EXACT_COUNT_MAX_BYTES} THEN (SELECT count(*) FROM ${from})::float8 END]::text
             FROM pg_class c WHERE c.oid = ${Math.trunc(oid)}::oid)`;
}

function parseStats(text: JsonValue | undefined): PageStats | null {
  if (typeof text !== 'string' || !text.startsWith('{')) return null;
  const [reltuples, relpages, bytes, blockSize, exact] = text.slice(1, -1).split(',').map((part) => (part === 'NULL' ? null : Number(part)));
  if (reltuples == null || relpages == null || blockSize == null) return null;
  return { reltuples, relpages, bytes: bytes ?? null, block_size: blockSize, exact: exact ?? null };
}

/**
 * A page statement's result (read as arrays): the rows as objects without the statistics column,
 * whether another page follows, the statistics, and the shape of the result for the metadata check.
 */
class PageRead {
  readonly rows: Row[];
  readonly hasMore: boolean;
  readonly stats: PageStats | null;
  /** The cached estimate the page was read with instead of statistics; null when its total is worked out from this read. */
  readonly knownTotal: RowTotal | null;
  /** Every table column's name, table, column number, type and type modifier, as the server described them (the statistics column left out). */
  readonly shape: string;
  readonly #names: readonly string[];

  constructor(result: pg.QueryArrayResult, limit: number, keyed: boolean, counted: boolean, knownTotal: RowTotal | null) {
    this.knownTotal = knownTotal;
    const fields = result.fields;
    const width = counted ? fields.length - 1 : fields.length;
    this.#names = fields.slice(0, width).map((field) => field.name);
    this.hasMore = keyed && result.rows.length > limit;
    const count = this.hasMore ? limit : result.rows.length;
    // Built like the driver builds row objects: names set on an object without prototype, so any
    // column name (even `__proto__`) becomes an own property, then spread once into a plain object
    // that every row copies cheaply.
    const names = Object.create(null) as Record<string, null>;
    for (const name of this.#names) names[name] = null;
    const template: Row = { ...names };
    this.rows = new Array<Row>(count);
    for (let index = 0; index < count; index++) {
      const values = result.rows[index] as JsonValue[];
      const row: Row = { ...template };
      for (let column = 0; column < width; column++) row[this.#names[column]!] = values[column] ?? null;
      this.rows[index] = row;
    }
    this.stats = counted && result.rows.length > 0 ? parseStats((result.rows[0] as JsonValue[])[width]) : null;
    this.shape = fields.slice(0, width).map((field) => `${field.name}\u0000${field.tableID}\u0000${field.columnID}\u0000${field.dataTypeID}\u0000${field.dataTypeModifier}`).join('\u0001');
  }

  /** True when the result's columns are the table's columns as `meta` lists them (checked before caching `meta`). */
  describesColumnsOf(meta: TableMeta): boolean {
    const names = meta.usesCtid ? this.#names.slice(1) : this.#names;
    return names.length === meta.columns.length && names.every((name, index) => name === meta.columns[index]!.name);
  }
}

/** Columns a row key may name: every column, and `ctid` for plain tables. */
function keyableColumns(meta: TableMeta): readonly ColumnMeta[] {
  return meta.relkind === 'r' ? [...meta.columns, CTID_COLUMN] : meta.columns;
}

/** Exactly one row must have changed; otherwise the caller's transaction rolls back. */
function guardExactlyOne(count: number, verb: 'update' | 'delete', table: string): void {
  if (count === 1) return;
  if (count === 0) throw new NotFoundError(`No row of "${table}" matches the key; nothing was ${verb}d.`);
  throw new ConflictError(`The key matches ${count} rows of "${table}", not one; nothing was ${verb}d. Use the primary key.`);
}

function columnInfo(column: ColumnMeta): ColumnInfo {
  return { name: column.name, type: column.type, nullable: column.nullable, isPrimaryKey: column.isPrimaryKey };
}

function clampPageSize(limit: number): number {
  if (!Number.isFinite(limit) || limit < 1) return 1;
  return Math.min(Math.floor(limit), MAX_PAGE_SIZE);
}

function printable(name: string): string {
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 60 ? `${clean.slice(0, 60)}…` : clean;
}
