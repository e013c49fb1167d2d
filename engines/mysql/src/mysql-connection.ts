import type { ConnectionOptions } from 'mysql2';
import type mysql from 'mysql2/promise';
import type { ConnectionTarget } from '@krint/engine-sdk';
import type { MysqlDialect } from './mysql-dialect.js';
import { MysqlErrorNumber } from './mysql-dialect.js';
import { mysqlPromiseDriver } from './mysql-driver.js';
import { errorNumber, translateError } from './mysql-errors.js';

/** Every connection gives up connecting after this long, so an unreachable instance fails fast. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Driver settings shared by every connection: BIGINT and DECIMAL as strings and dates as the
 * server's text (see mysql-values.ts), one statement per call, and `utf8mb4` so every character
 * survives.
 */
export function connectionOptions(target: ConnectionTarget, database?: string): ConnectionOptions {
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    ...(database ? { database } : {}),
    charset: 'utf8mb4_general_ci',
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
    multipleStatements: false,
    connectTimeout: CONNECT_TIMEOUT_MS,
  };
}

/** Runs the dialect's per-connection statements; an unknown system variable is not an error. */
export async function applySessionSetup(connection: mysql.Connection, dialect: MysqlDialect): Promise<void> {
  for (const statement of dialect.sessionSetup) {
    try {
      await connection.query(statement);
    } catch (error) {
      if (errorNumber(error) !== MysqlErrorNumber.unknownSystemVariable) throw error;
    }
  }
}

/**
 * Opens one connection outside any pool (readiness probes, console queries, `KILL QUERY`), with
 * the dialect's setup applied. Login failures become a clear error that never holds the password.
 */
export async function openConnection(target: ConnectionTarget, dialect: MysqlDialect, database?: string): Promise<mysql.Connection> {
  let connection: mysql.Connection | undefined;
  try {
    const { createConnection } = await mysqlPromiseDriver.load();
    connection = await createConnection(connectionOptions(target, database));
    await applySessionSetup(connection, dialect);
    return connection;
  } catch (error) {
    connection?.destroy();
    throw translateError(error, { product: dialect.productName, secrets: [target.password], action: `connect to ${dialect.productName} at ${target.host}:${target.port}` });
  }
}

/** One real round trip: connect, `SELECT 1`, disconnect. The readiness probe of both engines. */
export async function probe(target: ConnectionTarget, dialect: MysqlDialect): Promise<void> {
  const connection = await openConnection(target, dialect);
  try {
    await connection.query('SELECT 1');
  } catch (error) {
    throw translateError(error, { product: dialect.productName, secrets: [target.password] });
  } finally {
    connection.destroy();
  }
}

/** How one product names its URI scheme, CLI and JDBC subprotocol. */
export interface ClientNames {
  readonly uriScheme: string;
  readonly cli: string;
  readonly jdbc: string;
}

/**
 * Connection strings for the common clients. URIs are built with `URL`, so user names and passwords
 * are percent-encoded; the CLI line quotes each argument for POSIX shells.
 */
export function connectionStrings(target: ConnectionTarget, names: ClientNames, defaultDatabase?: string): { label: string; value: string }[] {
  const database = target.database ?? defaultDatabase ?? '';
  // An IPv6 address needs brackets in a URL; without them `URL` would keep its placeholder host.
  const host = target.host.includes(':') && !target.host.startsWith('[') ? `[${target.host}]` : target.host;
  const uri = new URL(`${names.uriScheme}://localhost`);
  uri.hostname = host;
  uri.port = String(target.port);
  uri.username = target.user;
  uri.password = target.password;
  uri.pathname = database ? `/${encodeURIComponent(database)}` : '';
  const jdbc = new URL(`http://localhost`);
  jdbc.hostname = host;
  jdbc.port = String(target.port);
  jdbc.pathname = database ? `/${encodeURIComponent(database)}` : '/';
  jdbc.searchParams.set('user', target.user);
  jdbc.searchParams.set('password', target.password);
  const cli = [names.cli, `--host=${target.host}`, `--port=${target.port}`, `--user=${target.user}`, `--password=${target.password}`];
  if (database) cli.push(database);
  return [
    { label: 'URI', value: uri.toString() },
    { label: names.cli, value: cli.map(shellQuote).join(' ') },
    { label: 'JDBC', value: `jdbc:${names.jdbc}://${jdbc.host}${jdbc.pathname}${jdbc.search}` },
  ];
}

/** Leaves plain words alone and single-quotes anything else for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./~-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
