import type { Connection as CoreConnection, FieldPacket, ResultSetHeader } from 'mysql2';
import { InvalidInputError, type ConnectionTarget, type QueryOptions, type QueryResult, type Row } from '@krint/engine-sdk';
import { connectionOptions, openConnection } from './mysql-connection.js';
import { MysqlErrorNumber, type MysqlDialect } from './mysql-dialect.js';
import { mysqlCallbackDriver } from './mysql-driver.js';
import { errorNumber, translateError } from './mysql-errors.js';
import { quoteIdentifier } from './mysql-identifiers.js';
import { fieldTypeName, rowFromDriver, uniqueColumnNames } from './mysql-values.js';

/** Upper bounds on what a console query may ask for. */
export const MAX_QUERY_ROWS = 100_000;
export const MAX_QUERY_TIMEOUT_MS = 15 * 60_000;
export const MAX_QUERY_TEXT_LENGTH = 1_000_000;
/** How long the client waits after `KILL QUERY` before it drops the connection itself. */
const KILL_GRACE_MS = 3_000;
/**
 * The client-side kill fires this long after the time limit, so the server's own limit (when the
 * dialect has one for the statement) ends it first and the kill only catches what it does not cover.
 */
const CLIENT_BACKSTOP_MS = 250;

/**
 * Runs one console statement on a connection of its own, so `USE`, `SET` and temporary tables stay
 * with the statement and the connection is thrown away afterwards.
 *
 * Limits, on the server and on the client:
 * - time: the dialect's server-side limit (MySQL's `MAX_EXECUTION_TIME` hint for SELECT, MariaDB's
 *   `max_statement_time` for everything) and a client timer that sends `KILL QUERY` from a second
 *   connection, then drops the connection if the server still has not stopped;
 * - rows: rows stream in one at a time; after `rowLimit` the connection stops reading and the
 *   statement is killed, so a huge SELECT never sits in memory.
 */
export async function runConsoleQuery(
  target: ConnectionTarget,
  dialect: MysqlDialect,
  database: string,
  text: string,
  options: QueryOptions,
): Promise<QueryResult> {
  const { rowLimit, timeoutMs } = checkQueryInput(text, options);
  quoteIdentifier(database, 'database');
  const context = { product: dialect.productName, secrets: [target.password] };
  const started = performance.now();
  const connection = await openCoreConnection(target, dialect, database);
  try {
    const limited = dialect.limitStatement(text, timeoutMs);
    for (const statement of limited.before) await coreQuery(connection, statement);
    const outcome = await streamStatement(connection, target, dialect, limited.text, rowLimit, timeoutMs);
    const names = uniqueColumnNames(outcome.fields);
    return {
      columns: outcome.fields.map((field, index) => ({ name: names[index] ?? field.name, type: fieldTypeName(field) })),
      rows: outcome.rows.map((values) => rowFromDriver(values, outcome.fields, names)) satisfies Row[],
      rowCount: outcome.header ? outcome.header.affectedRows : outcome.rows.length,
      truncated: outcome.truncated,
      command: commandTag(text),
      durationMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    if (isTimeout(error)) {
      throw new InvalidInputError(`The query was cancelled after ${timeoutMs} ms, its time limit.`, 'timeoutMs');
    }
    throw translateError(error, context);
  } finally {
    connection.destroy();
  }
}

/** Validates the console input and brings the limits into range. */
export function checkQueryInput(text: string, options: QueryOptions): { rowLimit: number; timeoutMs: number } {
  if (typeof text !== 'string' || text.trim().length === 0) throw new InvalidInputError('The query is empty.', 'text');
  if (text.length > MAX_QUERY_TEXT_LENGTH) {
    throw new InvalidInputError(`The query is ${text.length} characters long; the limit is ${MAX_QUERY_TEXT_LENGTH}.`, 'text');
  }
  if (!Number.isInteger(options.rowLimit) || options.rowLimit < 1) {
    throw new InvalidInputError('The row limit must be a whole number of at least 1.', 'rowLimit');
  }
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new InvalidInputError('The time limit must be a positive number of milliseconds.', 'timeoutMs');
  }
  return { rowLimit: Math.min(options.rowLimit, MAX_QUERY_ROWS), timeoutMs: Math.min(Math.ceil(options.timeoutMs), MAX_QUERY_TIMEOUT_MS) };
}

/** The statement's first keyword, upper case: `SELECT`, `INSERT`, `SHOW`… */
export function commandTag(text: string): string {
  const stripped = text.replace(/^(\s|\/\*[\s\S]*?\*\/|--[^\n]*(\n|$)|#[^\n]*(\n|$))*/, '');
  return (/^[A-Za-z]+/.exec(stripped)?.[0] ?? '').toUpperCase();
}

interface StatementOutcome {
  fields: FieldPacket[];
  rows: unknown[][];
  header: ResultSetHeader | null;
  truncated: boolean;
}

class QueryTimeout extends Error {}

function isTimeout(error: unknown): boolean {
  const errno = errorNumber(error);
  return (
    error instanceof QueryTimeout ||
    errno === MysqlErrorNumber.mysqlExecutionTimeExceeded ||
    errno === MysqlErrorNumber.mariadbStatementTimeExceeded
  );
}

function streamStatement(
  connection: CoreConnection,
  target: ConnectionTarget,
  dialect: MysqlDialect,
  sql: string,
  rowLimit: number,
  timeoutMs: number,
): Promise<StatementOutcome> {
  return new Promise<StatementOutcome>((resolve, reject) => {
    const outcome: StatementOutcome = { fields: [], rows: [], header: null, truncated: false };
    let firstResultHasRows = false;
    let killing = false;
    let timedOut = false;
    let settled = false;
    let graceTimer: NodeJS.Timeout | undefined;

    const finish = (error: unknown | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      if (timedOut) reject(new QueryTimeout());
      else if (error) reject(error);
      else resolve(outcome);
    };
    const kill = () => {
      if (killing) return;
      killing = true;
      void killQuery(target, dialect, connection.threadId).finally(() => connection.resume());
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
      // If the server does not stop in time, stop waiting for it.
      graceTimer = setTimeout(() => {
        connection.destroy();
        finish(null);
      }, KILL_GRACE_MS);
    }, timeoutMs + CLIENT_BACKSTOP_MS);

    const query = connection.query({ sql, rowsAsArray: true });
    query.on('fields', (fields: FieldPacket[] | undefined, index?: number) => {
      if ((index ?? 0) === 0 && fields) {
        outcome.fields = fields;
        firstResultHasRows = true;
      }
    });
    query.on('result', (row: unknown, index?: number) => {
      if ((index ?? 0) !== 0) return;
      if (!firstResultHasRows) {
        outcome.header ??= row as ResultSetHeader;
        return;
      }
      if (outcome.rows.length < rowLimit) {
        outcome.rows.push(row as unknown[]);
        return;
      }
      if (!outcome.truncated) {
        outcome.truncated = true;
        // Stop reading and stop the server: the rest of the result is never transferred.
        connection.pause();
        kill();
      }
    });
    query.on('error', (error: unknown) => {
      // The interruption Krint caused for truncation is the expected end of the statement.
      if (outcome.truncated && !timedOut && errorNumber(error) === MysqlErrorNumber.queryInterrupted) finish(null);
      else finish(error);
    });
    query.on('end', () => finish(null));
  });
}

/** `KILL QUERY` from a second connection; failures are swallowed (the grace timer still bounds the wait). */
async function killQuery(target: ConnectionTarget, dialect: MysqlDialect, threadId: number | null | undefined): Promise<void> {
  if (!Number.isInteger(threadId)) return;
  try {
    const killer = await openConnection(target, dialect);
    try {
      await killer.query(`KILL QUERY ${Number(threadId)}`);
    } finally {
      killer.destroy();
    }
  } catch {
    // The statement may have ended on its own meanwhile; nothing to do.
  }
}

async function openCoreConnection(target: ConnectionTarget, dialect: MysqlDialect, database: string): Promise<CoreConnection> {
  const { createConnection } = await mysqlCallbackDriver.load();
  const connection = createConnection(connectionOptions(target, database));
  connection.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve())));
    for (const statement of dialect.sessionSetup) {
      try {
        await coreQuery(connection, statement);
      } catch (error) {
        if (errorNumber(error) !== MysqlErrorNumber.unknownSystemVariable) throw error;
      }
    }
    return connection;
  } catch (error) {
    connection.destroy();
    throw translateError(error, { product: dialect.productName, secrets: [target.password], action: `open database "${database}"` });
  }
}

function coreQuery(connection: CoreConnection, sql: string): Promise<void> {
  return new Promise<void>((resolve, reject) => connection.query(sql, (error) => (error ? reject(error) : resolve())));
}
