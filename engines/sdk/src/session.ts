import type { UserAdmin } from './users.js';

/** A JSON value as it crosses the API: rows are shown and edited as JSON. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** One row (document, key) as column name → value. */
export type Row = Record<string, JsonValue>;

/**
 * Identifies exactly one row: primary-key columns and their values (`{ id: 7 }`), `{ _id: ... }`
 * for documents, `{ key: 'user:1' }` for Redis.
 */
export type RowKey = Record<string, JsonValue>;

/** Where a session connects. Engines on nodes get a loopback address of the node. */
export interface ConnectionTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Never logged, never put into an error message. */
  readonly password: string;
  /** The database to connect to when the engine needs one; the engine's default otherwise. */
  readonly database?: string;
}

export interface DatabaseInfo {
  readonly name: string;
  /** Size on disk in bytes when the engine reports it cheaply. */
  readonly sizeBytes?: number;
  /** Rows (keys, documents) in the database when the engine reports it cheaply (Redis: INFO keyspace). */
  readonly rowCount?: number;
  /** Engine-owned databases (`postgres`, `mysql`, `admin`) that users should not drop. */
  readonly isSystem?: boolean;
}

export interface TableInfo {
  readonly name: string;
  /** Schema or namespace for engines that have one (PostgreSQL: `public`). */
  readonly schema?: string;
  /** Row count, exact or estimated (see {@link rowCountIsEstimate}). */
  readonly rowCount?: number;
  readonly rowCountIsEstimate?: boolean;
  /** `table`, `view`, `collection`, `string`, `hash`... */
  readonly kind?: string;
}

export interface ColumnInfo {
  readonly name: string;
  /** The engine's type name, e.g. `integer`, `varchar(40)`, `jsonb`. */
  readonly type: string;
  readonly nullable?: boolean;
  readonly isPrimaryKey?: boolean;
}

export interface PageRequest {
  /** Opaque cursor from the previous page's `nextCursor`; absent for the first page. */
  readonly cursor?: string | null;
  /** Rows per page; engines clamp it to {@link MAX_PAGE_SIZE}. */
  readonly limit: number;
}

export const MAX_PAGE_SIZE = 1000;

export interface RowPage {
  readonly columns: readonly ColumnInfo[];
  readonly rows: readonly Row[];
  /** The key column names that identify a row on this page; empty when rows cannot be edited. */
  readonly keyColumns: readonly string[];
  /** Cursor for the next page, `null` on the last page. */
  readonly nextCursor: string | null;
  /**
   * Set when `keyColumns` is not a real key of the table, e.g. PostgreSQL's `ctid` for a table
   * without a primary key: a physical row address that changes when the row is updated. Clients
   * show it so people know why edits may need a reload.
   */
  readonly keyNote?: string;
  /** Total rows in the table when known. */
  readonly total?: number;
  readonly totalIsEstimate?: boolean;
}

export interface RowUpdate {
  readonly key: RowKey;
  /** Column → new value. */
  readonly changes: Row;
  /**
   * Column → value the client last saw. When given, the update applies only if the row still has
   * these values (optimistic concurrency); otherwise it fails with a conflict and changes nothing.
   */
  readonly expected?: Row;
}

export interface QueryOptions {
  /** At most this many rows are returned; the result says when it was truncated. */
  readonly rowLimit: number;
  /** The engine cancels the statement after this long. */
  readonly timeoutMs: number;
}

export interface QueryResult {
  readonly columns: readonly ColumnInfo[];
  readonly rows: readonly Row[];
  /** Rows affected (for writes) or returned before truncation (for reads), when known. */
  readonly rowCount: number | null;
  /** True when more rows existed than `rowLimit`. */
  readonly truncated: boolean;
  /** The engine's command tag, e.g. `SELECT`, `INSERT`. */
  readonly command?: string;
  readonly durationMs: number;
}

/**
 * A connection to one running instance. Members marked optional exist only where the engine's
 * {@link Capabilities} say so; callers turn a missing member into a typed "not supported" error.
 * Names (databases, tables, users) are validated and quoted by the session; callers pass them raw.
 */
export interface EngineSession {
  /** A real round trip with the server; used by readiness checks. */
  ping(): Promise<void>;
  /** Releases the connection(s). Safe to call twice. */
  close(): Promise<void>;

  listDatabases(): Promise<DatabaseInfo[]>;
  createDatabase?(name: string): Promise<void>;
  dropDatabase?(name: string): Promise<void>;

  listTables(database: string): Promise<TableInfo[]>;
  describeTable?(database: string, table: string): Promise<ColumnInfo[]>;
  /** Exact row count, used to verify restores and upgrades. */
  countRows(database: string, table: string): Promise<number>;
  readRows(database: string, table: string, page: PageRequest): Promise<RowPage>;
  /** Inserts one row and returns it as stored (with generated keys). */
  insertRow?(database: string, table: string, values: Row): Promise<Row>;
  /** Updates exactly one row; fails with NotFound (0 rows) or Conflict (changed, or >1 rows). */
  updateRow?(database: string, table: string, update: RowUpdate): Promise<Row>;
  /** Applies all updates in one transaction, or none. Returns how many rows changed. */
  bulkUpdate?(database: string, table: string, updates: readonly RowUpdate[]): Promise<number>;
  /** Deletes exactly one row; fails with NotFound or Conflict like {@link updateRow}. */
  deleteRow?(database: string, table: string, key: RowKey): Promise<void>;
  dropTable?(database: string, table: string): Promise<void>;

  query?(database: string, text: string, options: QueryOptions): Promise<QueryResult>;

  /** User and grant management, where the engine has users. */
  readonly users?: UserAdmin;
}
