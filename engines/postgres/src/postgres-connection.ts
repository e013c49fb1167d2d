import type pg from 'pg';
import type { ConnectionString, ConnectionTarget } from '@krint/engine-sdk';
import { pgDriver } from './postgres-driver.js';
import { translateError } from './postgres-errors.js';
import { jsonSafeTypes } from './postgres-values.js';

/** The database every instance has; sessions use it for cluster-wide work. */
export const MAINTENANCE_DATABASE = 'postgres';
/** Every connection gives up connecting after this long, so an unreachable instance fails fast. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Settings every Krint connection starts with, sent in the startup packet so they cost no extra
 * round trip: UTC and ISO dates so timestamps convert to ISO 8601 strings, hex bytea, ISO 8601
 * intervals.
 */
const STARTUP_SETTINGS = ['TimeZone=UTC', 'DateStyle=ISO', 'bytea_output=hex', 'IntervalStyle=iso_8601'];

export interface ClientOptions {
  /** Server-side statement limit for this connection, in milliseconds. */
  readonly statementTimeoutMs?: number;
  /** Password source; a function lets a session follow a root password rotation. */
  readonly password?: string | (() => string);
}

/** `pg` client configuration for one database of an instance. */
export function clientConfig(target: ConnectionTarget, database: string, options: ClientOptions = {}): pg.ClientConfig {
  const settings = [...STARTUP_SETTINGS];
  if (options.statementTimeoutMs !== undefined) settings.push(`statement_timeout=${Math.max(1, Math.round(options.statementTimeoutMs))}`);
  return {
    host: target.host,
    port: target.port,
    user: target.user,
    password: options.password ?? target.password,
    database,
    types: jsonSafeTypes,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'krint',
    options: settings.map((setting) => `-c ${setting}`).join(' '),
  };
}

/**
 * Opens one connection outside any pool (probes, console queries). Login failures become an error
 * that names the problem and never holds the password.
 */
export async function openClient(target: ConnectionTarget, database: string, options: ClientOptions = {}): Promise<pg.Client> {
  const { Client } = await pgDriver.load();
  const client = new Client(clientConfig(target, database, options));
  // A server-side disconnect after use must not become an unhandled 'error' event.
  client.on('error', () => undefined);
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw translateError(error, { secrets: [target.password], action: `connect to PostgreSQL at ${target.host}:${target.port} (database "${database}")` });
  }
}

/** The readiness probe: connect, `SELECT 1`, disconnect — a real round trip. */
export async function probePostgres(target: ConnectionTarget): Promise<void> {
  const client = await openClient(target, target.database ?? MAINTENANCE_DATABASE);
  try {
    await client.query('SELECT 1');
  } catch (error) {
    throw translateError(error, { secrets: [target.password] });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * URI, psql and JDBC strings. The URI and JDBC forms are built with `URL`, so names and passwords
 * are percent-encoded; the psql line quotes each word for POSIX shells and passes the password in
 * `PGPASSWORD`, which psql reads without prompting.
 */
export function postgresConnectionStrings(target: ConnectionTarget): ConnectionString[] {
  const database = target.database ?? MAINTENANCE_DATABASE;
  const uri = new URL('postgresql://localhost');
  uri.hostname = target.host;
  uri.port = String(target.port);
  uri.username = target.user;
  uri.password = target.password;
  uri.pathname = `/${encodeURIComponent(database)}`;
  const jdbc = new URL('http://localhost');
  jdbc.hostname = target.host;
  jdbc.port = String(target.port);
  jdbc.pathname = `/${encodeURIComponent(database)}`;
  jdbc.searchParams.set('user', target.user);
  jdbc.searchParams.set('password', target.password);
  const psqlWords = ['psql', `--host=${target.host}`, `--port=${target.port}`, `--username=${target.user}`, `--dbname=${database}`];
  return [
    { label: 'URI', value: uri.toString() },
    { label: 'psql', value: `PGPASSWORD=${shellQuote(target.password)} ${psqlWords.map(shellQuote).join(' ')}` },
    { label: 'JDBC', value: `jdbc:postgresql://${jdbc.host}${jdbc.pathname}${jdbc.search}` },
  ];
}

/** Leaves plain words alone and single-quotes anything else for a POSIX shell. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./~-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
