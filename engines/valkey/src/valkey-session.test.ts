import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, type ConnectionTarget, type EngineSession } from '@krint/engine-sdk';
import { requireImage, startTestContainer, type StartedTestContainer } from '@krint/engine-sdk/testing';
import { execInContainer, randomPassword, waitUntilReady } from '@krint/engine-redis/testing';
import { valkeyEngine } from './valkey-engine.js';

/**
 * No Valkey image exists on the machines Krint is tested on, so Valkey's driver paths (session,
 * users, console, backup scripts with their redis-cli fallback) run against the local Redis 7 server,
 * where the two protocols agree. The server is started the plain way (`--requirepass`, no ACL file),
 * as a server registered from outside Krint would be.
 */
const IMAGE = 'redis:7';
const available = await requireImage(IMAGE);

describe.skipIf(!available)('valkey engine paths against a Redis 7 server', () => {
  let container: StartedTestContainer;
  let target: ConnectionTarget;
  let session: EngineSession;
  let workDir: string;

  beforeAll(async () => {
    const password = randomPassword();
    container = await startTestContainer({
      image: IMAGE,
      internalPort: 6379,
      cmd: ['redis-server', '--requirepass', password, '--appendonly', 'yes'],
      namePrefix: 'krint-valkey-test',
    });
    target = { host: container.host, port: container.port, user: 'default', password };
    await waitUntilReady(valkeyEngine, target);
    session = await valkeyEngine.connect(target);
    workDir = await mkdtemp(join(tmpdir(), 'krint-valkey-'));
  });

  afterAll(async () => {
    await session?.close();
    await container?.remove();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('edits and pages keys, and runs console commands', async () => {
    await session.insertRow!('0', '*', { key: 'cart:1', value: { apples: 3 } });
    await session.insertRow!('0', '*', { key: 'cart:2', type: 'list', value: ['x'] });
    const first = await session.readRows('0', 'cart:*', { limit: 1 });
    expect(first.rows).toHaveLength(1);
    const second = await session.readRows('0', 'cart:*', { limit: 1, cursor: first.nextCursor });
    expect(new Set([...first.rows, ...second.rows].map((r) => r.key))).toEqual(new Set(['cart:1', 'cart:2']));
    expect((await session.query!('0', 'HGET cart:1 apples', { rowLimit: 10, timeoutMs: 5_000 })).rows).toEqual([{ value: '3' }]);
    await expect(session.query!('0', 'FLUSHALL', { rowLimit: 10, timeoutMs: 5_000 })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('manages users in memory when the server has no ACL file', async () => {
    const users = session.users!;
    await users.createUser('reporting', randomPassword());
    await users.grant('reporting', '*', 'read');
    expect(await users.listGrants()).toMatchObject([{ user: 'reporting', database: '*', access: 'read' }]);
    await users.dropUser('reporting');
    expect((await users.listUsers()).map((u) => u.name)).toEqual(['default']);
  });

  it('dumps and restores with the backup scripts falling back to redis-cli', async () => {
    const backup = valkeyEngine.backup!;
    const context = { version: '8', rootUser: 'default', rootPassword: target.password, defaultDatabase: '0', internalPort: 6379 };
    const file = join(workDir, 'valkey.rdb');
    const dumped = await execInContainer(container.id, backup.dumpCommand(context), { stdoutFile: file });
    expect(dumped.exitCode, dumped.stderr).toBe(0);
    expect(backup.checkDumpHeader!((await readFile(file)).subarray(0, 9))).toBeNull();
    await session.deleteRow!('0', '*', { key: 'cart:1' });
    await session.deleteRow!('0', '*', { key: 'cart:2' });
    expect(await session.countRows('0', '*')).toBe(0);
    const restored = await execInContainer(container.id, backup.restoreCommand(context), { stdinFile: file });
    expect(restored.exitCode, restored.stderr).toBe(0);
    const rows = (await session.readRows('0', '*', { limit: 10 })).rows;
    expect(rows.map((r) => r.key).sort()).toEqual(['cart:1', 'cart:2']);
    expect(rows.find((r) => r.key === 'cart:1')?.value).toEqual({ apples: '3' });
  });
});
