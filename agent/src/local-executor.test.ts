import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineRegistry, ENGINE_SDK_VERSION, InvalidInputError, NotFoundError, NotSupportedError, Ready, defineCapabilities } from '@krint/engine-sdk';
import type { Engine } from '@krint/engine-sdk';
import { requireImage } from '@krint/engine-sdk/testing';
import type { DumpChunk, ExecOutput, InstanceAddress, LogBatch } from './protocol/commands.js';
import { createAgent, type Agent } from './agent.js';
import { TimeoutError, UnavailableError } from './errors.js';
import { PROTOCOL_VERSION } from './protocol/version.js';

const IMAGE = 'krint-test/busybox:latest';
const hasImage = await requireImage(IMAGE);
const PASSWORD = 'Busybox-secret-42';

/**
 * A real engine for the Docker paths: busybox's httpd as the "server". It has no sessions, so
 * every database command must come back as "not supported".
 */
function busyboxEngine(id: string, mode: 'serve' | 'idle' | 'crash'): Engine {
  return {
    id,
    displayName: 'Busybox httpd',
    description: 'Runtime test fixture',
    sdkVersion: ENGINE_SDK_VERSION,
    versions: [{ version: '1', image: IMAGE, isDefault: true }],
    hostPortRange: [46_300, 46_399],
    rootUser: 'root',
    defaultDatabase: 'www',
    capabilities: defineCapabilities({}),
    terms: { database: 'site', table: 'folder', row: 'file' },
    plugins: [{ id: 'verbose', label: 'Verbose', description: 'Adds an env flag', install: { kind: 'env', env: { VERBOSE: 'yes' } } }],
    containerSpec: (input) => ({
      image: input.version.image,
      env: { ROOT_PASSWORD: input.rootPassword, ...(input.plugins.includes('verbose') ? { VERBOSE: 'yes' } : {}) },
      cmd: ['sh', '-c', `echo "booting with password $ROOT_PASSWORD"; mkdir -p /data/www; echo hi > /data/www/index.html; trap 'exit 0' TERM; ${{ serve: 'httpd -f -p 7000 -h /data/www', idle: 'sleep 3600', crash: 'exit 3' }[mode]} & wait $!`],
      internalPort: 7000,
      dataPath: '/data',
    }),
    readiness: Ready.forProbe(
      async (target) => {
        const response = await fetch(`http://${target.host}:${target.port}/`, { signal: AbortSignal.timeout(2_000) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
      },
      { ceilingMs: 20_000, initialDelayMs: 100, maxDelayMs: 500 },
    ),
    connect: async () => {
      throw new NotSupportedError(id, 'sessions');
    },
    connectionStrings: () => [],
    ...(mode === 'serve' ? {} : { backup: fileBackup(mode === 'crash' ? 'exit 4' : 'echo good') }),
  };
}

/**
 * Dumps `/data/www` as a tar stream, then runs `tail` (which decides the exit status); restores
 * unpack a tar into `/data/restored`. Real tools in a real container, so the backup paths of the
 * agent are tested without a database.
 */
function fileBackup(tail: string): NonNullable<Engine['backup']> {
  return {
    fileExtension: 'tar',
    dumpCommand: () => ({ argv: ['sh', '-c', `tar -C /data/www -cf - . && ${tail}`] }),
    restoreCommand: () => ({ argv: ['sh', '-c', 'mkdir -p /data/restored && tar -C /data/restored -xf -'] }),
    // tar headers carry "ustar" at offset 257.
    checkDumpHeader: (bytes) => (Buffer.from(bytes.subarray(257, 262)).toString() === 'ustar' ? null : 'not a tar archive'),
  };
}

describe.skipIf(!hasImage)('LocalExecutor against Docker (busybox fixture engine)', () => {
  let agent: Agent;
  const created: string[] = [];
  let address: InstanceAddress;
  let volumeName = '';

  beforeAll(async () => {
    agent = await createAgent({ engines: new EngineRegistry([busyboxEngine('busybox', 'serve'), busyboxEngine('busybox-broken', 'idle'), busyboxEngine('busybox-crash', 'crash')]) });
    const instance = await agent.executor.run('instance.create', {
      engineId: 'busybox',
      version: '1',
      instanceId: 'executor-test',
      slug: 'extest',
      rootPassword: PASSWORD,
      defaultDatabase: 'www',
      plugins: ['verbose'],
      isPublic: false,
      storage: 'volume',
    });
    created.push(instance.containerId);
    volumeName = instance.volumeName ?? '';
    address = { engineId: 'busybox', version: '1', containerId: instance.containerId, hostPort: instance.hostPort, rootUser: 'root', rootPassword: PASSWORD, defaultDatabase: 'www' };
  });

  afterAll(async () => {
    for (const id of created) await agent.executor.run('instance.remove', { containerId: id, removeVolume: true }).catch(() => undefined);
    await agent.close();
  });

  it('creates, waits until ready, applies env plugins and reports status', async () => {
    const ready = await agent.executor.run('instance.waitReady', { instance: address });
    expect(ready.elapsedMs).toBeGreaterThanOrEqual(0);
    const details = await agent.context.docker.getContainer(address.containerId).inspect();
    expect(details.Config.Env).toContain('VERBOSE=yes');
    const status = await agent.executor.run('instance.status', { containerIds: [address.containerId, 'no-such-container'] });
    expect(status[address.containerId]?.state).toBe('running');
    expect(status['no-such-container']).toEqual({ state: 'missing', startedAt: null, exitCode: null });
    const stats = await agent.executor.run('instance.stats', { containerIds: [address.containerId] });
    expect(stats[address.containerId]?.memoryBytes).toBeGreaterThan(0);
  });

  it('follows logs through the executor and stops on abort', async () => {
    const controller = new AbortController();
    const batches: LogBatch[] = [];
    for await (const batch of agent.executor.stream('logs.follow', { containerId: address.containerId, tail: 10, follow: true }, { signal: controller.signal })) {
      batches.push(batch);
      controller.abort();
    }
    // The first batch holds the tail; the abort after it ends the stream.
    expect(batches).toHaveLength(1);
    expect(batches[0]?.lines.some((line) => line.text.includes('booting with password'))).toBe(true);
  });

  it('runs a terminal through exec.attach, exec.input and exec.resize', async () => {
    const stream = agent.executor.stream('exec.attach', { containerId: address.containerId, columns: 80, rows: 24 });
    let output = '';
    let exit: ExecOutput | undefined;
    for await (const item of stream) {
      if (item.kind === 'started') {
        await agent.executor.run('exec.resize', { sessionId: item.sessionId, columns: 132, rows: 43 });
        await agent.executor.run('exec.input', { sessionId: item.sessionId, data: 'stty size; echo sum=$((40+2)); exit 7\n' });
      } else if (item.kind === 'output') output += item.data;
      else exit = item;
    }
    expect(output).toContain('43 132');
    expect(output).toContain('sum=42');
    expect(exit).toEqual({ kind: 'exit', exitCode: 7 });
    await expect(agent.executor.run('exec.input', { sessionId: 'gone-session', data: 'x' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('ends a terminal session when its stream is cancelled', async () => {
    const controller = new AbortController();
    let sessionId = '';
    for await (const item of agent.executor.stream('exec.attach', { containerId: address.containerId, command: ['sh'], columns: 80, rows: 24 }, { signal: controller.signal })) {
      if (item.kind === 'started') {
        sessionId = item.sessionId;
        expect(agent.context.terminals.ids).toContain(sessionId);
        controller.abort();
      }
    }
    expect(sessionId).not.toBe('');
    expect(agent.context.terminals.ids).not.toContain(sessionId);
    await expect(agent.executor.run('exec.input', { sessionId, data: 'echo\n' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('answers agent.info and agent.ping', async () => {
    const info = await agent.executor.run('agent.info', {});
    expect(info).toMatchObject({ protocolVersion: `${PROTOCOL_VERSION.major}.${PROTOCOL_VERSION.minor}`, engines: ['busybox', 'busybox-broken', 'busybox-crash'], krintVersion: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(info.dockerVersion).toMatch(/^\d+\.\d+/);
    const ping = await agent.executor.run('agent.ping', { sentAt: 1234 });
    expect(ping.sentAt).toBe(1234);
    expect(Math.abs(ping.agentTime - Date.now())).toBeLessThan(5_000);
  });

  it('maps a missing capability to NOT_SUPPORTED and a missing container to NOT_FOUND', async () => {
    await expect(agent.executor.run('db.listDatabases', { instance: address })).rejects.toBeInstanceOf(NotSupportedError);
    const dump = (async () => {
      for await (const _ of agent.executor.stream('backup.dump', { instance: address })) void _;
    })();
    await expect(dump).rejects.toThrow('The busybox engine does not support backups.');
    await expect(agent.executor.run('instance.start', { containerId: 'krint-no-such-container' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses bad input before anything happens, naming the field', async () => {
    const run = agent.executor.run.bind(agent.executor) as (name: string, args: unknown) => Promise<unknown>;
    await expect(run('instance.nuke', {})).rejects.toMatchObject({ code: 'INVALID_INPUT', message: 'Unknown command "instance.nuke".' });
    await expect(run('instance.stop', { containerId: 42 })).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'containerId' });
    await expect(run('instance.stop', { containerId: 'x', force: true })).rejects.toMatchObject({ field: 'force', message: 'force is not a known field.' });
    await expect(run('db.readRows', { instance: address, database: 'a', table: 'b', limit: 0 })).rejects.toMatchObject({ field: 'limit' });
    await expect(run('instance.create', { engineId: 'busybox', version: '1', instanceId: 'x', slug: 'Bad Slug', rootPassword: PASSWORD, defaultDatabase: '', plugins: [], isPublic: false, storage: 'volume' })).rejects.toMatchObject({ field: 'slug' });
    const weak = run('users.create', { instance: address, name: 'bob', password: "it's; DROP" });
    await expect(weak).rejects.toBeInstanceOf(InvalidInputError);
    await expect(weak).rejects.not.toThrow(/DROP/);
    const unknownVersion = run('instance.create', { engineId: 'busybox', version: '99', instanceId: 'x', slug: 'x', rootPassword: PASSWORD, defaultDatabase: '', plugins: [], isPublic: false, storage: 'volume' });
    await expect(unknownVersion).rejects.toMatchObject({ field: 'version', message: 'Unknown Busybox httpd version "99". Available: 1.' });
    const unknownPlugin = run('instance.create', { engineId: 'busybox', version: '1', instanceId: 'x', slug: 'x', rootPassword: PASSWORD, defaultDatabase: '', plugins: ['turbo'], isPublic: false, storage: 'volume' });
    await expect(unknownPlugin).rejects.toMatchObject({ field: 'plugins' });
    const mine = await agent.context.docker.listContainers({ all: true, filters: { label: ['krint.instance=x'] } });
    expect(mine).toEqual([]);
  });

  it('fails readiness with the address, the log lines and no password', async () => {
    const broken = await agent.executor.run('instance.create', {
      engineId: 'busybox-broken', version: '1', instanceId: 'executor-test', slug: 'extest-broken', rootPassword: PASSWORD, defaultDatabase: 'www', plugins: [], isPublic: false, storage: 'volume',
    });
    created.push(broken.containerId);
    const brokenAddress = { ...address, engineId: 'busybox-broken', containerId: broken.containerId, hostPort: broken.hostPort };
    const failure = agent.executor.run('instance.waitReady', { instance: brokenAddress, ceilingMs: 1_500 });
    await expect(failure).rejects.toBeInstanceOf(TimeoutError);
    const message = ((await failure.catch((error: unknown) => error)) as Error).message;
    expect(message).toContain(`127.0.0.1:${broken.hostPort}`);
    expect(message).toContain('booting with password [redacted]');
    expect(message).not.toContain(PASSWORD);
  });

  it('fails readiness early when the container keeps crashing', async () => {
    const crashing = await agent.executor.run('instance.create', {
      engineId: 'busybox-crash', version: '1', instanceId: 'executor-test', slug: 'extest-crash', rootPassword: PASSWORD, defaultDatabase: 'www', plugins: [], isPublic: false, storage: 'volume',
    });
    created.push(crashing.containerId);
    const started = Date.now();
    const failure = await agent.executor
      .run('instance.waitReady', { instance: { ...address, engineId: 'busybox-crash', containerId: crashing.containerId, hostPort: crashing.hostPort } })
      .catch((error: unknown) => error as Error);
    expect(failure).toBeInstanceOf(UnavailableError);
    expect((failure as Error).message).toMatch(/restarted \d+ times|is (exited|restarting|dead)/);
    expect((failure as Error).message).toContain('booting with password [redacted]');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('streams a dump, restores it, refuses a non-dump, and fails a dump whose tool fails after its output', async () => {
    const idle = await agent.executor.run('instance.create', {
      engineId: 'busybox-broken', version: '1', instanceId: 'executor-test', slug: 'extest-dump', rootPassword: PASSWORD, defaultDatabase: 'www', plugins: [], isPublic: false, storage: 'volume',
    });
    created.push(idle.containerId);
    const instance = { ...address, engineId: 'busybox-broken', containerId: idle.containerId, hostPort: idle.hostPort };
    const exec = async (script: string) => {
      const chunks: string[] = [];
      for await (const chunk of agent.executor.stream('exec.attach', { containerId: idle.containerId, command: ['sh', '-c', script], columns: 80, rows: 24 })) {
        if (chunk.kind === 'output') chunks.push(chunk.data);
      }
      return chunks.join('');
    };
    await exec('mkdir -p /data/www && head -c 600000 /dev/urandom > /data/www/blob && echo hi > /data/www/index.html');
    const dump: Uint8Array[] = [];
    for await (const chunk of agent.executor.stream('backup.dump', { instance })) dump.push(chunk.data);
    const bytes = Buffer.concat(dump);
    expect(dump.length).toBeGreaterThan(2);
    expect(bytes.length).toBeGreaterThan(600_000);

    async function* body(data: Buffer) {
      for (let offset = 0; offset < data.length; offset += 100_000) yield { data: data.subarray(offset, offset + 100_000) };
    }
    const restored = await agent.executor.upload('backup.restore', { instance }, body(bytes));
    expect(restored.bytes).toBe(bytes.length);
    expect(await exec('cmp /data/www/blob /data/restored/blob && echo same')).toContain('same');

    const junk = agent.executor.upload('backup.restore', { instance }, body(Buffer.alloc(2048, 'x')));
    await expect(junk).rejects.toMatchObject({ code: 'INVALID_INPUT', message: 'This file is not a Busybox httpd dump: not a tar archive' });
    const badChunk = agent.executor.upload('backup.restore', { instance }, (async function* () { yield { data: 'not bytes' } as unknown as DumpChunk; })());
    await expect(badChunk).rejects.toMatchObject({ code: 'INVALID_INPUT', field: 'body[0].data' });

    // Same container, addressed as the engine whose dump tool exits 4 after writing the archive.
    const failing = { ...instance, engineId: 'busybox-crash' };
    const received: Uint8Array[] = [];
    const failed = (async () => {
      for await (const chunk of agent.executor.stream('backup.dump', { instance: failing })) received.push(chunk.data);
    })();
    await expect(failed).rejects.toMatchObject({ code: 'INTERNAL', message: 'sh exited with code 4.' });
    expect(received.length).toBeGreaterThan(0);
  });

  it('fails a pull of a missing image with its name', async () => {
    const pull = (async () => {
      for await (const _ of agent.executor.stream('image.pull', { image: 'krint-test/not-here:1' })) void _;
    })();
    await expect(pull).rejects.toBeInstanceOf(UnavailableError);
    await expect(pull).rejects.toThrow(/krint-test\/not-here:1/);
  });

  it('stops, starts and removes idempotently, leaving no container or volume', async () => {
    expect((await agent.executor.run('instance.stop', { containerId: address.containerId })).state).toBe('exited');
    expect((await agent.executor.run('instance.start', { containerId: address.containerId })).state).toBe('running');
    await agent.executor.run('instance.waitReady', { instance: address });
    expect(await agent.executor.run('instance.remove', { containerId: address.containerId, removeVolume: true })).toEqual({ removed: true });
    expect(await agent.executor.run('instance.remove', { containerId: address.containerId, removeVolume: true })).toEqual({ removed: false });
    const containers = await agent.context.docker.listContainers({ all: true, filters: { label: ['krint.instance=executor-test'] } });
    expect(containers.map((c) => c.Id)).not.toContain(address.containerId);
    expect(volumeName).toMatch(/^krint-extest-[a-z0-9]{8}-data$/);
    await expect(agent.context.docker.getVolume(volumeName).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });
});
