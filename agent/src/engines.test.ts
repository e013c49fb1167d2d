import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_ENGINES, createEngineRegistry, enginePluginsFromEnv } from './engines.js';

describe('engine registry', () => {
  it('holds every built-in engine, each valid', async () => {
    const registry = await createEngineRegistry({ plugins: [] });
    expect(registry.list().map((engine) => engine.id)).toEqual(['postgres', 'mysql', 'mariadb', 'mongo', 'redis', 'valkey']);
    expect(BUILT_IN_ENGINES).toHaveLength(6);
  });

  it('loads no database driver until an engine connects, and then only that engine\'s', async () => {
    // A fresh process, as the control plane and node processes start: vitest's own module graph
    // would not show what a plain import loads. Drivers are CommonJS, so require.cache lists them.
    const script = `
      import { createRequire } from 'node:module';
      const { createEngineRegistry } = await import('./src/engines.ts');
      const drivers = () => {
        const names = Object.keys(createRequire(import.meta.url).cache).map((file) => /node_modules[\\/\\\\](pg|mysql2|mongodb|ioredis)[\\/\\\\]/.exec(file)?.[1]);
        return [...new Set(names.filter(Boolean))].sort();
      };
      const registry = await createEngineRegistry({ plugins: [] });
      const atRest = drivers();
      // Nothing listens on port 1: the probe fails, but only after loading its driver.
      await registry.get('postgres').readiness.probe({ host: '127.0.0.1', port: 1, user: 'postgres', password: 'unused-1' }).catch(() => undefined);
      console.log(JSON.stringify({ atRest, afterPostgresProbe: drivers() }));
    `;
    const agentDir = fileURLToPath(new URL('..', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], { cwd: agentDir });
    expect(JSON.parse(stdout)).toEqual({ atRest: [], afterPostgresProbe: ['pg'] });
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
