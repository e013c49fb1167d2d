import type { ConnectionTarget } from '@krint/engine-sdk';
import { openMysqlSession, probeMysql, type MysqlDialect, type MysqlSession } from '@krint/engine-mysql';

/**
 * What MariaDB does differently from MySQL in the shared session code:
 * - the time limit is `max_statement_time` (seconds, fractions allowed), which covers every
 *   statement, not only SELECT; it is set on the console query's own connection;
 * - the tools are `mariadb` and `mariadb-dump` (MariaDB 11 dropped the `mysql*` names);
 * - its own system accounts (`mariadb.sys`, the unix-socket `mysql` account).
 */
export const mariadbDialect: MysqlDialect = {
  engineId: 'mariadb',
  productName: 'MariaDB',
  clientBinary: 'mariadb',
  dumpBinary: 'mariadb-dump',
  sessionSetup: ["SET time_zone = '+00:00'"],
  limitStatement(text, timeoutMs) {
    const seconds = (Math.max(1, Math.floor(timeoutMs)) / 1000).toFixed(3);
    return { before: [`SET SESSION max_statement_time = ${seconds}`], text };
  },
  systemUsers: new Set(['root', 'mysql', 'mariadb.sys', 'healthcheck']),
};

/** Opens a session on a MariaDB server; the login is checked at once. */
export function openMariadbSession(target: ConnectionTarget): Promise<MysqlSession> {
  return openMysqlSession(target, mariadbDialect);
}

/** Readiness: a fresh connection and `SELECT 1`. */
export function probeMariadb(target: ConnectionTarget): Promise<void> {
  return probeMysql(target, mariadbDialect);
}
