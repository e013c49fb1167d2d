import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '@krint/engine-sdk';
import { requireImage } from '@krint/engine-sdk/testing';
import type { InstanceAddress } from '../protocol/commands.js';
import { ConformanceAgent, dumpToFile, generatePassword, resolveTargets, restoreFromFile } from './harness.js';

/**
 * PostgreSQL-only capabilities: plugins applied after readiness, and a major upgrade the way the
 * control plane does it (dump the old instance, stop it, start the new major on the same port,
 * restore, compare inventories), all through the executor.
 */
const postgres = (await resolveTargets()).find(({ target }) => target.name === 'postgres');
const FROM = '15';
const TO = '17';
const hasNewImage = postgres?.engine ? await requireImage(`postgres:${TO}`) : false;
const skip = !postgres || postgres.skipReason !== null || !hasNewImage;
const skipNote = !postgres ? 'postgres not selected' : postgres.skipReason ?? (hasNewImage ? '' : `image postgres:${TO} is missing`);

async function query(harness: ConformanceAgent, instance: InstanceAddress, database: string, text: string) {
  return harness.executor.run('db.query', { instance, database, text, rowLimit: 100, timeoutMs: 30_000 });
}

describe.skipIf(skip)(`upgrade: postgres${skip ? ` (skipped: ${skipNote})` : ''}`, () => {
  let engine: Engine;
  let harness: ConformanceAgent;
  let workDir: string;

  beforeAll(async () => {
    engine = postgres!.engine!;
    harness = await ConformanceAgent.start(engine);
    workDir = await mkdtemp(join(tmpdir(), 'krint-upgrade-'));
  });
  afterAll(async () => {
    await harness?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('installs PostGIS on 15 after readiness, and refuses unknown plugins', async () => {
    const instance = await harness.provision('conf-plugins-postgres', { version: FROM, plugins: ['postgis'] });
    await harness.executor.run('instance.installPlugins', { instance, plugins: ['postgis'] });
    const version = await query(harness, instance, instance.defaultDatabase, 'SELECT postgis_lib_version() AS v');
    expect(String(version.rows[0]?.v)).toMatch(/^3\./);
    const distance = await query(harness, instance, instance.defaultDatabase, "SELECT ST_Distance('POINT(0 0)'::geometry, 'POINT(3 4)'::geometry) AS d");
    expect(Number(distance.rows[0]?.d)).toBe(5);
    await expect(harness.executor.run('instance.installPlugins', { instance, plugins: ['not-a-plugin'] })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'plugins' });
  });

  it(`moves ${FROM} → ${TO} by dump and restore, keeping every database, role and row`, async () => {
    expect(engine.upgrade?.check(FROM, TO)).toBeNull();
    expect(engine.upgrade?.check(TO, FROM)).toMatch(/Downgrades are not supported/);

    const rootPassword = generatePassword();
    const clerkPassword = generatePassword();
    const old = await harness.provision('conf-upgrade-postgres-old', { version: FROM, rootPassword });
    for (const database of ['shop', 'archive']) await harness.executor.run('db.createDatabase', { instance: old, database });
    await query(harness, old, 'shop', 'CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL, tags jsonb)');
    await query(harness, old, 'shop', "INSERT INTO items SELECT g, 'item ' || g, jsonb_build_object('n', g) FROM generate_series(1, 250) g");
    await query(harness, old, 'archive', 'CREATE SCHEMA history');
    await query(harness, old, 'archive', 'CREATE TABLE history.events (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())');
    await query(harness, old, 'archive', 'INSERT INTO history.events DEFAULT VALUES');
    await harness.executor.run('users.create', { instance: old, name: 'clerk', password: clerkPassword });
    await harness.executor.run('users.grant', { instance: old, name: 'clerk', database: 'shop', access: 'readwrite' });
    const inventory = await harness.executor.run('db.inventory', { instance: old });
    expect(inventory).toContainEqual({ database: 'shop', table: 'items', rows: 250 });
    const users = (await harness.executor.run('users.list', { instance: old })).map((user) => user.name).sort();
    const grants = await harness.executor.run('users.listGrants', { instance: old, name: 'clerk' });

    const dumpFile = join(workDir, 'upgrade.sql');
    expect(await dumpToFile(harness.executor, old, dumpFile)).toBeGreaterThan(0);
    await harness.executor.run('instance.stop', { containerId: old.containerId });

    const next = await harness.executor.run('instance.create', {
      engineId: engine.id,
      version: TO,
      instanceId: 'conf-upgrade-postgres-new',
      slug: 'conf-upgrade-new',
      rootPassword,
      defaultDatabase: engine.defaultDatabase,
      plugins: [],
      isPublic: false,
      storage: 'volume',
      hostPort: old.hostPort,
      labels: { 'krint.previous-container': old.containerId },
    });
    harness.instanceIds.add('conf-upgrade-postgres-new');
    expect(next.hostPort).toBe(old.hostPort);
    const upgraded: InstanceAddress = { ...old, version: TO, containerId: next.containerId };
    await harness.executor.run('instance.waitReady', { instance: upgraded });
    await restoreFromFile(harness.executor, upgraded, dumpFile);

    const serverVersion = await query(harness, upgraded, upgraded.defaultDatabase, 'SHOW server_version');
    expect(String(Object.values(serverVersion.rows[0] ?? {})[0])).toMatch(new RegExp(`^${TO}\\.`));
    expect(await harness.executor.run('db.inventory', { instance: upgraded })).toEqual(inventory);
    expect((await harness.executor.run('users.list', { instance: upgraded })).map((user) => user.name).sort()).toEqual(users);
    expect(await harness.executor.run('users.listGrants', { instance: upgraded, name: 'clerk' })).toEqual(grants);
    const clerk = await engine.connect({ host: '127.0.0.1', port: upgraded.hostPort, user: 'clerk', password: clerkPassword, database: 'shop' });
    try {
      expect(await clerk.countRows('shop', 'items')).toBe(250);
    } finally {
      await clerk.close();
    }

    expect(await harness.executor.run('instance.remove', { containerId: old.containerId, removeVolume: true })).toEqual({ removed: true });
    expect(await harness.leftovers('conf-upgrade-postgres-old')).toEqual({ containers: [], volumes: [] });
  });
});
