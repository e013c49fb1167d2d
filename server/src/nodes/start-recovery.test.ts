import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createEngineRegistry } from '@krint/agent';
import { describe, expect, it } from 'vitest';
import { createKrint } from '../app.js';
import { startTestKrint } from '../auth/testing.js';
import { loadConfig } from '../config.js';
import { Backup, Instance, Node } from '../db/entities.js';
import { REVOKED_TOKEN_HASH } from './node-tokens.js';

/**
 * A start after a stop says in the log what it found and did: backups a stop cut short (recorded
 * failed, partial files removed) and the nodes it waits for, or that were revoked with instances.
 */
describe('what a start recovers is in the log', () => {
  it('names the backups it marked failed, the partial files it removed and the nodes it waits for', async () => {
    const first = await startTestKrint();
    const em = first.krint.services.deps.orm.em.fork();
    const away = em.create(Node, { name: 'edge-away', tokenHash: 'a'.repeat(64), lastSeenAt: new Date() });
    const gone = em.create(Node, { name: 'edge-gone', tokenHash: REVOKED_TOKEN_HASH, lastSeenAt: new Date() });
    const sealed = first.krint.services.deps.vault.seal('Secret-pass-1');
    for (const [name, node] of [['On away', away], ['On gone', gone]] as const) {
      em.create(Instance, { engine: 'redis', version: '7', name, slug: name.toLowerCase().replace(' ', '-'), nodeId: node.id, defaultDatabase: '0', rootUser: 'default', rootPasswordSealed: sealed, status: 'ready', containerId: `c-${node.id}`, hostPort: 16379 });
    }
    const file = 'on-away-20261208T010203Z-abcdef.rdb';
    const cutShort = em.create(Backup, { instanceId: away.id, instanceName: 'On away', engine: 'redis', engineVersion: '7', file, status: 'running' });
    await em.flush();
    const backups = first.krint.services.deps.config.backups.directory;
    mkdirSync(backups, { recursive: true });
    writeFileSync(path.join(backups, `.${file}.partial`), 'half a dump');
    await first.krint.close();

    const logs: string[] = [];
    const again = await createKrint({ config: loadConfig({ env: { Krint__DataDir: first.dataDir }, cwd: first.dataDir }), localExecutor: null, engines: await createEngineRegistry(), log: (line) => logs.push(line) });
    try {
      // Reconciliation runs beside the start; its lines follow shortly.
      const deadline = Date.now() + 10_000;
      while (!logs.some((line) => line.startsWith('Reconcile: backup')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const text = logs.join('\n');
      expect(text).toContain(`Reconcile: backup ${cutShort.id} of instance ${away.id}`);
      expect(text).toContain('was cut short by the stop; recorded as failed, its partial file removed.');
      expect(existsSync(path.join(backups, `.${file}.partial`))).toBe(false);
      expect(text).toContain('Nodes: 2 known.');
      expect(text).toContain('Nodes: waiting for "edge-away" (1 instance(s)) to connect');
      expect(text).toContain('Nodes: revoked with instances still recorded: "edge-gone" (1 instance(s))');
    } finally {
      await again.close();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
