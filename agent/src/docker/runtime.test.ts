import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireImage } from '@krint/engine-sdk/testing';
import type { ContainerSpec } from '@krint/engine-sdk';
import type { ExecOutput, LogLine } from '../protocol/commands.js';
import { createDockerClient } from './client.js';
import { containerStatus, createInstanceContainer, removeContainer, stopContainer, startContainer } from './containers.js';
import { execCapture, execOutput, execWithInput } from './exec.js';
import { ExecSessionTable } from './exec-sessions.js';
import { pullImage } from './images.js';
import { followLogs } from './logs.js';
import { allocateHostPort, publishedPorts } from './ports.js';
import { containerStats } from './stats.js';

const run = promisify(execFile);
const IMAGE = 'krint-test/busybox:latest';
const docker = createDockerClient();
const hasImage = await requireImage(IMAGE);
/** A range of its own so parallel suites do not fight over ports. */
const RANGE: [number, number] = [46_100, 46_199];
const SLUG = 'rtest';

const spec: ContainerSpec = {
  image: IMAGE,
  env: { GREETING: 'hello' },
  cmd: ['sh', '-c', 'echo started; echo oops >&2; while true; do sleep 1; done'],
  internalPort: 7000,
  dataPath: '/data',
};
const identity = { instanceId: 'runtime-test', engineId: 'busybox', version: '1' };

async function cleanup(): Promise<void> {
  const mine = await docker.listContainers({ all: true, filters: { label: [`krint.instance=${identity.instanceId}`] } });
  for (const container of mine) await removeContainer(docker, container.Id, true);
}

describe.skipIf(!hasImage)('Docker runtime (busybox)', () => {
  let containerId = '';
  let volumeName = '';
  let hostPort = 0;

  beforeAll(async () => {
    await cleanup();
    const created = await createInstanceContainer(docker, { spec, identity, slug: SLUG, isPublic: false, storage: 'volume', portRange: RANGE });
    containerId = created.containerId;
    volumeName = created.volumeName ?? '';
    hostPort = created.hostPort;
  });
  afterAll(cleanup);

  it('creates a labelled, named, running container on a loopback port with a labelled volume', async () => {
    const details = await docker.getContainer(containerId).inspect();
    expect(details.Name).toMatch(/^\/krint-rtest-[a-z0-9]{8}$/);
    expect(details.Config.Labels).toMatchObject({
      'krint.managed': 'true',
      'krint.instance': 'runtime-test',
      'krint.engine': 'busybox',
      'krint.version': '1',
      'com.docker.compose.project': 'krint-databases',
    });
    expect(details.HostConfig.PortBindings?.['7000/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: String(hostPort) }]);
    expect(hostPort).toBeGreaterThanOrEqual(RANGE[0]);
    expect(volumeName).toBe(`${details.Name.slice(1)}-data`);
    expect((await docker.getVolume(volumeName).inspect()).Labels?.['krint.managed']).toBe('true');
    expect((await containerStatus(docker, containerId)).state).toBe('running');
  });

  it('follows the log with stdout and stderr apart, sees a new line, and stops on abort', async () => {
    const controller = new AbortController();
    const lines: LogLine[] = [];
    const reading = (async () => {
      for await (const batch of followLogs(docker, containerId, { tail: 50, follow: true, signal: controller.signal })) {
        expect(batch.lines.length).toBeGreaterThan(0);
        lines.push(...batch.lines);
        if (batch.lines.some((line) => line.text === 'x-marks-the-spot')) controller.abort();
      }
    })();
    await waitUntil(() => lines.some((line) => line.text === 'started'));
    await run('docker', ['exec', containerId, 'sh', '-c', 'echo x-marks-the-spot > /proc/1/fd/1']);
    await reading;
    expect(lines).toContainEqual(expect.objectContaining({ stream: 'stdout', text: 'started' }));
    expect(lines).toContainEqual(expect.objectContaining({ stream: 'stderr', text: 'oops' }));
    const last = lines.at(-1);
    expect(last?.text).toBe('x-marks-the-spot');
    expect(Number.isNaN(Date.parse(last?.time ?? ''))).toBe(false);
  });

  it('runs an interactive TTY session: echo, resize, exit code', async () => {
    const table = new ExecSessionTable(docker);
    const items: ExecOutput[] = [];
    let output = '';
    let sessionId = '';
    const done = (async () => {
      for await (const item of table.attach(containerId, { command: ['sh'], columns: 80, rows: 24 })) {
        items.push(item);
        if (item.kind === 'started') sessionId = item.sessionId;
        if (item.kind === 'output') output += item.data;
      }
    })();
    await waitUntil(() => sessionId !== '');
    expect(table.ids).toEqual([sessionId]);
    await table.write(sessionId, 'echo hello-$((6*7))\n');
    await waitUntil(() => output.includes('hello-42'));
    await table.resize(sessionId, 101, 37);
    await table.write(sessionId, 'stty size\n');
    await waitUntil(() => output.includes('37 101'));
    await table.write(sessionId, 'exit 3\n');
    await done;
    expect(items.at(-1)).toEqual({ kind: 'exit', exitCode: 3 });
    expect(table.ids).toEqual([]);
    await expect(table.write(sessionId, 'x')).rejects.toThrow(/No open terminal session/);
  });

  it('streams command output in bounded chunks and fails after the stream on a bad exit or stderr', async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of execOutput(docker, containerId, { argv: ['sh', '-c', 'head -c 300000 /dev/zero'] }, 65_536)) chunks.push(chunk);
    expect(chunks.reduce((sum, chunk) => sum + chunk.length, 0)).toBe(300_000);
    expect(Math.max(...chunks.map((chunk) => chunk.length))).toBeLessThanOrEqual(65_536);

    const seen: string[] = [];
    const failing = (async () => {
      for await (const chunk of execOutput(docker, containerId, { argv: ['sh', '-c', 'echo partial; exit 2'] }, 1024)) seen.push(chunk.toString());
    })();
    await expect(failing).rejects.toThrow(/exited with code 2/);
    expect(seen.join('')).toBe('partial\n');

    const noisy = execCapture(docker, containerId, { argv: ['sh', '-c', 'echo data; echo broken pipe >&2'] });
    await expect(noisy).rejects.toThrow(/broken pipe/);
    expect(await execCapture(docker, containerId, { argv: ['sh', '-c', 'echo $GREETING $EXTRA'], env: { EXTRA: 'there' } })).toBe('hello there\n');
  });

  it('feeds stdin from chunks and reports a failing reader', async () => {
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 40; i++) yield Buffer.alloc(100_000, i);
    }
    const result = await execWithInput(docker, containerId, { argv: ['sh', '-c', 'cat > /data/in.bin'] }, chunks());
    expect(result.bytes).toBe(4_000_000);
    expect((await execCapture(docker, containerId, { argv: ['sh', '-c', 'wc -c < /data/in.bin'] })).trim()).toBe('4000000');
    await expect(execWithInput(docker, containerId, { argv: ['sh', '-c', 'cat >/dev/null; echo bad dump >&2; exit 5'] }, chunks())).rejects.toThrow(/exited with code 5: bad dump/);
  });

  it('reports stats of a running container', async () => {
    const stats = await containerStats(docker, containerId);
    expect(stats.memoryBytes).toBeGreaterThan(0);
    expect(stats.memoryLimitBytes).toBeGreaterThan(0);
    expect(stats.cpuPercent).toBeGreaterThanOrEqual(0);
  });

  it('allocates ports that no container publishes and nothing on the host holds', async () => {
    expect((await publishedPorts(docker)).has(hostPort)).toBe(true);
    const range: [number, number] = [hostPort, hostPort + 5];
    const listener = createServer();
    await new Promise<void>((resolve) => listener.listen(hostPort + 1, '127.0.0.1', resolve));
    try {
      const port = await allocateHostPort(docker, range);
      expect(port).toBeGreaterThan(hostPort + 1);
    } finally {
      listener.close();
    }
  });

  it('stops and starts, keeping the data', async () => {
    expect((await stopContainer(docker, containerId, 1)).state).toBe('exited');
    expect((await startContainer(docker, containerId)).state).toBe('running');
    expect((await startContainer(docker, containerId)).state).toBe('running');
    expect((await execCapture(docker, containerId, { argv: ['sh', '-c', 'wc -c < /data/in.bin'] })).trim()).toBe('4000000');
  });

  it('reads the log of a container with a TTY as one stream', async () => {
    const container = await docker.createContainer({
      Image: IMAGE,
      name: `krint-rtest-tty-${Date.now()}`,
      Tty: true,
      Cmd: ['sh', '-c', 'echo tty-line-1; echo tty-line-2 >&2; sleep 30'],
      Labels: { 'krint.instance': identity.instanceId },
    });
    await container.start();
    try {
      const lines: LogLine[] = [];
      for (let attempt = 0; attempt < 50 && lines.length < 2; attempt++) {
        lines.length = 0;
        for await (const batch of followLogs(docker, container.id, { tail: 10, follow: false })) lines.push(...batch.lines);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(lines.map((line) => [line.stream, line.text])).toEqual([
        ['stdout', 'tty-line-1'],
        ['stdout', 'tty-line-2'],
      ]);
      await expect(removeContainer(docker, container.id, true)).rejects.toThrow(/was not created by Krint/);
    } finally {
      await container.remove({ force: true });
    }
  });

  it('fails a create on a taken fixed port and leaves no container or volume behind', async () => {
    const before = await docker.listVolumes({ filters: { label: [`krint.instance=${identity.instanceId}`] } });
    const clash = createInstanceContainer(docker, { spec, identity, slug: `${SLUG}-clash`, isPublic: false, storage: 'volume', hostPort, portRange: RANGE });
    await expect(clash).rejects.toMatchObject({ code: 'CONFLICT' });
    const containers = await docker.listContainers({ all: true, filters: { label: [`krint.instance=${identity.instanceId}`] } });
    expect(containers.map((c) => c.Id)).toEqual([containerId]);
    const after = await docker.listVolumes({ filters: { label: [`krint.instance=${identity.instanceId}`] } });
    expect((after.Volumes ?? []).map((v) => v.Name).sort()).toEqual((before.Volumes ?? []).map((v) => v.Name).sort());
  });

  it('binds 0.0.0.0 for public instances and mounts a host folder for host storage', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'krint-rtest-host-'));
    const created = await createInstanceContainer(docker, { spec, identity, slug: `${SLUG}-host`, isPublic: true, storage: 'host', hostPath: folder, portRange: RANGE });
    try {
      expect(created.volumeName).toBeNull();
      const details = await docker.getContainer(created.containerId).inspect();
      expect(details.HostConfig.PortBindings?.['7000/tcp']).toEqual([{ HostIp: '0.0.0.0', HostPort: String(created.hostPort) }]);
      expect(created.hostPort).not.toBe(hostPort);
      await execCapture(docker, created.containerId, { argv: ['sh', '-c', 'echo kept > /data/marker'] });
      expect((await readFile(join(folder, 'marker'), 'utf8')).trim()).toBe('kept');
      await expect(createInstanceContainer(docker, { spec, identity, slug: SLUG, isPublic: false, storage: 'host', hostPath: 'relative/dir', portRange: RANGE })).rejects.toMatchObject({ field: 'hostPath' });
    } finally {
      expect(await removeContainer(docker, created.containerId, true)).toBe(true);
      // The host folder belongs to the user: removing the instance leaves it.
      expect((await readFile(join(folder, 'marker'), 'utf8')).trim()).toBe('kept');
      await rm(folder, { recursive: true, force: true }).catch(() => undefined);
    }
  });

  it('reports a present image at once and names a missing one', async () => {
    const events = [];
    for await (const event of pullImage(docker, IMAGE)) events.push(event);
    expect(events).toEqual([{ phase: 'pull', message: `Image ${IMAGE} is present.` }]);
    const missing = (async () => {
      for await (const _ of pullImage(docker, 'krint-test/does-not-exist:0')) void _;
    })();
    await expect(missing).rejects.toThrow(/Could not pull image krint-test\/does-not-exist:0/);
  });

  it('removes the container with its volume, twice without error', async () => {
    expect(await removeContainer(docker, containerId, true)).toBe(true);
    expect((await containerStatus(docker, containerId)).state).toBe('missing');
    await expect(docker.getVolume(volumeName).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(await removeContainer(docker, containerId, true)).toBe(false);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
