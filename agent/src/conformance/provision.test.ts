import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineRegistry } from '@krint/engine-sdk';
import type { InstanceAddress } from '../protocol/commands.js';
import { createAgent } from '../agent.js';
import { ConformanceAgent, failureOf, generatePassword, resolveTargets } from './harness.js';

const targets = await resolveTargets();

for (const { target, engine, skipReason } of targets) {
  describe.skipIf(skipReason !== null)(`provision: ${target.name}${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
    const instanceId = `conf-provision-${target.name}`;
    let harness: ConformanceAgent;
    let address: InstanceAddress;

    beforeAll(async () => {
      harness = await ConformanceAgent.start(engine!);
      address = await harness.provision(instanceId, { version: target.version });
    });
    afterAll(async () => harness?.close());

    it('creates a labelled container on a loopback port in the engine range, ready to answer', async () => {
      const details = await harness.agent.context.docker.getContainer(address.containerId).inspect();
      expect(details.Config.Labels).toMatchObject({ 'krint.managed': 'true', 'krint.instance': instanceId, 'krint.engine': engine!.id, 'krint.version': target.version });
      const [low, high] = engine!.hostPortRange;
      expect(address.hostPort).toBeGreaterThanOrEqual(low);
      expect(address.hostPort).toBeLessThanOrEqual(high);
      expect(Object.values(details.HostConfig.PortBindings ?? {}).flat()).toEqual([{ HostIp: '127.0.0.1', HostPort: String(address.hostPort) }]);
      const databases = await harness.executor.run('db.listDatabases', { instance: address });
      expect(databases.map((db) => db.name)).toContain(engine!.defaultDatabase);
      const status = await harness.executor.run('instance.status', { containerIds: [address.containerId] });
      expect(status[address.containerId]?.state).toBe('running');
    });

    it('refuses a wrong root password without naming it', async () => {
      const wrong = generatePassword();
      const error = await failureOf(harness.executor.run('db.listDatabases', { instance: { ...address, rootPassword: wrong } }));
      expect(error.message).not.toContain(wrong);
      expect(error.message).not.toContain(address.rootPassword);
      await expect(engine!.connect({ host: '127.0.0.1', port: address.hostPort, user: address.rootUser, password: wrong, database: address.defaultDatabase })).rejects.toThrow();
    });

    it('refuses an unknown version and an unknown plugin, creating nothing', async () => {
      const base = { engineId: engine!.id, instanceId: `${instanceId}-bad`, slug: 'conf-bad', rootPassword: generatePassword(), defaultDatabase: engine!.defaultDatabase, isPublic: false, storage: 'volume' as const };
      const version = await failureOf(harness.executor.run('instance.create', { ...base, version: '0.0-nope', plugins: [] }));
      expect(version).toMatchObject({ code: 'INVALID_INPUT', field: 'version' });
      expect(version.message).toContain('0.0-nope');
      const plugin = await failureOf(harness.executor.run('instance.create', { ...base, version: target.version, plugins: ['no-such-plugin'] }));
      expect(['INVALID_INPUT', 'NOT_SUPPORTED']).toContain(plugin.code);
      expect(await harness.leftovers(`${instanceId}-bad`)).toEqual({ containers: [], volumes: [] });
    });

    it('keeps one engine session per instance and closes it when idle', async () => {
      const agent = await createAgent({ engines: new EngineRegistry([engine!]), sessionIdleMs: 300 });
      try {
        await agent.executor.run('db.listDatabases', { instance: address });
        await agent.executor.run('db.listTables', { instance: address, database: address.defaultDatabase });
        expect(agent.context.sessions.size).toBe(1);
        await new Promise((resolve) => setTimeout(resolve, 800));
        expect(agent.context.sessions.size).toBe(0);
        await agent.executor.run('db.listDatabases', { instance: address });
        expect(agent.context.sessions.size).toBe(1);
      } finally {
        await agent.close();
      }
      expect(agent.context.sessions.size).toBe(0);
    });

    it('stops and starts, answering again afterwards', async () => {
      expect((await harness.executor.run('instance.stop', { containerId: address.containerId })).state).toBe('exited');
      await expect(harness.executor.run('db.listDatabases', { instance: address })).rejects.toThrow();
      expect((await harness.executor.run('instance.start', { containerId: address.containerId })).state).toBe('running');
      await harness.executor.run('instance.waitReady', { instance: address });
      const databases = await harness.executor.run('db.listDatabases', { instance: address });
      expect(databases.map((db) => db.name)).toContain(engine!.defaultDatabase);
    });

    it('removes the container and its volume, leaving nothing labelled', async () => {
      expect(await harness.executor.run('instance.remove', { containerId: address.containerId, removeVolume: true })).toEqual({ removed: true });
      expect(await harness.leftovers(instanceId)).toEqual({ containers: [], volumes: [] });
      expect(await harness.executor.run('instance.remove', { containerId: address.containerId, removeVolume: true })).toEqual({ removed: false });
    });
  });
}
