import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_ENGINES, createEngineRegistry, enginePluginsFromEnv } from './engines.js';

describe('engine registry', () => {
  it('holds every built-in engine, each valid', async () => {
    const registry = await createEngineRegistry({ plugins: [] });
    expect(registry.list().map((engine) => engine.id)).toEqual(['postgres', 'mysql', 'mariadb', 'mongo', 'redis', 'valkey']);
    expect(BUILT_IN_ENGINES).toHaveLength(6);
  });

  it('reads the plugin list from Krint__EnginePlugins', () => {
    expect(enginePluginsFromEnv({ Krint__EnginePlugins: ' a-engine, ,b-engine,a-engine ' })).toEqual(['a-engine', 'b-engine']);
    expect(enginePluginsFromEnv({})).toEqual([]);
  });

  it('loads a third-party engine package by path and names a broken one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'krint-plugin-test-'));
    try {
      const engineSource = (id: string, sdkVersion: number) => `export default {
        id: '${id}', displayName: 'Fixture', description: 'A third-party engine', sdkVersion: ${sdkVersion},
        versions: [{ version: '1', image: 'krint-test/busybox:latest', isDefault: true }], hostPortRange: [47000, 47010],
        rootUser: 'root', defaultDatabase: 'main', capabilities: {}, terms: { database: 'db', table: 't', row: 'r' }, plugins: [],
        containerSpec() { throw new Error('unused'); }, readiness: { ceilingMs: 1, initialDelayMs: 1, maxDelayMs: 1, probe: async () => {} },
        connect: async () => { throw new Error('unused'); }, connectionStrings: () => [],
      };`;
      await writeFile(join(dir, 'good.mjs'), engineSource('fixture-engine', 1));
      await writeFile(join(dir, 'old.mjs'), engineSource('old-engine', 0));
      const registry = await createEngineRegistry({ plugins: [join(dir, 'good.mjs')] });
      expect(registry.get('fixture-engine').displayName).toBe('Fixture');
      await expect(createEngineRegistry({ plugins: [join(dir, 'old.mjs')] })).rejects.toThrow(/old\.mjs.*could not be loaded.*targets SDK version 0/);
      await expect(createEngineRegistry({ plugins: ['krint-engine-that-does-not-exist'] })).rejects.toThrow(/krint-engine-that-does-not-exist/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
