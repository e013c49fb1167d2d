import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireImage } from '@krint/engine-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresEngine } from './postgres-engine.js';
import { dumpToFile, restoreFromFile, startInstance, type TestInstance } from './postgres-test-support.js';

/**
 * A major upgrade as Krint runs it: dump the old instance with its own tools, start the new major
 * beside it, restore, compare. Only 15 has dump tools here (see README), so every upgrade starts
 * from 15; the newer images carry client tools 15, which restore into the newer server.
 */
const SOURCE_PASSWORD = 'Old-root.15x';
const TARGET_PASSWORD = 'New-root.17y';
const USER_PASSWORD = 'Shop-user.1';
const limits = { rowLimit: 1000, timeoutMs: 20_000 };
const targets = ['16', '17', '18'];

const sourceAvailable = await requireImage('postgres:15');
const targetAvailable = Object.fromEntries(await Promise.all(targets.map(async (major) => [major, await requireImage(`postgres:${major}`)] as const)));

describe.skipIf(!sourceAvailable)('major upgrade from postgres:15', () => {
  let source: TestInstance;
  const workDir = mkdtempSync(join(tmpdir(), 'krint-pgengine-upgrade-'));
  const dumpFile = join(workDir, 'from-15.sql');
  const expected = { orders: 0, events: 0, lines: 0 };

  beforeAll(async () => {
    source = await startInstance('15', SOURCE_PASSWORD, 'app');
    const session = await postgresEngine.connect(source.target);
    try {
      await session.createDatabase!('shop');
      await session.createDatabase!('audit');
      await session.users!.createUser('shop_user', USER_PASSWORD);
      await session.users!.createUser('auditor', 'Audit-pass.2');
      await session.users!.grant('shop_user', 'shop', 'all');
      await session.users!.grant('auditor', 'audit', 'read');
      await session.query!('shop', 'CREATE TABLE orders (id serial PRIMARY KEY, total numeric(10,2), meta jsonb, blob bytea)', limits);
      await session.query!('shop', "INSERT INTO orders (total, meta, blob) SELECT g * 1.25, jsonb_build_object('n', g), '\\x0102'::bytea FROM generate_series(1, 5000) g", limits);
      await session.query!('audit', 'CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz)', limits);
      await session.query!('audit', "INSERT INTO events SELECT g, '2024-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 300) g", limits);
      await session.query!('app', 'CREATE TABLE lines (txt text)', limits);
      await session.query!('app', "INSERT INTO lines VALUES ('CREATE ROLE \"postgres\";'), ('\\.'), ('plain')", limits);
      expected.orders = await session.countRows('shop', 'orders');
      expected.events = await session.countRows('audit', 'events');
      expected.lines = await session.countRows('app', 'lines');
    } finally {
      await session.close();
    }
    const context = { version: '15', rootUser: 'postgres', rootPassword: SOURCE_PASSWORD, defaultDatabase: 'app', internalPort: 5432 };
    const dumped = await dumpToFile(source.container.id, postgresEngine.backup!.dumpCommand(context), dumpFile);
    if (dumped.code !== 0) throw new Error(`pg_dumpall failed: ${dumped.stderr}`);
  });

  afterAll(async () => {
    await source?.container.remove();
    rmSync(workDir, { recursive: true, force: true });
  });

  for (const major of targets) {
    it.skipIf(!targetAvailable[major])(`restores into postgres:${major} with every database, role and row`, async () => {
      expect(postgresEngine.upgrade!.check('15', major)).toBeNull();
      expect(postgresEngine.upgrade!.check(major, '15')).toMatch(/Downgrades/);
      const target = await startInstance(major, TARGET_PASSWORD, 'app');
      try {
        const context = { version: major, rootUser: 'postgres', rootPassword: TARGET_PASSWORD, defaultDatabase: 'app', internalPort: 5432 };
        const restored = await restoreFromFile(target.container.id, postgresEngine.backup!.restoreCommand(context), dumpFile);
        expect(restored.stderr).toBe('');
        expect(restored.code).toBe(0);

        const session = await postgresEngine.connect(target.target);
        try {
          const serverVersion = await session.query!('app', 'SHOW server_version_num', limits);
          expect(Math.floor(Number(serverVersion.rows[0]!.server_version_num) / 10_000)).toBe(Number(major));
          expect((await session.listDatabases()).map((d) => d.name)).toEqual(expect.arrayContaining(['app', 'shop', 'audit', 'postgres']));
          expect(await session.countRows('shop', 'orders')).toBe(expected.orders);
          expect(await session.countRows('audit', 'events')).toBe(expected.events);
          expect(await session.countRows('app', 'lines')).toBe(expected.lines);
          expect((await session.query!('app', 'SELECT txt FROM lines ORDER BY txt', limits)).rows.map((r) => r.txt)).toEqual(['CREATE ROLE "postgres";', '\\.', 'plain']);
          expect((await session.readRows('shop', 'orders', { limit: 1 })).rows[0]).toEqual({ id: 1, total: '1.25', meta: { n: 1 }, blob: '\\x0102' });
          // The serial sequence continues after the restored rows.
          expect(await session.insertRow!('shop', 'orders', { total: '9.99' })).toMatchObject({ id: expected.orders + 1 });
          const users = (await session.users!.listUsers()).map((u) => u.name);
          expect(users).toEqual(expect.arrayContaining(['postgres', 'shop_user', 'auditor']));
          expect(await session.users!.listGrants()).toEqual(
            expect.arrayContaining([
              expect.objectContaining({ user: 'shop_user', database: 'shop', access: 'all' }),
              expect.objectContaining({ user: 'auditor', database: 'audit', access: 'read' }),
            ]),
          );
        } finally {
          await session.close();
        }
        // Roles keep their passwords; the new instance keeps its own root password.
        const user = await postgresEngine.connect({ ...target.target, user: 'shop_user', password: USER_PASSWORD, database: 'shop' });
        expect(await user.countRows('shop', 'orders')).toBe(expected.orders + 1);
        await user.close();
        await expect(postgresEngine.connect({ ...target.target, user: 'auditor', password: 'Audit-pass.2', database: 'shop' })).rejects.toThrow(/permission denied|CONNECT/);
        await expect(postgresEngine.connect({ ...target.target, password: SOURCE_PASSWORD })).rejects.toThrow(/password/);
      } finally {
        await target.container.remove();
      }
    });
  }
});
