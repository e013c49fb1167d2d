import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, EngineError, InvalidInputError, NotFoundError, type ConnectionTarget, type EngineSession, type Row } from '@krint/engine-sdk';
import { requireImage } from '@krint/engine-sdk/testing';
import { redisEngine } from './redis-engine.js';
import { execInContainer, randomPassword, restartInstance, startInstance, type RunningInstance } from './redis-test-support.js';

const IMAGE = 'redis:7';
const available = await requireImage(IMAGE);

/** A raw client, as a user's application would connect. */
async function rawClient(target: ConnectionTarget, db = 0): Promise<Redis> {
  const client = new Redis({ host: target.host, port: target.port, username: target.user, password: target.password, db, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the operation to fail');
}

describe.skipIf(!available)('redis engine against a real redis:7 server', () => {
  let instance: RunningInstance;
  let session: EngineSession;
  let target: ConnectionTarget;
  let workDir: string;

  beforeAll(async () => {
    instance = await startInstance(redisEngine, IMAGE, randomPassword(), 'krint-redis-test');
    target = instance.target;
    session = await redisEngine.connect(target);
    workDir = await mkdtemp(join(tmpdir(), 'krint-redis-'));
  });

  afterAll(async () => {
    await session?.close();
    await instance?.container.remove();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('is ready only with the right password, and says so without the password', async () => {
    await expect(redisEngine.readiness.probe(target)).resolves.toBeUndefined();
    const wrong = { ...target, password: 'Wrong-password-123' };
    const error = await errorOf(redisEngine.readiness.probe(wrong));
    expect(error).toBeInstanceOf(EngineError);
    expect(error.message).toMatch(/refused the credentials of user "default"/);
    expect(error.message).not.toContain(wrong.password);
    expect(error.message).not.toContain(target.password);
  });

  it('lists 16 DB numbers with key counts', async () => {
    const client = await rawClient(target, 4);
    await client.set('counted:a', '1');
    await client.set('counted:b', '2');
    client.disconnect();
    const databases = await session.listDatabases();
    expect(databases.map((d) => d.name)).toEqual(Array.from({ length: 16 }, (_, i) => String(i)));
    expect(databases.find((d) => d.name === '4')?.rowCount).toBe(2);
    await session.dropDatabase!('4');
    expect((await session.listDatabases()).find((d) => d.name === '4')?.rowCount).toBe(0);
    await expect(session.listTables('16')).rejects.toThrow(/DB numbers 0 to 15/);
  });

  it('creates an ACL user that can sign in, and grants apply to every DB number', async () => {
    const users = session.users!;
    const password = randomPassword();
    await users.createUser('app_user', password);
    await expect(users.createUser('app_user', password)).rejects.toBeInstanceOf(ConflictError);
    await expect(users.createUser('bad name', password)).rejects.toBeInstanceOf(InvalidInputError);
    expect((await users.listUsers()).map((u) => u.name).sort()).toEqual(['app_user', 'default']);

    const asUser = await rawClient({ ...target, user: 'app_user', password });
    expect(await asUser.ping()).toBe('PONG');
    await expect(asUser.get('k')).rejects.toThrow(/NOPERM/);
    expect(await users.listGrants('app_user')).toEqual([]);

    const grantError = await errorOf(users.grant('app_user', '3', 'read'));
    expect(grantError).toBeInstanceOf(InvalidInputError);
    expect(grantError.message).toMatch(/every DB number/);
    expect(await users.listGrants('app_user')).toEqual([]);

    await users.grant('app_user', '*', 'read');
    expect(await asUser.get('k')).toBeNull();
    await expect(asUser.set('k', 'v')).rejects.toThrow(/NOPERM/);
    await users.grant('app_user', '*', 'readwrite');
    expect(await asUser.set('grant:probe', 'v')).toBe('OK');
    await expect(asUser.flushdb()).rejects.toThrow(/NOPERM/);
    const [grant] = await users.listGrants();
    expect(grant).toMatchObject({ user: 'app_user', database: '*', access: 'readwrite' });
    await users.grant('app_user', '*', 'all');
    expect((await users.listGrants('app_user'))[0]?.access).toBe('all');
    await expect(asUser.config('SET', 'appendonly', 'no')).rejects.toThrow(/NOPERM/);
    await users.revoke('app_user', '*');
    await expect(asUser.get('k')).rejects.toThrow(/NOPERM/);
    asUser.disconnect();
    await rawClient(target).then(async (c) => {
      await c.del('grant:probe');
      c.disconnect();
    });

    // Users are saved to the ACL file and survive a restart.
    expect(await instance.container.exec(['cat', '/data/users.acl'])).toMatch(/^user app_user on /m);
    target = await restartInstance(redisEngine, instance.container, target);
    await session.close();
    session = await redisEngine.connect(target);
    const again = await rawClient({ ...target, user: 'app_user', password });
    expect(await again.ping()).toBe('PONG');
    again.disconnect();

    const reopenedUsers = session.users!;
    await expect(reopenedUsers.dropUser('default')).rejects.toThrow(/root user/);
    await reopenedUsers.dropUser('app_user');
    await expect(reopenedUsers.dropUser('app_user')).rejects.toBeInstanceOf(NotFoundError);
    expect(await instance.container.exec(['cat', '/data/users.acl'])).not.toMatch(/app_user/);
  });

  it('inserts, reads, edits and deletes keys of every editable type', async () => {
    const fresh = await redisEngine.connect(target);
    try {
      const inserted = await fresh.insertRow!('1', '*', { key: 'text:1', value: 'hello', ttl: 600 });
      expect(inserted).toMatchObject({ key: 'text:1', type: 'string', value: 'hello', length: 5, complete: true });
      expect(inserted.ttl).toBeGreaterThan(590);
      await fresh.insertRow!('1', '*', { key: 'hash:1', value: { name: 'Ada', age: 36 } });
      await fresh.insertRow!('1', '*', { key: 'list:1', type: 'list', value: ['c', 'a', 'b'] });
      await fresh.insertRow!('1', '*', { key: 'set:1', type: 'set', value: ['b', 'a', 'b'] });
      await fresh.insertRow!('1', 'zset:*', { key: 'zset:1', value: [{ member: 'x', score: 2 }, { member: 'y', score: 1.5 }] });

      const page = await fresh.readRows('1', '*', { limit: 100 });
      const byKey = new Map(page.rows.map((row) => [row.key, row]));
      expect(page.keyColumns).toEqual(['key']);
      expect(page.total).toBe(5);
      expect(byKey.get('hash:1')).toMatchObject({ type: 'hash', value: { name: 'Ada', age: '36' }, ttl: null });
      expect(byKey.get('list:1')).toMatchObject({ type: 'list', value: ['c', 'a', 'b'], length: 3 });
      expect(byKey.get('set:1')).toMatchObject({ type: 'set', value: ['a', 'b'], length: 2 });
      expect(byKey.get('zset:1')).toMatchObject({ type: 'zset', value: [{ member: 'y', score: 1.5 }, { member: 'x', score: 2 }] });

      await expect(fresh.insertRow!('1', '*', { key: 'text:1', value: 'again' })).rejects.toBeInstanceOf(ConflictError);
      await expect(fresh.insertRow!('1', 'user:*', { key: 'text:2', value: 'x' })).rejects.toThrow(/does not match the key pattern/);
      await expect(fresh.insertRow!('1', '*', { key: 'empty:1', type: 'hash', value: {} })).rejects.toThrow(/empty hash/);
      await expect(fresh.insertRow!('1', '*', { key: 'z:bad', type: 'zset', value: [{ member: 'a', score: 'high' }] })).rejects.toThrow(/finite number/);

      // Update keeps the TTL unless told otherwise, and checks what the client saw.
      const updated = await fresh.updateRow!('1', '*', { key: { key: 'text:1' }, changes: { value: 'bye' }, expected: { value: 'hello' } });
      expect(updated).toMatchObject({ value: 'bye' });
      expect(updated.ttl).toBeGreaterThan(590);
      await expect(fresh.updateRow!('1', '*', { key: { key: 'text:1' }, changes: { value: 'lost' }, expected: { value: 'hello' } })).rejects.toBeInstanceOf(ConflictError);
      expect((await fresh.updateRow!('1', '*', { key: { key: 'text:1' }, changes: { ttl: null } })).ttl).toBeNull();
      const retyped = await fresh.updateRow!('1', '*', { key: { key: 'list:1' }, changes: { type: 'set', value: ['q'] } });
      expect(retyped).toMatchObject({ type: 'set', value: ['q'] });
      await expect(fresh.updateRow!('1', '*', { key: { key: 'hash:1' }, changes: { key: 'renamed' } })).rejects.toThrow(/Renaming/);
      await expect(fresh.updateRow!('1', '*', { key: { key: 'missing' }, changes: { value: 'x' } })).rejects.toBeInstanceOf(NotFoundError);

      // Binary strings are shown as base64 and cannot be overwritten from the editor.
      const raw = await rawClient(target, 1);
      await raw.set('blob:1', Buffer.from([0xff, 0x00, 0xfe]));
      raw.disconnect();
      const [blob] = (await fresh.readRows('1', 'blob:*', { limit: 10 })).rows;
      expect(blob).toMatchObject({ type: 'string', value: { $base64: '/wD+' }, length: 3, complete: false });
      await expect(fresh.updateRow!('1', '*', { key: { key: 'blob:1' }, changes: { value: 'text' } })).rejects.toThrow(/binary \(not UTF-8\) string, shown as base64/);
      await fresh.deleteRow!('1', '*', { key: 'blob:1' });

      await fresh.deleteRow!('1', '*', { key: 'set:1' });
      await expect(fresh.deleteRow!('1', '*', { key: 'set:1' })).rejects.toBeInstanceOf(NotFoundError);
      expect(await fresh.countRows('1', '*')).toBe(4);
    } finally {
      await fresh.close();
    }
  });

  it('pages through many keys with SCAN cursors, each key exactly once', async () => {
    const client = await rawClient(target, 2);
    const pipeline = client.pipeline();
    for (let i = 0; i < 250; i++) pipeline.set(`item:${String(i).padStart(3, '0')}`, String(i));
    for (let i = 0; i < 30; i++) pipeline.hset(`other:${i}`, 'f', 'v');
    await pipeline.exec();
    client.disconnect();

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await session.readRows('2', 'item:*', { limit: 40, cursor });
      expect(page.rows.length).toBeLessThanOrEqual(40);
      seen.push(...page.rows.map((row) => String(row.key)));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 100);
    expect(pages).toBeGreaterThanOrEqual(7);
    expect(new Set(seen).size).toBe(250);
    expect(seen.every((key) => key.startsWith('item:'))).toBe(true);
    expect(await session.countRows('2', 'item:*')).toBe(250);
    const tables = await session.listTables('2');
    expect(tables).toEqual([
      { name: '*', rowCount: 280, rowCountIsEstimate: false, kind: 'all keys' },
      { name: 'item:*', rowCount: 250, rowCountIsEstimate: false, kind: 'namespace' },
      { name: 'other:*', rowCount: 30, rowCountIsEstimate: false, kind: 'namespace' },
    ]);
    await expect(session.readRows('2', '*', { limit: 10, cursor: 'not-a-cursor' })).rejects.toThrow(/cursor is not valid/);
  });

  it('runs console commands with a row limit and refuses dangerous ones', async () => {
    const options = { rowLimit: 2, timeoutMs: 5_000 };
    expect((await session.query!('3', 'SET "greeting key" "hello world"', options)).rows).toEqual([{ value: 'OK' }]);
    expect((await session.query!('3', "GET 'greeting key'", options)).rows).toEqual([{ value: 'hello world' }]);
    await session.query!('3', 'RPUSH letters a b c d e', options);
    const listed = await session.query!('3', 'LRANGE letters 0 -1', options);
    expect(listed).toMatchObject({ rows: [{ '#': 1, value: 'a' }, { '#': 2, value: 'b' }], rowCount: 5, truncated: true, command: 'LRANGE' });

    for (const text of ['FLUSHALL', 'CONFIG SET appendonly no', 'SHUTDOWN NOSAVE', 'DEBUG SLEEP 1', 'KEYS *']) {
      await expect(session.query!('3', text, options)).rejects.toBeInstanceOf(InvalidInputError);
    }
    await expect(session.query!('3', 'GET', options)).rejects.toThrow(/Redis refused GET: ERR wrong number of arguments/);
    await expect(session.query!('3', 'LPUSH "greeting key" x', options)).rejects.toThrow(/WRONGTYPE/);
    expect(await session.countRows('3', '*')).toBe(2);
    expect((await session.query!('3', 'CONFIG GET appendonly', { rowLimit: 10, timeoutMs: 5_000 })).rows.map((r) => r.value)).toEqual(['appendonly', 'yes']);
  });

  it('keeps console commands in the chosen DB number: COPY … DB, MOVE, SWAPDB, SELECT and MIGRATE are refused and change nothing', async () => {
    const options = { rowLimit: 10, timeoutMs: 5_000 };
    await session.query!('5', 'SET guarded:key v5', options);
    const before = await Promise.all(['5', '6'].map((db) => session.countRows(db, '*')));
    for (const text of ['COPY guarded:key guarded:copy DB 6', 'copy guarded:key guarded:copy replace db 6', 'MOVE guarded:key 6', 'SWAPDB 5 6', 'SELECT 6', `MIGRATE 127.0.0.1 6379 guarded:key 6 1000 COPY`]) {
      const error = await errorOf(session.query!('5', text, options));
      expect(error, text).toBeInstanceOf(InvalidInputError);
      expect(error.message, text).toMatch(/not allowed in the console/);
    }
    expect(await Promise.all(['5', '6'].map((db) => session.countRows(db, '*')))).toEqual(before);
    const client = await rawClient(target, 6);
    expect(await client.exists('guarded:key', 'guarded:copy')).toBe(0);
    client.disconnect();
    // Within the chosen DB number COPY works, including on keys named like the option.
    expect((await session.query!('5', 'COPY guarded:key DB', options)).rows).toEqual([{ value: 1 }]);
    expect((await session.query!('5', 'GET DB', options)).rows).toEqual([{ value: 'v5' }]);
  });

  it('refuses a 10 KB key name and changes nothing', async () => {
    const before = await session.countRows('1', '*');
    const huge = 'k'.repeat(10 * 1024);
    await expect(session.insertRow!('1', '*', { key: huge, value: 'x' })).rejects.toThrow(/10240 bytes long; Krint accepts keys of at most 1024/);
    await expect(session.deleteRow!('1', '*', { key: huge })).rejects.toBeInstanceOf(InvalidInputError);
    expect(await session.countRows('1', '*')).toBe(before);
  });

  it('dumps, survives FLUSHALL by restoring (in place and into a fresh container) and keeps the data after a restart', async () => {
    const backup = redisEngine.backup!;
    const context = { version: '7', rootUser: 'default', rootPassword: target.password, defaultDatabase: '0', internalPort: 6379 };
    const snapshot = async (s: EngineSession) => {
      const result: Record<string, Row[]> = {};
      for (const db of ['1', '2', '3']) {
        const rows: Row[] = [];
        let cursor: string | null = null;
        do {
          const page = await s.readRows(db, '*', { limit: 500, cursor });
          rows.push(...page.rows.map(({ ttl, ...rest }) => ({ ...rest, hasTtl: ttl !== null })));
          cursor = page.nextCursor;
        } while (cursor);
        result[db] = rows.sort((a, b) => String(a.key).localeCompare(String(b.key)));
      }
      return result;
    };
    const before = await snapshot(session);
    expect(before['2']).toHaveLength(280);

    const dumpFile = join(workDir, 'instance.rdb');
    const dumped = await execInContainer(instance.container.id, backup.dumpCommand(context), { stdoutFile: dumpFile });
    expect(dumped.exitCode, dumped.stderr).toBe(0);
    const bytes = await readFile(dumpFile);
    expect(backup.checkDumpHeader!(bytes.subarray(0, 16))).toBeNull();

    const client = await rawClient(target);
    await client.flushall();
    client.disconnect();
    expect(await session.countRows('2', '*')).toBe(0);

    const restored = await execInContainer(instance.container.id, backup.restoreCommand(context), { stdinFile: dumpFile });
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect(await snapshot(session)).toEqual(before);

    // appendonly yes: the AOF was rewritten, so a restart loads the restored data, not the flushed one.
    target = await restartInstance(redisEngine, instance.container, target);
    await session.close();
    session = await redisEngine.connect(target);
    expect(await snapshot(session)).toEqual(before);
    expect(await instance.container.exec(['sh', '-c', 'ls /data'])).not.toMatch(/krint-restore/);

    // A fresh container with another root password: the dump loads, users and password stay its own.
    const fresh = await startInstance(redisEngine, IMAGE, randomPassword(), 'krint-redis-test');
    try {
      const freshContext = { ...context, rootPassword: fresh.target.password };
      const intoFresh = await execInContainer(fresh.container.id, backup.restoreCommand(freshContext), { stdinFile: dumpFile });
      expect(intoFresh.exitCode, intoFresh.stderr).toBe(0);
      const freshSession = await redisEngine.connect(fresh.target);
      try {
        expect(await snapshot(freshSession)).toEqual(before);
      } finally {
        await freshSession.close();
      }
      const freshTarget = await restartInstance(redisEngine, fresh.container, fresh.target);
      const reopened = await redisEngine.connect(freshTarget);
      try {
        expect(await reopened.countRows('2', '*')).toBe(280);
      } finally {
        await reopened.close();
      }
    } finally {
      await fresh.container.remove();
    }
  });

  it('refuses a file that is not an RDB and leaves the data alone', async () => {
    const context = { version: '7', rootUser: 'default', rootPassword: target.password, defaultDatabase: '0', internalPort: 6379 };
    const bogus = join(workDir, 'bogus.rdb');
    await (await import('node:fs/promises')).writeFile(bogus, 'REDIS0010 this is not really an RDB file');
    const before = await session.countRows('2', '*');
    const outcome = await execInContainer(instance.container.id, redisEngine.backup!.restoreCommand(context), { stdinFile: bogus });
    expect(outcome.exitCode).not.toBe(0);
    expect(outcome.stderr).toMatch(/could not be loaded/);
    expect(await session.countRows('2', '*')).toBe(before);
    const notRdb = join(workDir, 'not.rdb');
    await (await import('node:fs/promises')).writeFile(notRdb, 'PGDMP...');
    const refused = await execInContainer(instance.container.id, redisEngine.backup!.restoreCommand(context), { stdinFile: notRdb });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/not an RDB dump/);
    expect(await session.countRows('2', '*')).toBe(before);
  });

  it('rotates the root password, which survives a restart', async () => {
    const newPassword = randomPassword();
    await session.users!.setPassword('default', newPassword);
    await expect(session.users!.setPassword('default', 'short')).rejects.toThrow(/at least 8/);
    const oldError = await errorOf(redisEngine.connect(target));
    expect(oldError.message).toMatch(/refused the credentials/);
    target = await restartInstance(redisEngine, instance.container, { ...target, password: newPassword });
    await session.close();
    session = await redisEngine.connect(target);
    await session.ping();
  });
});
