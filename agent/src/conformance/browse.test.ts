import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Row, RowPage } from '@krint/engine-sdk';
import type { InstanceAddress } from '../protocol/commands.js';
import { ConformanceAgent, failureOf, resolveTargets } from './harness.js';

const targets = await resolveTargets();
const ROWS = 5;

for (const { target, engine, skipReason } of targets) {
  describe.skipIf(skipReason !== null)(`browse: ${target.name}${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
    const instanceId = `conf-browse-${target.name}`;
    const { data } = target;
    let harness: ConformanceAgent;
    let instance: InstanceAddress;
    const at = () => ({ instance, database: data.database, table: data.table });

    beforeAll(async () => {
      harness = await ConformanceAgent.start(engine!);
      instance = await harness.provision(instanceId, { version: target.version });
    });
    afterAll(async () => harness?.close());

    it('creates a database (where the engine has them) and a table', async () => {
      if (engine!.capabilities.createDatabase) {
        await harness.executor.run('db.createDatabase', { instance, database: data.database });
        const names = (await harness.executor.run('db.listDatabases', { instance })).map((db) => db.name);
        expect(names).toContain(data.database);
      } else {
        const refused = await failureOf(harness.executor.run('db.createDatabase', { instance, database: 'extra' }));
        expect(refused.code).toBe('NOT_SUPPORTED');
      }
      await data.createTable(harness.executor, instance, data.database, data.table);
    });

    it('inserts rows and pages through them without repeats', async () => {
      for (let i = 1; i <= ROWS; i++) await harness.executor.run('db.insertRow', { ...at(), values: data.row(i) });
      expect(await harness.executor.run('db.countRows', at())).toBe(ROWS);
      const seen: Row[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 10; page++) {
        const result: RowPage = await harness.executor.run('db.readRows', { ...at(), cursor, limit: 2 });
        expect(result.rows.length).toBeLessThanOrEqual(2);
        seen.push(...result.rows);
        cursor = result.nextCursor;
        if (!cursor) break;
      }
      expect(cursor).toBeNull();
      const values = seen.map((row) => data.valueOf(row)).sort();
      expect(values).toEqual(Array.from({ length: ROWS }, (_, i) => `item ${i + 1}`));
      const tables = await harness.executor.run('db.listTables', { instance, database: data.database });
      expect(tables.map((table) => table.name)).toContain(data.table);
    });

    it('edits one row with an optimistic check and refuses a stale edit', async () => {
      const { changes, expected } = data.rename(2, 'renamed');
      const updated = await harness.executor.run('db.updateRow', { ...at(), update: { key: data.key(2), changes, expected } });
      expect(data.valueOf(updated)).toBe('renamed');
      const stale = await failureOf(harness.executor.run('db.updateRow', { ...at(), update: { key: data.key(2), changes: data.rename(2, 'again').changes, expected } }));
      expect(stale.code).toBe('CONFLICT');
      const missing = await failureOf(harness.executor.run('db.updateRow', { ...at(), update: { key: data.key(99), changes } }));
      expect(missing.code).toBe('NOT_FOUND');
    });

    it('deletes one row', async () => {
      await harness.executor.run('db.deleteRow', { ...at(), key: data.key(5) });
      expect(await harness.executor.run('db.countRows', at())).toBe(ROWS - 1);
      const again = await failureOf(harness.executor.run('db.deleteRow', { ...at(), key: data.key(5) }));
      expect(again.code).toBe('NOT_FOUND');
    });

    it('runs a query with a row limit and says it was truncated', async () => {
      const result = await harness.executor.run('db.query', { instance, database: data.database, text: data.selectAll, rowLimit: 2, timeoutMs: 10_000 });
      expect(result.rows).toHaveLength(2);
      expect(result.truncated).toBe(true);
      const full = await harness.executor.run('db.query', { instance, database: data.database, text: data.selectAll, rowLimit: 100, timeoutMs: 10_000 });
      expect(full.truncated).toBe(false);
    });

    it('refuses hostile names and sizes with clear errors, changing nothing', async () => {
      const before = await harness.executor.run('db.inventory', { instance });
      const databasesBefore = (await harness.executor.run('db.listDatabases', { instance })).map((db) => db.name).sort();
      for (const name of [`bad"name`, "x'; DROP DATABASE shop; --", 'a;b', 'dätä', 'x'.repeat(10_240)]) {
        const error = await failureOf(harness.executor.run('db.createDatabase', { instance, database: name }));
        expect(['INVALID_INPUT', 'NOT_SUPPORTED']).toContain(error.code);
        expect(error.message.length).toBeLessThan(400);
        // A table name is quoted, never trusted: it is refused or simply names nothing (a Redis
        // pattern that matches no key counts zero).
        const counted = await harness.executor.run('db.countRows', { instance, database: data.database, table: name }).then(
          (rows) => ({ rows }),
          (error: { code?: string }) => ({ code: error.code }),
        );
        if ('rows' in counted) expect(counted.rows).toBe(0);
        else expect(['INVALID_INPUT', 'NOT_FOUND']).toContain(counted.code);
      }
      const hugeValue = await failureOf(harness.executor.run('db.query', { instance, database: data.database, text: 'x'.repeat(2 * 1024 * 1024), rowLimit: 1, timeoutMs: 1000 }));
      expect(hugeValue).toMatchObject({ code: 'INVALID_INPUT', field: 'text' });
      expect((await harness.executor.run('db.listDatabases', { instance })).map((db) => db.name).sort()).toEqual(databasesBefore);
      expect(await harness.executor.run('db.inventory', { instance })).toEqual(before);
    });
  });
}
