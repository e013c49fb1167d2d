import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineRegistry, type ConnectionTarget } from '@krint/engine-sdk';
import { requireImage, startTestContainer, waitFor, type StartedTestContainer } from '@krint/engine-sdk/testing';
import { exampleEngine } from './example-engine.js';

const fixture = (name: string) => new URL(`./fixtures/${name}.ts`, import.meta.url).href;

describe('loading the example as a third-party package', () => {
  it('is loaded by package name, exactly as configuration names it', async () => {
    const registry = new EngineRegistry();
    const loaded = await registry.load('krint-engine-example');
    expect(loaded.id).toBe('example-kv');
    expect(registry.get('example-kv')).toBe(loaded);
    expect(loaded.capabilities.browse).toBe(true);
    expect(loaded.capabilities.editRows).toBe(false);
    await expect(registry.load('krint-engine-example')).rejects.toThrow('Engine "example-kv" is registered twice.');
  });

  it('refuses invalid plugins with a message that says what is wrong', async () => {
    const registry = new EngineRegistry();
    await expect(registry.load(fixture('wrong-sdk-version'))).rejects.toThrow(
      'Engine "from-the-future" cannot be loaded: it targets SDK version 99; this Krint supports 1',
    );
    await expect(registry.load(fixture('no-engine'))).rejects.toThrow(/exports no engine \(expected a default export or "engine"\)/);
    await expect(registry.load(fixture('bad-port-range'))).rejects.toThrow(/"bad-ports" cannot be loaded: hostPortRange must be two ports, low to high/);
    await expect(registry.load('krint-engine-that-is-not-installed')).rejects.toThrow(/krint-engine-that-is-not-installed/);
    expect(registry.list()).toEqual([]);
  });
});

const IMAGE = 'redis:7';
const available = await requireImage(IMAGE);

describe.skipIf(!available)('the example engine against a real server', () => {
  let container: StartedTestContainer;
  let target: ConnectionTarget;

  beforeAll(async () => {
    const password = `example-${Date.now().toString(36)}`;
    const spec = exampleEngine.containerSpec({ version: exampleEngine.versions[0]!, rootPassword: password, defaultDatabase: '0', plugins: [] });
    container = await startTestContainer({ image: spec.image, internalPort: spec.internalPort, env: spec.env, cmd: spec.cmd, namePrefix: 'krint-example-test' });
    target = { host: container.host, port: container.port, user: exampleEngine.rootUser, password };
    await waitFor(() => exampleEngine.readiness.probe(target), exampleEngine.readiness.ceilingMs);
    await container.exec(['sh', '-c', 'for i in $(seq 1 25); do redis-cli --no-auth-warning -a "$EXAMPLE_PASSWORD" SET "note:$i" "text $i" >/dev/null; done']);
  });

  afterAll(async () => {
    await container?.remove();
  });

  it('is ready only with the right password', async () => {
    await expect(exampleEngine.readiness.probe({ ...target, password: 'wrong-password' })).rejects.toThrow('The server refused the credentials of "default".');
  });

  it('browses every key page by page', async () => {
    const session = await exampleEngine.connect(target);
    try {
      expect(await session.countRows('0', 'keys')).toBe(25);
      const seen = new Map<string, unknown>();
      let cursor: string | null = null;
      for (let pages = 0; pages < 50; pages++) {
        const page = await session.readRows('0', 'keys', { limit: 5, cursor });
        for (const row of page.rows) seen.set(String(row.key), row.value);
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      expect(seen.size).toBe(25);
      expect(seen.get('note:7')).toBe('text 7');
      await expect(session.readRows('1', 'keys', { limit: 5 })).rejects.toThrow(/one database, "0"/);
      expect(session.insertRow).toBeUndefined();
    } finally {
      await session.close();
    }
  });
});
