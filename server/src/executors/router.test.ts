import type { CommandExecutor } from '@krint/agent';
import { describe, expect, it } from 'vitest';
import { InvalidInputError, NodeOfflineError, UnavailableError } from '../errors.js';
import { ExecutorRouter } from './router.js';

/** A minimal in-memory executor: answers `agent.ping`, fails everything else with a protocol code. */
function pingExecutor(agentTime: number): CommandExecutor {
  return {
    async run(name, args) {
      if (name === 'agent.ping') return { sentAt: (args as { sentAt: number }).sentAt, agentTime } as never;
      throw Object.assign(new Error(`bad ${name}`), { code: 'INVALID_INPUT', field: 'name' });
    },
    stream() {
      return (async function* () {
        throw Object.assign(new Error('daemon gone'), { code: 'UNAVAILABLE' });
      })();
    },
    async upload() {
      throw Object.assign(new Error('no'), { code: 'TIMEOUT' });
    },
  };
}

describe('ExecutorRouter', () => {
  it('routes local and node hosts, and fails fast for a node that is not connected', async () => {
    const router = new ExecutorRouter(pingExecutor(1), (id) => (id === 'n1' ? { name: 'edge-box', revoked: false } : id === 'n2' ? { name: 'gone-box', revoked: true } : null));
    expect((await router.for(null).run('agent.ping', { sentAt: 5 })).agentTime).toBe(1);
    expect(() => router.for('n1')).toThrow(NodeOfflineError);
    expect(() => router.for('n1')).toThrow(/Node "edge-box" is not connected/);
    const unregister = router.registerNodeExecutor('n1', pingExecutor(2));
    expect(router.isConnected('n1')).toBe(true);
    expect((await router.for('n1').run('agent.ping', { sentAt: 5 })).agentTime).toBe(2);
    unregister();
    expect(() => router.for('n1')).toThrow(NodeOfflineError);
    // A revoked node says so, and how to attach or forget its instances.
    expect(() => router.for('n2')).toThrow(/Node "gone-box" was revoked.*same Node__Id.*forgetInstance/);
    expect(() => router.for('n2')).toThrow(expect.objectContaining({ revoked: true }));
  });

  it('reports a missing local host as unavailable', () => {
    expect(() => new ExecutorRouter(null).for(null)).toThrow(UnavailableError);
  });

  it('maps protocol failures from commands, streams and uploads to typed errors', async () => {
    const executor = new ExecutorRouter(pingExecutor(1)).for(null);
    await expect(executor.run('agent.info', {})).rejects.toBeInstanceOf(InvalidInputError);
    const stream = executor.stream('logs.follow', { containerId: 'x', tail: 1, follow: false });
    await expect((async () => { for await (const _ of stream) void _; })()).rejects.toBeInstanceOf(UnavailableError);
    await expect(executor.upload('backup.restore', { instance: {} as never }, (async function* () {})())).rejects.toBeInstanceOf(UnavailableError);
  });
});
