/**
 * What differs between MySQL and MariaDB in the code they share. The MariaDB engine passes its own
 * value of this to the same session, users and backup code; there is no class hierarchy.
 */
export interface MysqlDialect {
  /** The engine id, used in messages: `mysql`, `mariadb`. */
  readonly engineId: string;
  /** The product name people know: `MySQL`, `MariaDB`. */
  readonly productName: string;
  /** The command-line client inside the image (`mysql`, `mariadb`). */
  readonly clientBinary: string;
  /** The dump tool inside the image (`mysqldump`, `mariadb-dump`). */
  readonly dumpBinary: string;
  /**
   * Statements run once on every new connection. An "unknown system variable" error from one of
   * them is ignored, so the MySQL code also runs against a MariaDB server (as it is tested here).
   */
  readonly sessionSetup: readonly string[];
  /**
   * Puts the server-side time limit on a console statement: statements to run first on the same
   * connection and the (possibly rewritten) text. The client-side `KILL QUERY` stays as a backstop.
   */
  limitStatement(text: string, timeoutMs: number): { readonly before: readonly string[]; readonly text: string };
  /** Accounts that come with the server and that Krint never creates, drops or lists as user-made. */
  readonly systemUsers: ReadonlySet<string>;
}

/** Databases the server owns; listed with `isSystem` and never dropped. */
export const SYSTEM_DATABASES: ReadonlySet<string> = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);

/** Server error numbers Krint reacts to; the same in MySQL and MariaDB. */
export const MysqlErrorNumber = {
  accessDenied: 1045,
  dbAccessDenied: 1044,
  databaseExists: 1007,
  databaseMissing: 1008,
  unknownDatabase: 1049,
  unknownTable: 1051,
  tableMissing: 1146,
  tableExists: 1050,
  badField: 1054,
  operationFailedForUser: 1396,
  noSuchGrant: 1141,
  queryInterrupted: 1317,
  unknownSystemVariable: 1193,
  mysqlExecutionTimeExceeded: 3024,
  mariadbStatementTimeExceeded: 1969,
  tableAccessDenied: 1142,
  duplicateEntry: 1062,
} as const;

/** Starts with `SELECT` (after blanks and leading comments), the only statements MAX_EXECUTION_TIME applies to. */
const LEADING_SELECT = /^((?:\s|\/\*(?!\+)[\s\S]*?\*\/|--[^\n]*\n|#[^\n]*\n)*)select\b/i;

/**
 * MySQL: the `MAX_EXECUTION_TIME` optimizer hint, which the server applies to read-only `SELECT`s.
 * Other statements are limited by the client-side `KILL QUERY` alone. MariaDB reads the hint as a
 * plain comment, which is why the same code is harmless there.
 */
export const mysqlDialect: MysqlDialect = {
  engineId: 'mysql',
  productName: 'MySQL',
  clientBinary: 'mysql',
  dumpBinary: 'mysqldump',
  // MySQL 8 caches information_schema table statistics for a day by default; listing tables
  // should show today's estimates.
  sessionSetup: ["SET time_zone = '+00:00'", 'SET SESSION information_schema_stats_expiry = 0'],
  limitStatement(text, timeoutMs) {
    const ms = Math.max(1, Math.floor(timeoutMs));
    if (!LEADING_SELECT.test(text)) return { before: [], text };
    return { before: [], text: text.replace(LEADING_SELECT, `$1SELECT /*+ MAX_EXECUTION_TIME(${ms}) */`) };
  },
  systemUsers: new Set(['root', 'mysql.sys', 'mysql.session', 'mysql.infoschema', 'healthcheck']),
};
