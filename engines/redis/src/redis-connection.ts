import type { Redis } from 'ioredis';
import { EngineError, InvalidInputError, type ConnectionTarget } from '@krint/engine-sdk';
import { ioredisDriver } from './redis-driver.js';

/** How long connecting (TCP + AUTH) may take before the attempt fails. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Opens one authenticated client bound to DB number `db`. The client never reconnects or queues
 * commands while offline: a session works against a running server or fails at once, and readiness
 * owns the retrying. The password is handed to ioredis only; errors below never include it.
 */
export async function openRedisClient(target: ConnectionTarget, db: number): Promise<Redis> {
  const { Redis: RedisClient } = await ioredisDriver.load();
  const client = new RedisClient({
    host: target.host,
    port: target.port,
    lazyConnect: true,
    // ioredis' own ready check runs INFO, which restricted ACL users may not run.
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: CONNECT_TIMEOUT_MS,
  });
  // Without a listener ioredis prints connection errors to the console; they surface as rejections.
  client.on('error', () => undefined);
  try {
    await client.connect();
    // AUTH and SELECT are sent here rather than through ioredis' options: its own AUTH on connect
    // reports a wrong password as an event and a closed stream, this gives the server's reply.
    await client.auth(target.user, target.password);
    if (db !== 0) await client.select(db);
    return client;
  } catch (error) {
    client.disconnect();
    throw describeConnectError(error, target);
  }
}

/** Turns a driver error at connect time into an EngineError that names the address, never the password. */
export function describeConnectError(error: unknown, target: ConnectionTarget): EngineError {
  const message = error instanceof Error ? error.message : String(error);
  const where = `${target.host}:${target.port}`;
  if (/WRONGPASS|invalid username-password|NOAUTH|invalid password/i.test(message)) {
    return new EngineError('UNAVAILABLE', `The Redis server at ${where} refused the credentials of user "${target.user}".`, { cause: error });
  }
  if (/LOADING/.test(message)) {
    return new EngineError('UNAVAILABLE', `The Redis server at ${where} is still loading its data.`, { cause: error });
  }
  return new EngineError('UNAVAILABLE', `Could not reach the Redis server at ${where}: ${firstLine(message)}`, { cause: error });
}

/**
 * Turns a Redis error reply into an InvalidInputError with the server's own words
 * (`WRONGTYPE Operation against a key holding the wrong kind of value`). Reply errors never echo
 * arguments, and no caller passes a password through a path that reaches this function.
 */
export function replyError(error: unknown, what: string): EngineError {
  if (error instanceof EngineError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === 'ReplyError') {
    return new InvalidInputError(`Redis refused ${what}: ${firstLine(message)}`);
  }
  return new EngineError('UNAVAILABLE', `${what} failed: ${firstLine(message)}`, { cause: error });
}

function firstLine(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** Parses `INFO` output into section-less `field → value` pairs. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** Reads `db3:keys=12,expires=0,avg_ttl=0` lines of `INFO keyspace` into DB number → key count. */
export function parseKeyspace(text: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const [field, value] of parseInfo(text)) {
    const db = /^db(\d+)$/.exec(field);
    const keys = /(?:^|,)keys=(\d+)/.exec(value);
    if (db && keys) counts.set(Number(db[1]), Number(keys[1]));
  }
  return counts;
}
