import type pg from 'pg';
import type Cursor from 'pg-cursor';
import { InvalidInputError, type ColumnInfo, type ConnectionTarget, type JsonValue, type QueryOptions, type QueryResult, type Row } from '@krint/engine-sdk';
import { openClient } from './postgres-connection.js';
import { pgCursor } from './postgres-driver.js';
import { errorCode, SqlState, translateError } from './postgres-errors.js';
import { BUILTIN_TYPE_NAMES, jsonSafeTypes } from './postgres-values.js';

/** Longest console statement accepted. */
const MAX_QUERY_TEXT_LENGTH = 1_000_000;
/** Upper bounds whatever the caller asks for. */
const MAX_QUERY_ROWS = 100_000;
const MAX_QUERY_TIMEOUT_MS = 15 * 60_000;
/** How long past the limit the client waits for the server's own cancellation before hanging up. */
const CLIENT_GRACE_MS = 2_000;

/** Validates the console input and brings the limits into range. */
export function checkQueryInput(text: string, options: QueryOptions): { rowLimit: number; timeoutMs: number } {
  if (typeof text !== 'string' || text.trim().length === 0) throw new InvalidInputError('The query is empty.', 'text');
  if (text.length > MAX_QUERY_TEXT_LENGTH) {
    throw new InvalidInputError(`The query is ${text.length} characters long; the limit is ${MAX_QUERY_TEXT_LENGTH}.`, 'text');
  }
  if (text.includes('\u0000')) throw new InvalidInputError('The query must not contain a NUL character.', 'text');
  if (!Number.isInteger(options.rowLimit) || options.rowLimit < 1) {
    throw new InvalidInputError('The row limit must be a whole number of at least 1.', 'rowLimit');
  }
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new InvalidInputError('The time limit must be a positive number of milliseconds.', 'timeoutMs');
  }
  return { rowLimit: Math.min(options.rowLimit, MAX_QUERY_ROWS), timeoutMs: Math.min(Math.ceil(options.timeoutMs), MAX_QUERY_TIMEOUT_MS) };
}

/** The statement's first keyword, upper case, for results whose command tag the server never sent. */
export function firstKeyword(text: string): string {
  const stripped = text.replace(/^(\s|\/\*[\s\S]*?\*\/|--[^\n]*(\n|$))*/, '');
  return (/^[A-Za-z]+/.exec(stripped)?.[0] ?? '').toUpperCase();
}

/** Column names made unique (`?column?`, `?column?_2`) so no value hides another in a row object. */
export function uniqueColumnNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name}_${count}`;
  });
}

/**
 * Runs one console statement on a connection of its own, with two limits:
 * - time: `statement_timeout` is set in the startup packet, so the server cancels the statement
 *   itself; a client timer hangs up if the server has not answered shortly after;
 * - rows: the statement runs through a cursor (an extended-protocol portal) that fetches
 *   `rowLimit + 1` rows and closes, so a huge SELECT is never transferred or held in memory.
 * The portal takes one statement: several statements separated by `;` are refused with a clear error.
 */
export async function runConsoleQuery(target: ConnectionTarget, database: string, text: string, options: QueryOptions): Promise<QueryResult> {
  const { rowLimit, timeoutMs } = checkQueryInput(text, options);
  const QueryCursor = await pgCursor.load();
  const started = performance.now();
  const client = await openClient(target, database, { statementTimeoutMs: timeoutMs });
  let timedOut = false;
  const hangUp = setTimeout(() => {
    timedOut = true;
    void client.end().catch(() => undefined);
  }, timeoutMs + CLIENT_GRACE_MS);
  try {
    const cursor = client.query(new QueryCursor<unknown[]>(text, [], { rowMode: 'array', types: jsonSafeTypes }));
    const { rows, result } = await readCursor(cursor, rowLimit + 1);
    const truncated = rows.length > rowLimit;
    await cursor.close();
    const fields = result.fields ?? [];
    const names = uniqueColumnNames(fields.map((field) => field.name));
    const typeNames = await resolveTypeNames(client, fields.map((field) => field.dataTypeID));
    const columns: ColumnInfo[] = fields.map((field, index) => ({ name: names[index]!, type: typeNames.get(field.dataTypeID) ?? `oid ${field.dataTypeID}` }));
    const kept = truncated ? rows.slice(0, rowLimit) : rows;
    const command = result.command ?? firstKeyword(text);
    const isRead = fields.length > 0;
    return {
      columns,
      rows: kept.map((values) => Object.fromEntries(names.map((name, index) => [name, (values[index] ?? null) as JsonValue]))) satisfies Row[],
      rowCount: isRead ? kept.length : (result.rowCount ?? null),
      truncated,
      command,
      durationMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    if (timedOut || errorCode(error) === SqlState.queryCanceled) {
      throw new InvalidInputError(`The query was cancelled after ${timeoutMs} ms, its time limit.`, 'timeoutMs');
    }
    if (errorCode(error) === '42601' && /multiple commands/.test(String((error as Error).message))) {
      throw new InvalidInputError('The console runs one statement at a time; remove the extra statements after the first ";".', 'text');
    }
    throw translateError(error, { secrets: [target.password] });
  } finally {
    clearTimeout(hangUp);
    await client.end().catch(() => undefined);
  }
}

function readCursor(cursor: Cursor<unknown[]>, count: number): Promise<{ rows: unknown[][]; result: pg.QueryResult }> {
  return new Promise((resolve, reject) => {
    cursor.read(count, (error, rows, result) => (error ? reject(error) : resolve({ rows, result })));
  });
}

/** Type names for result columns: built-ins from the table, the rest (extensions, domains, enums) from `pg_type`. */
async function resolveTypeNames(client: pg.Client, oids: readonly number[]): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  const unknown: number[] = [];
  for (const oid of new Set(oids)) {
    const builtin = BUILTIN_TYPE_NAMES.get(oid);
    if (builtin) names.set(oid, builtin);
    else unknown.push(oid);
  }
  if (unknown.length > 0) {
    const result = await client.query<{ oid: string; name: string }>(
      'SELECT oid::int8::text AS oid, format_type(oid, NULL) AS name FROM pg_type WHERE oid = ANY($1::oid[])',
      [unknown.map(String)],
    );
    for (const row of result.rows) names.set(Number(row.oid), row.name);
  }
  return names;
}
