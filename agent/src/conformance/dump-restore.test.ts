import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventoryEntry, InstanceAddress } from '../protocol/commands.js';
import { ConformanceAgent, dumpToFile, failureOf, resolveTargets, restoreFromFile } from './harness.js';

const targets = await resolveTargets();
const ROWS = 40;

for (const { target, engine, skipReason } of targets) {
  describe.skipIf(skipReason !== null)(`dump-restore: ${target.name}${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
    const instanceId = `conf-dump-${target.name}`;
    const { data } = target;
    let harness: ConformanceAgent;
    let instance: InstanceAddress;
    let workDir: string;
    let dumpFile: string;
    let before: InventoryEntry[];

    beforeAll(async () => {
      harness = await ConformanceAgent.start(engine!);
      instance = await harness.provision(instanceId, { version: target.version });
      workDir = await mkdtemp(join(tmpdir(), 'krint-conformance-'));
      dumpFile = join(workDir, `dump.${engine!.backup?.fileExtension ?? 'bin'}`);
      if (engine!.capabilities.createDatabase) await harness.executor.run('db.createDatabase', { instance, database: data.database });
      await data.createTable(harness.executor, instance, data.database, data.table);
      for (let i = 1; i <= ROWS; i++) await harness.executor.run('db.insertRow', { instance, database: data.database, table: data.table, values: data.row(i) });
      before = await harness.executor.run('db.inventory', { instance });
    });
    afterAll(async () => {
      await harness?.close();
      if (workDir) await rm(workDir, { recursive: true, force: true });
    });

    it('takes inventory of every table with exact counts', () => {
      expect(before).toContainEqual(expect.objectContaining({ database: data.database, rows: ROWS }));
    });

    it('dumps through the stream into a file', async () => {
      const bytes = await dumpToFile(harness.executor, instance, dumpFile);
      expect(bytes).toBeGreaterThan(0);
      expect((await stat(dumpFile)).size).toBe(bytes);
      expect(engine!.backup?.checkDumpHeader?.(await readFile(dumpFile).then((b) => b.subarray(0, 4096))) ?? null).toBeNull();
    });

    it('refuses a file that is not a dump, changing nothing', async () => {
      const junk = join(workDir, 'junk.bin');
      await writeFile(junk, 'this is not a database dump at all\n'.repeat(10));
      if (!engine!.backup?.checkDumpHeader) return;
      const error = await failureOf(restoreFromFile(harness.executor, instance, junk));
      expect(error).toMatchObject({ code: 'INVALID_INPUT' });
      expect(await harness.executor.run('db.inventory', { instance })).toEqual(before);
    });

    it('restores the data after everything was dropped', async () => {
      if (engine!.capabilities.createDatabase) await harness.executor.run('db.dropDatabase', { instance, database: data.database });
      else await harness.executor.run('db.dropDatabase', { instance, database: data.database });
      const emptied = await harness.executor.run('db.inventory', { instance });
      expect(emptied.filter((entry) => entry.database === data.database && entry.rows > 0)).toEqual([]);
      const result = await restoreFromFile(harness.executor, instance, dumpFile);
      expect(result.bytes).toBe((await stat(dumpFile)).size);
      await harness.executor.run('instance.waitReady', { instance });
      expect(await harness.executor.run('db.inventory', { instance })).toEqual(before);
      const page = await harness.executor.run('db.readRows', { instance, database: data.database, table: data.table, limit: 1000 });
      expect(page.rows.map((row) => data.valueOf(row)).sort()).toEqual(Array.from({ length: ROWS }, (_, i) => `item ${i + 1}`).sort());
    });

    it('fails a dump with the wrong credentials instead of reporting it good', async () => {
      const wrong = { ...instance, rootPassword: 'Wrong-password-123' };
      const chunks: Uint8Array[] = [];
      const failure = (async () => {
        for await (const chunk of harness.executor.stream('backup.dump', { instance: wrong })) chunks.push(chunk.data);
      })();
      // Engines that dump through a trusted local socket do not need the password; for the rest
      // the stream must end in an error, never in a short "successful" dump.
      const outcome = await failure.then(() => null, (error: Error) => error);
      if (outcome) expect(outcome.message).not.toContain('Wrong-password-123');
      else expect(engine!.backup?.checkDumpHeader?.(Buffer.concat(chunks).subarray(0, 4096)) ?? null).toBeNull();
    });
  });
}
