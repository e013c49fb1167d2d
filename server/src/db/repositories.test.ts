import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { requireImage, startTestContainer, waitFor, type StartedTestContainer } from '@krint/engine-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivityLog } from '../services/activity.js';
import { loadInstance } from '../services/context.js';
import { Backup, BackupSchedule, Instance, ManagedUser, Node, Setting } from './entities.js';
import { openDatabase, type KrintOrm } from './orm.js';

/** The same checks against both supported state databases. */
function repositorySuite(label: string, open: () => Promise<KrintOrm | null>) {
  describe(`state database on ${label}`, () => {
    let orm: KrintOrm | null = null;
    beforeAll(async () => {
      orm = await open();
    });
    afterAll(async () => {
      await orm?.close(true);
    });

    it('has migrations that match the entities exactly', async (context) => {
      if (!orm) return context.skip();
      const pending = await orm.getMigrator().getPendingMigrations();
      expect(pending).toEqual([]);
      const diff = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
      expect(diff.trim()).toBe('');
    });

    it('round-trips an instance with JSON, dates and nulls', async (context) => {
      if (!orm) return context.skip();
      const em = orm.em.fork();
      const instance = em.create(Instance, {
        engine: 'postgres', version: '15', name: 'Orders', slug: 'orders', defaultDatabase: 'app', rootUser: 'postgres',
        rootPasswordSealed: 'v1:abc', plugins: ['postgis'], hostPort: 30001, isPublic: false, storage: 'volume', status: 'ready',
      });
      await em.persistAndFlush(instance);
      const loaded = await orm.em.fork().findOneOrFail(Instance, instance.id);
      expect(loaded.plugins).toEqual(['postgis']);
      expect(loaded.nodeId).toBeNull();
      expect(loaded.createdAt).toBeInstanceOf(Date);
      expect(loaded.createdAt.getTime()).toBe(Math.floor(instance.createdAt.getTime()));
      expect(loaded.isPublic).toBe(false);
      // The services' own lookup (a plain SELECT mapped onto the entity) reads exactly the same.
      const fast = await loadInstance({ orm }, instance.id);
      expect(fast).toBeInstanceOf(Instance);
      expect({ ...fast }).toEqual({ ...loaded });
      await expect(loadInstance({ orm }, 'no-such-instance')).rejects.toThrow(/No instance with id "no-such-instance"/);
    });

    it('keeps backup sizes beyond 32 bits as numbers', async (context) => {
      if (!orm) return context.skip();
      const em = orm.em.fork();
      const backup = em.create(Backup, { instanceId: 'i-1', instanceName: 'x', engine: 'postgres', engineVersion: '15', file: `big-${label}.dump`, sizeBytes: 5_000_000_000, status: 'succeeded', kind: 'manual' });
      await em.persistAndFlush(backup);
      const loaded = await orm.em.fork().findOneOrFail(Backup, backup.id);
      expect(loaded.sizeBytes).toBe(5_000_000_000);
    });

    it('enforces one user name per instance', async (context) => {
      if (!orm) return context.skip();
      const em = orm.em.fork();
      em.create(ManagedUser, { instanceId: 'i-2', name: 'app', passwordSealed: 'v1:x' });
      await em.flush();
      const other = orm.em.fork();
      other.create(ManagedUser, { instanceId: 'i-2', name: 'app', passwordSealed: 'v1:y' });
      await expect(other.flush()).rejects.toThrow(/unique/i);
    });

    it('stores schedules, nodes and settings', async (context) => {
      if (!orm) return context.skip();
      const em = orm.em.fork();
      const schedule = em.create(BackupSchedule, { instanceId: 'i-3', cron: '0 3 * * *', enabled: true, retentionCount: 7 });
      em.create(Node, { name: `node-${label}`, tokenHash: 'h', details: { os: 'linux' } });
      em.create(Setting, { key: 'vault.check', value: 'v1:z' });
      await em.flush();
      const reread = orm.em.fork();
      expect((await reread.findOneOrFail(BackupSchedule, schedule.id)).retentionCount).toBe(7);
      expect((await reread.findOneOrFail(Node, { name: `node-${label}` })).details).toEqual({ os: 'linux' });
      expect((await reread.findOneOrFail(Setting, 'vault.check')).value).toBe('v1:z');
    });

    it('pages the activity log newest first with a cursor', async (context) => {
      if (!orm) return context.skip();
      const log = new ActivityLog(orm);
      for (let i = 0; i < 5; i++) await log.record({ actor: 'tester', action: 'instance.rename', targetType: 'instance', targetId: 'page-test', detail: `#${i}` });
      const first = await log.page({ first: 2, targetId: 'page-test' });
      expect(first.entries.map((e) => e.detail)).toEqual(['#4', '#3']);
      const second = await log.page({ first: 2, before: first.nextCursor, targetId: 'page-test' });
      expect(second.entries.map((e) => e.detail)).toEqual(['#2', '#1']);
      const last = await log.page({ first: 2, before: second.nextCursor, targetId: 'page-test' });
      expect(last.entries.map((e) => e.detail)).toEqual(['#0']);
      expect(last.nextCursor).toBeNull();
    });
  });
}

repositorySuite('SQLite', async () => openDatabase({ kind: 'sqlite', file: path.join(mkdtempSync(path.join(tmpdir(), 'krint-repo-')), 'krint.db') }));

let postgres: StartedTestContainer | null = null;
repositorySuite('PostgreSQL', async () => {
  if (!(await requireImage('postgres:15'))) return null;
  postgres = await startTestContainer({ image: 'postgres:15', internalPort: 5432, env: { POSTGRES_PASSWORD: 'repository-tests' }, namePrefix: 'krint-server-repo' });
  const connectionString = `postgresql://postgres:repository-tests@${postgres.host}:${postgres.port}/postgres`;
  return waitFor(() => openDatabase({ kind: 'postgresql', connectionString }), 90_000, 500);
});
afterAll(async () => {
  await postgres?.remove();
});
