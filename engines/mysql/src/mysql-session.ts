import type { FieldPacket, ResultSetHeader, RowDataPacket } from 'mysql2';
import type mysql from 'mysql2/promise';
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
  type PageRequest,
  type QueryOptions,
  type QueryResult,
  type Row,
  type RowKey,
  type RowPage,
  type RowUpdate,
  type TableInfo,
} from '@krint/engine-sdk';
import { connectionOptions, probe } from './mysql-connection.js';
import { SYSTEM_DATABASES, type MysqlDialect } from './mysql-dialect.js';
import { mysqlPromiseDriver } from './mysql-driver.js';
import { errorNumber, translateError } from './mysql-errors.js';
import { qualifiedTable, quoteIdentifier } from './mysql-identifiers.js';
import { runConsoleQuery } from './mysql-query.js';
import {
  insertColumns,
  keysetAfter,
  orderByKey,
  sameJson,
  setClause,
  whereKey,
  type ColumnMeta,
  type Fragment,
} from './mysql-statements.js';
import { MysqlUserAdmin } from './mysql-users.js';
import { rowFromDriver } from './mysql-values.js';

/** Connections one session keeps open at most; console queries use their own. */
const POOL_SIZE = 4;
/** Below this estimated size a table's total is counted exactly for the page footer. */
const EXACT_COUNT_BELOW = 10_000;
/** Most updates one bulk call may carry. */
const MAX_BULK_UPDATES = 1000;
/**
 * How long readRows trusts a table's cached columns and key without reading information_schema
 * again (three statements). Every page also compares the columns the server describes (names,
 * types, key and NOT NULL flags) with the cached ones, so a change is noticed at once; the TTL
 * bounds what that cannot see (a table replaced by an identical one, a new unique key). A big
 * table's estimated total lives as long as its cached entry; small tables are counted with every page.
 */
const TABLE_META_TTL_MS = 10_000;
/** Tables whose metadata one session caches for readRows; the oldest entry is dropped beyond this. */
const MAX_CACHED_TABLES = 256;
/** Server errors that a page statement built from outdated metadata may raise: no such table, column or database. */
const STALE_METADATA_ERRORS: ReadonlySet<number> = new Set([1146, 1054, 1049]);

/** How rows of a table are identified, and why they cannot be when they cannot. */
interface TableMeta {
  readonly database: string;
  readonly table: string;
  readonly kind: 'table' | 'view';
  readonly columns: readonly ColumnMeta[];
  /** Primary key, else the shortest unique key whose columns are all NOT NULL; empty when neither exists. */
  readonly keyColumns: readonly ColumnMeta[];
  /** Set when rows cannot be paged past the first page or edited. */
  readonly readOnlyReason: string | null;
}

type Queryable = Pick<mysql.Connection, 'query'>;

type RowTotal = Pick<RowPage, 'total' | 'totalIsEstimate'>;

/**
 * A table's metadata as readRows caches it. Its estimate is a big table's estimated total, reused
 * for as long as the entry lives (at most {@link TABLE_META_TTL_MS}); exact counts are never reused.
 */
type CachedTable = CachedTableMeta<TableMeta, RowTotal>;

/** A SELECT's rows as JSON, with the fields the server described and the column names the rows use. */
interface ArrayResult {
  readonly rows: Row[];
  readonly fields: FieldPacket[];
  readonly names: readonly string[];
}

/** A page statement's rows and the shape of its result. */
interface PageRead {
  readonly rows: Row[];
  readonly names: readonly string[];
  /** Every result column's name, origin, type, length and flags; any change means the table changed. */
  readonly shape: string;
}

/**
 * An {@link EngineSession} on a MySQL or MariaDB server (which one is the `dialect`). Tables are
 * always addressed as `` `db`.`table` ``, so one small pool serves every database; console queries
 * get a connection of their own so their session changes (`USE`, `SET`) stay with them.
 */
export class MysqlSession implements EngineSession {
  readonly users: MysqlUserAdmin;
  readonly #pool: mysql.Pool;
  readonly #target: ConnectionTarget;
  readonly #dialect: MysqlDialect;
  /** readRows' table metadata by database and table name (see {@link TABLE_META_TTL_MS}). */
  readonly #tableCache = new TableMetaCache<TableMeta, PageRead, RowTotal>(TABLE_META_TTL_MS, MAX_CACHED_TABLES);
  #closed = false;

  constructor(target: ConnectionTarget, dialect: MysqlDialect) {
    this.#target = target;
    this.#dialect = dialect;
    this.#pool = mysqlPromiseDriver.loaded().createPool({
      ...connectionOptions(target, target.database),
      connectionLimit: POOL_SIZE,
      maxIdle: 1,
      idleTimeout: 60_000,
      queueLimit: 100,
    });
    this.#pool.pool.on('connection', (connection) => {
      // Queued before the statement that asked for the connection, so it runs first. Errors are
      // ignored: the one to expect is an unknown variable (a MySQL-only setting on MariaDB).
      for (const statement of dialect.sessionSetup) connection.query(statement, () => undefined);
    });
    this.users = new MysqlUserAdmin((sql, params) => this.#rawQuery(sql, params), dialect, target.password);
  }

  async ping(): Promise<void> {
    await this.#run('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#tableCache.clear();
    await this.#pool.end().catch(() => undefined);
  }

  // ---- databases -------------------------------------------------------------------------------

  async listDatabases(): Promise<DatabaseInfo[]> {
    const rows = await this.#run<RowDataPacket[]>(
      `SELECT s.SCHEMA_NAME AS name,
              (SELECT SUM(t.DATA_LENGTH + t.INDEX_LENGTH) FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = s.SCHEMA_NAME) AS size
         FROM information_schema.SCHEMATA s ORDER BY s.SCHEMA_NAME`,
    );
    return rows.map((row) => {
      const name = String(row.name);
      const size = row.size === null ? undefined : Number(row.size);
      return { name, ...(size === undefined ? {} : { sizeBytes: size }), isSystem: SYSTEM_DATABASES.has(name) };
    });
  }

  async createDatabase(name: string): Promise<void> {
    assertCreatableName(name, 'database');
    // utf8mb4 explicitly: MariaDB 10.11 still defaults to latin1.
    await this.#run(`CREATE DATABASE ${quoteIdentifier(name, 'database')} CHARACTER SET utf8mb4`, [], `create database "${name}"`);
  }

  async dropDatabase(name: string): Promise<void> {
    quoteIdentifier(name, 'database');
    if (SYSTEM_DATABASES.has(name.toLowerCase())) {
      throw new InvalidInputError(`"${name}" is a ${this.#dialect.productName} system database and cannot be dropped.`, 'database');
    }
    try {
      await this.#run(`DROP DATABASE ${quoteIdentifier(name, 'database')}`, [], `drop database "${name}"`);
    } finally {
      this.#tableCache.forget(name);
    }
  }

  // ---- tables ----------------------------------------------------------------------------------

  async listTables(database: string): Promise<TableInfo[]> {
    quoteIdentifier(database, 'database');
    await this.#requireDatabase(database);
    const rows = await this.#run<RowDataPacket[]>(
      `SELECT TABLE_NAME AS name, TABLE_TYPE AS type, TABLE_ROWS AS estimate
         FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME`,
      [database],
    );
    return rows.map((row) => {
      const isView = String(row.type) === 'VIEW';
      return {
        name: String(row.name),
        kind: isView ? 'view' : 'table',
        ...(isView || row.estimate === null ? {} : { rowCount: Number(row.estimate), rowCountIsEstimate: true }),
      };
    });
  }

  async describeTable(database: string, table: string): Promise<ColumnInfo[]> {
    const meta = await this.#tableMeta(database, table);
    return meta.columns.map(columnInfo);
  }

  async countRows(database: string, table: string): Promise<number> {
    const rows = await this.#run<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM ${qualifiedTable(database, table)}`, [], `count rows of "${table}"`);
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * One statement per page while the table's metadata is cached (and, for a small table, the
   * statistics and the exact count); the page's own result description keeps the cache honest.
   */
  async readRows(database: string, table: string, page: PageRequest): Promise<RowPage> {
    const { entry, read } = await this.#tableCache.read(database, table, {
      loadMeta: () => this.#tableMeta(database, table),
      readCached: (cached) => this.#readPage(cached.meta, page, table, true),
      readFresh: async (meta) => (await this.#readPage(meta, page, table, false))!,
      describes: (read, meta) => read.names.length === meta.columns.length && read.names.every((name, index) => name === meta.columns[index]!.name),
    });
    return this.#rowPage(entry, read, page);
  }

  /**
   * Runs the page statement. With `stale` set a failure that may come from outdated metadata (see
   * {@link STALE_METADATA_ERRORS}) returns null so the caller reads information_schema again.
   */
  async #readPage(meta: TableMeta, page: PageRequest, table: string, stale: boolean): Promise<PageRead | null> {
    const limit = clampPageSize(page.limit);
    const from = qualifiedTable(meta.database, meta.table);
    let sql: string;
    let params: unknown[] = [];
    if (meta.keyColumns.length === 0) {
      if (page.cursor) throw new InvalidInputError(meta.readOnlyReason ?? 'This table cannot be paged.', 'cursor');
      // Without a key there is no stable order to continue from, and OFFSET would rescan the
      // table on every page: only the first page is shown (see readOnlyReason).
      sql = `SELECT * FROM ${from} LIMIT ${limit}`;
    } else {
      const order = orderByKey(meta.keyColumns);
      let where = '';
      if (page.cursor) {
        const after = keysetAfter(meta.keyColumns, decodeCursor(page.cursor));
        where = ` WHERE ${after.sql}`;
        params = after.params;
      }
      sql = `SELECT * FROM ${from}${where} ORDER BY ${order} LIMIT ${limit + 1}`;
    }
    let result: ArrayResult;
    try {
      result = await this.#queryArrays(this.#pool, sql, params);
    } catch (error) {
      if (stale && STALE_METADATA_ERRORS.has(errorNumber(error) ?? 0)) return null;
      throw translateError(error, { product: this.#dialect.productName, secrets: [this.#target.password], action: `read rows of "${table}"` });
    }
    const { rows, fields, names } = result;
    return {
      rows,
      names,
      shape: fields.map((field) => [field.name, field.orgTable, field.orgName, field.columnType, field.columnLength, field.decimals, String(field.flags)].join('\u0000')).join('\u0001'),
    };
  }

  async #rowPage(entry: CachedTable, read: PageRead, page: PageRequest): Promise<RowPage> {
    const { meta } = entry;
    const limit = clampPageSize(page.limit);
    const hasMore = meta.keyColumns.length > 0 && read.rows.length > limit;
    const pageRows = hasMore ? read.rows.slice(0, limit) : read.rows;
    const last = pageRows[pageRows.length - 1];
    let total = entry.estimate;
    if (!total) {
      total = await this.#total(meta);
      if (total.totalIsEstimate) entry.estimate = total;
    }
    return {
      columns: meta.columns.map(columnInfo),
      rows: pageRows,
      keyColumns: meta.readOnlyReason ? [] : meta.keyColumns.map((c) => c.name),
      nextCursor: hasMore && last ? encodeCursor(meta.keyColumns.map((c) => last[c.name] ?? null)) : null,
      ...(meta.readOnlyReason ? { keyNote: meta.readOnlyReason } : {}),
      ...total,
    };
  }

  async insertRow(database: string, table: string, values: Row): Promise<Row> {
    const meta = await this.#editableTable(database, table);
    const from = qualifiedTable(database, table);
    const insert = insertColumns(meta.columns, requireObject(values, 'values'), table);
    return this.#inTransaction(`insert a row into "${table}"`, async (connection) => {
      const [result] = await connection.query<ResultSetHeader>(
        `INSERT INTO ${from} (${insert.names}) VALUES (${insert.placeholders})`,
        insert.params,
      );
      const identity: Row = {};
      for (const column of meta.keyColumns) {
        const given = values[column.name];
        if (given !== undefined) identity[column.name] = given;
        else if (column.autoIncrement && result.insertId) identity[column.name] = String(result.insertId);
        else {
          throw new InvalidInputError(
            `Key column "${column.name}" has no value and is not AUTO_INCREMENT; give it a value so the new row can be found.`,
            column.name,
          );
        }
      }
      const stored = await this.#rowsByKey(connection, meta, identity);
      if (stored.length !== 1) throw new ConflictError(`The new row in "${table}" could not be read back by its key.`);
      return stored[0]!;
    });
  }

  async updateRow(database: string, table: string, update: RowUpdate): Promise<Row> {
    const meta = await this.#editableTable(database, table);
    return this.#inTransaction(`update a row of "${table}"`, (connection) => this.#updateOne(connection, meta, update));
  }

  async bulkUpdate(database: string, table: string, updates: readonly RowUpdate[]): Promise<number> {
    if (!Array.isArray(updates) || updates.length === 0) throw new InvalidInputError('The bulk update has no rows.', 'updates');
    if (updates.length > MAX_BULK_UPDATES) {
      throw new InvalidInputError(`A bulk update may change at most ${MAX_BULK_UPDATES} rows; this one has ${updates.length}.`, 'updates');
    }
    const meta = await this.#editableTable(database, table);
    return this.#inTransaction(`update rows of "${table}"`, async (connection) => {
      for (const update of updates) await this.#updateOne(connection, meta, update);
      return updates.length;
    });
  }

  async deleteRow(database: string, table: string, key: RowKey): Promise<void> {
    const meta = await this.#editableTable(database, table);
    await this.#inTransaction(`delete a row of "${table}"`, async (connection) => {
      const where = whereKey(meta.columns, requireObject(key, 'key'), table);
      await this.#lockExactlyOne(connection, meta, where);
      const [result] = await connection.query<ResultSetHeader>(`DELETE FROM ${qualifiedTable(meta.database, meta.table)} WHERE ${where.sql}`, where.params);
      if (result.affectedRows !== 1) throw new ConflictError(`Deleting the row would have removed ${result.affectedRows} rows; nothing was deleted.`);
    });
  }

  async dropTable(database: string, table: string): Promise<void> {
    const meta = await this.#tableMeta(database, table);
    const statement = meta.kind === 'view' ? 'DROP VIEW' : 'DROP TABLE';
    try {
      await this.#run(`${statement} ${qualifiedTable(database, table)}`, [], `drop "${table}"`);
    } finally {
      this.#tableCache.forget(database);
    }
  }

  async query(database: string, text: string, options: QueryOptions): Promise<QueryResult> {
    try {
      return await runConsoleQuery(this.#target, this.#dialect, database, text, options);
    } finally {
      // The console runs any statement, DDL on any database included: readRows reads tables afresh.
      this.#tableCache.clear();
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  /** Runs one statement on the pool; errors become EngineErrors without the statement text. */
  async #run<T extends RowDataPacket[] | ResultSetHeader = RowDataPacket[]>(sql: string, params: unknown[] = [], action?: string): Promise<T> {
    if (this.#closed) throw new InvalidInputError('This session is closed.', 'session');
    try {
      const [result] = await this.#pool.query<T>(sql, params);
      return result;
    } catch (error) {
      throw translateError(error, { product: this.#dialect.productName, secrets: [this.#target.password], ...(action ? { action } : {}) });
    }
  }

  /** A statement on the pool with the driver's own errors, for callers that look at error numbers. */
  async #rawQuery<T extends RowDataPacket[] | ResultSetHeader>(sql: string, params: unknown[] = []): Promise<T> {
    if (this.#closed) throw new InvalidInputError('This session is closed.', 'session');
    const [result] = await this.#pool.query<T>(sql, params);
    return result;
  }

  async #requireDatabase(database: string): Promise<void> {
    const rows = await this.#run<RowDataPacket[]>('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [database]);
    if (rows.length === 0) throw new NotFoundError(`Database "${database}" does not exist.`);
  }

  /** Columns and the row key of a table, or NotFound naming what is missing. */
  async #tableMeta(database: string, table: string): Promise<TableMeta> {
    quoteIdentifier(database, 'database');
    quoteIdentifier(table, 'table');
    const kinds = await this.#run<RowDataPacket[]>(
      'SELECT TABLE_TYPE AS type FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [database, table],
    );
    if (kinds.length === 0) {
      await this.#requireDatabase(database);
      throw new NotFoundError(`Table "${table}" does not exist in database "${database}".`);
    }
    const kind = String(kinds[0]?.type) === 'VIEW' ? 'view' : 'table';
    const columnRows = await this.#run<RowDataPacket[]>(
      `SELECT COLUMN_NAME AS name, COLUMN_TYPE AS type, IS_NULLABLE AS nullable, COLUMN_KEY AS columnKey, EXTRA AS extra
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
      [database, table],
    );
    const columns: ColumnMeta[] = columnRows.map((row) => ({
      name: String(row.name),
      type: String(row.type),
      nullable: String(row.nullable) === 'YES',
      isPrimaryKey: String(row.columnKey) === 'PRI',
      autoIncrement: /auto_increment/i.test(String(row.extra)),
    }));
    const indexRows = await this.#run<RowDataPacket[]>(
      `SELECT INDEX_NAME AS indexName, COLUMN_NAME AS name, NON_UNIQUE AS nonUnique
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
      [database, table],
    );
    const keyColumns = chooseRowKey(columns, indexRows.map((row) => ({ index: String(row.indexName), column: String(row.name), unique: Number(row.nonUnique) === 0 })));
    let readOnlyReason: string | null = null;
    if (kind === 'view') readOnlyReason = `"${table}" is a view; Krint edits rows of tables only.`;
    else if (keyColumns.length === 0) {
      readOnlyReason = `Table "${table}" has no primary key and no unique key on NOT NULL columns, so its rows cannot be told apart: it is read-only here and only its first page is shown. Add a primary key to page and edit it.`;
    }
    return { database, table, kind, columns, keyColumns: kind === 'view' ? [] : keyColumns, readOnlyReason };
  }

  async #editableTable(database: string, table: string): Promise<TableMeta> {
    const meta = await this.#tableMeta(database, table);
    if (meta.readOnlyReason) throw new InvalidInputError(meta.readOnlyReason, 'table');
    return meta;
  }

  async #total(meta: TableMeta): Promise<RowTotal> {
    if (meta.kind === 'view') return {};
    const rows = await this.#run<RowDataPacket[]>(
      'SELECT TABLE_ROWS AS estimate FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?',
      [meta.database, meta.table],
    );
    const estimate = rows[0]?.estimate === null || rows[0]?.estimate === undefined ? null : Number(rows[0].estimate);
    if (estimate !== null && estimate >= EXACT_COUNT_BELOW) return { total: estimate, totalIsEstimate: true };
    return { total: await this.countRows(meta.database, meta.table), totalIsEstimate: false };
  }

  /**
   * Runs a SELECT with rows as arrays and turns them into JSON rows with the result's fields. The
   * driver's errors come through as they are, for callers that look at error numbers.
   */
  async #queryArrays(connection: Queryable, sql: string, params: unknown[]): Promise<ArrayResult> {
    const [values, fields] = (await connection.query({ sql, rowsAsArray: true }, params)) as unknown as [unknown[][], FieldPacket[]];
    const names = fields.map((field) => field.name);
    return { rows: values.map((row) => rowFromDriver(row, fields, names)), fields, names };
  }

  /** {@link #queryArrays} with errors as EngineErrors that say what was being done. */
  async #selectRows(connection: Queryable, sql: string, params: unknown[], action: string): Promise<Row[]> {
    try {
      return (await this.#queryArrays(connection, sql, params)).rows;
    } catch (error) {
      throw translateError(error, { product: this.#dialect.productName, secrets: [this.#target.password], action });
    }
  }

  async #rowsByKey(connection: Queryable, meta: TableMeta, key: Row): Promise<Row[]> {
    const where = whereKey(meta.columns, key, meta.table);
    return this.#selectRows(connection, `SELECT * FROM ${qualifiedTable(meta.database, meta.table)} WHERE ${where.sql} LIMIT 2`, where.params, `read a row of "${meta.table}"`);
  }

  /** Locks the rows `where` matches and insists on exactly one: 0 → NotFound, more → Conflict. */
  async #lockExactlyOne(connection: Queryable, meta: TableMeta, where: Fragment): Promise<Row> {
    const rows = await this.#selectRows(
      connection,
      `SELECT * FROM ${qualifiedTable(meta.database, meta.table)} WHERE ${where.sql} LIMIT 2 FOR UPDATE`,
      where.params,
      `find the row in "${meta.table}"`,
    );
    if (rows.length === 0) throw new NotFoundError(`No row of "${meta.table}" matches the given key; it may have been deleted.`);
    if (rows.length > 1) throw new ConflictError(`The given key matches more than one row of "${meta.table}"; nothing was changed.`);
    return rows[0]!;
  }

  async #updateOne(connection: Queryable, meta: TableMeta, update: RowUpdate): Promise<Row> {
    requireObject(update, 'update');
    const where = whereKey(meta.columns, requireObject(update.key, 'key'), meta.table);
    const set = setClause(meta.columns, requireObject(update.changes, 'changes'), meta.table);
    const current = await this.#lockExactlyOne(connection, meta, where);
    if (update.expected) {
      for (const [column, seen] of Object.entries(requireObject(update.expected, 'expected'))) {
        if (!(column in current)) throw new InvalidInputError(`Table "${meta.table}" has no column "${column}".`, 'expected');
        if (!sameJson(current[column], seen)) {
          throw new ConflictError(`The row of "${meta.table}" changed since it was read (column "${column}"); nothing was changed.`);
        }
      }
    }
    await connection.query(`UPDATE ${qualifiedTable(meta.database, meta.table)} SET ${set.sql} WHERE ${where.sql}`, [...set.params, ...where.params]);
    const identity: Row = {};
    for (const column of meta.keyColumns) identity[column.name] = update.changes[column.name] ?? current[column.name] ?? null;
    const stored = await this.#rowsByKey(connection, meta, identity);
    if (stored.length !== 1) throw new ConflictError(`The updated row of "${meta.table}" could not be read back; nothing was changed.`);
    return stored[0]!;
  }

  /** Runs `work` in one transaction on one pooled connection; any error rolls everything back. */
  async #inTransaction<T>(action: string, work: (connection: mysql.PoolConnection) => Promise<T>): Promise<T> {
    if (this.#closed) throw new InvalidInputError('This session is closed.', 'session');
    let connection: mysql.PoolConnection;
    try {
      connection = await this.#pool.getConnection();
    } catch (error) {
      throw translateError(error, { product: this.#dialect.productName, secrets: [this.#target.password], action });
    }
    try {
      await connection.beginTransaction();
      const result = await work(connection);
      await connection.commit();
      return result;
    } catch (error) {
      await connection.rollback().catch(() => undefined);
      throw translateError(error, { product: this.#dialect.productName, secrets: [this.#target.password], action });
    } finally {
      connection.release();
    }
  }
}

/** Opens a session and proves the login works, so a wrong password fails here with a clear error. */
export async function openMysqlSession(target: ConnectionTarget, dialect: MysqlDialect): Promise<MysqlSession> {
  await mysqlPromiseDriver.load();
  const session = new MysqlSession(target, dialect);
  try {
    await session.ping();
    return session;
  } catch (error) {
    await session.close();
    throw error;
  }
}

/** The readiness probe: a fresh connection and `SELECT 1`. */
export function probeMysql(target: ConnectionTarget, dialect: MysqlDialect): Promise<void> {
  return probe(target, dialect);
}

/**
 * The key rows are paged and edited by: the primary key, else the unique index with the fewest
 * columns that are all NOT NULL (a unique key over nullable columns allows repeated NULLs).
 */
export function chooseRowKey(columns: readonly ColumnMeta[], indexColumns: readonly { index: string; column: string; unique: boolean }[]): ColumnMeta[] {
  const byIndex = new Map<string, string[]>();
  for (const entry of indexColumns) {
    if (!entry.unique) continue;
    byIndex.set(entry.index, [...(byIndex.get(entry.index) ?? []), entry.column]);
  }
  const resolve = (names: readonly string[]) => names.map((name) => columns.find((c) => c.name === name));
  const primary = byIndex.get('PRIMARY');
  if (primary) {
    const resolved = resolve(primary);
    if (resolved.every((c) => c !== undefined)) return resolved as ColumnMeta[];
  }
  const candidates = [...byIndex.entries()]
    .filter(([index]) => index !== 'PRIMARY')
    .map(([index, names]) => ({ index, columns: resolve(names) }))
    .filter((candidate) => candidate.columns.every((c) => c !== undefined && !c.nullable))
    .sort((a, b) => a.columns.length - b.columns.length || a.index.localeCompare(b.index));
  return (candidates[0]?.columns as ColumnMeta[] | undefined) ?? [];
}

function columnInfo(column: ColumnMeta): ColumnInfo {
  return { name: column.name, type: column.type, nullable: column.nullable, isPrimaryKey: column.isPrimaryKey };
}

function clampPageSize(limit: number): number {
  if (!Number.isFinite(limit)) return 100;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit)));
}

function requireObject<T extends object>(value: T, field: string): T {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidInputError(`The ${field} must be an object of column names and values.`, field);
  }
  return value;
}

