import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerSpec } from '@krint/engine-sdk';
import { requireImage } from '@krint/engine-sdk/testing';
import { createDockerClient } from './docker/client.js';
import { createInstanceContainer, removeContainer } from './docker/containers.js';
import { containerPortFor, detectInstanceNetwork, InstanceReach, ownContainerId, parseDockerNetwork } from './instance-reach.js';
import type { InstanceAddress } from './protocol/commands.js';
import { isPublicHost } from './protocol/node-messages.js';

const run = promisify(execFile);

describe('instance reach, the parts without Docker', () => {
  it('finds the published container port by its host port, or the one exposed port', () => {
    expect(containerPortFor({ '5432/tcp': [{ HostIp: '127.0.0.1', HostPort: '30001' }] }, {}, 30001)).toBe(5432);
    expect(containerPortFor({ '6379/tcp': [{ HostPort: '31000' }], '16379/tcp': [{ HostPort: '31001' }] }, {}, 31001)).toBe(16379);
    expect(containerPortFor({}, { '3306/tcp': {} }, 30002)).toBe(3306);
    expect(() => containerPortFor({}, { '1/tcp': {}, '2/tcp': {} }, 30003)).toThrow(/publishes no port as 30003/);
  });

  it('reads its own container id from the mount table, and none outside a container', () => {
    const id = 'ab'.repeat(32);
    const inside = `144 127 254:0 /var/lib/docker/containers/${id}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw\n`;
    expect(ownContainerId(inside)).toBe(id);
    expect(ownContainerId('22 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n')).toBeNull();
  });

  it('takes Docker network names and refuses anything else', () => {
    expect(parseDockerNetwork(undefined)).toBeNull();
    expect(parseDockerNetwork('  ')).toBeNull();
    expect(parseDockerNetwork('krint_default')).toBe('krint_default');
    expect(parseDockerNetwork('a b')).toBeInstanceOf(Error);
    expect(parseDockerNetwork('-x')).toBeInstanceOf(Error);
    expect(parseDockerNetwork('x/../y')).toBeInstanceOf(Error);
  });

  it('accepts host names and addresses as a public host, never a URL or a port', () => {
    for (const host of ['db.example.com', '10.231.1.2', 'node-a', 'fd00::2']) expect(isPublicHost(host), host).toBe(true);
    for (const host of ['', 'http://x', 'x:5432', 'a b', 'x/y', '-bad.example', `${'a'.repeat(64)}.com`, 'a'.repeat(254)]) expect(isPublicHost(host), host).toBe(false);
  });
});

const IMAGE = 'krint-test/busybox:latest';
const hasImage = await requireImage(IMAGE);
const docker = createDockerClient();
const suffix = randomBytes(4).toString('hex');
const network = `krint-reach-${suffix}`;
const identity = { instanceId: `reach-test-${suffix}`, engineId: 'busybox', version: '1' };
/** A busybox listener standing in for a database: it answers "reached" on its own port 7000. */
const spec: ContainerSpec = { image: IMAGE, env: {}, cmd: ['sh', '-c', 'while true; do echo reached | nc -l -p 7000; done'], internalPort: 7000, dataPath: '/data' };
const RANGE: [number, number] = [46_300, 46_399];

function addressOf(containerId: string, hostPort: number): InstanceAddress {
  return { engineId: 'busybox', version: '1', containerId, hostPort, rootUser: 'root', rootPassword: 'unused', defaultDatabase: 'db' };
}

/**
 * What a process in a container on `network` reads at host:port. The static busybox cannot resolve
 * names through the C library, so the name is looked up with nslookup against Docker's embedded
 * DNS first: the same lookup a database driver makes.
 */
async function fetchFromNetwork(host: string, port: number): Promise<string> {
  const script = `set -e; addr=$(nslookup "$1" 127.0.0.11 | awk '/^Address: /{print $2; exit}'); [ -n "$addr" ] || addr="$1"; nc -w 5 "$addr" "$2" </dev/null`;
  const { stdout } = await run('docker', ['run', '--rm', '--network', network, IMAGE, 'sh', '-c', script, 'fetch', host, String(port)]);
  return stdout.trim();
}

describe.skipIf(!hasImage)('instance reach over a Docker network (busybox)', () => {
  beforeAll(async () => {
    await run('docker', ['network', 'create', '--label', 'krint.test=reach', network]);
  });
  afterAll(async () => {
    const mine = await docker.listContainers({ all: true, filters: { label: [`krint.instance=${identity.instanceId}`] } });
    for (const container of mine) await removeContainer(docker, container.Id, true);
    await run('docker', ['network', 'rm', network]).catch(() => undefined);
  });

  it('attaches a new instance to the network and reaches it by name and its own port; the host port stays published', async () => {
    const created = await createInstanceContainer(docker, { spec, identity, slug: 'reach', isPublic: false, storage: 'volume', portRange: RANGE, network });
    const details = await docker.getContainer(created.containerId).inspect();
    expect(Object.keys(details.NetworkSettings?.Networks ?? {})).toEqual([network]);
    expect(details.HostConfig.PortBindings?.['7000/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: String(created.hostPort) }]);

    const target = await new InstanceReach(docker, network).target(addressOf(created.containerId, created.hostPort));
    expect(target).toMatchObject({ host: created.containerName, port: 7000, user: 'root', database: 'db' });
    expect(await fetchFromNetwork(target.host, target.port)).toBe('reached');
    // Where the loopback route would have pointed: inside a container that is the container itself.
    await expect(fetchFromNetwork('127.0.0.1', created.hostPort)).rejects.toThrow();
  });

  it('attaches an instance created before the network was configured, once', async () => {
    const created = await createInstanceContainer(docker, { spec, identity, slug: 'reach-old', isPublic: false, storage: 'volume', portRange: RANGE });
    const reach = new InstanceReach(docker, network);
    const target = await reach.target(addressOf(created.containerId, created.hostPort));
    await reach.target(addressOf(created.containerId, created.hostPort));
    const networks = Object.keys((await docker.getContainer(created.containerId).inspect()).NetworkSettings?.Networks ?? {});
    expect(networks.sort()).toEqual(['bridge', network].sort());
    expect(await fetchFromNetwork(target.host, target.port)).toBe('reached');
  });

  it('keeps loopback and the host port when no network is set', async () => {
    const target = await new InstanceReach(docker, null).target(addressOf('any', 30123), 'other');
    expect(target).toMatchObject({ host: '127.0.0.1', port: 30123, database: 'other' });
  });

  it('picks the one user-defined network of its own container, and says why when it cannot', async () => {
    const onNetwork = await docker.listContainers({ all: true, filters: { label: [`krint.instance=${identity.instanceId}`] } });
    const [only, both] = [...onNetwork].sort((a, b) => (a.Names?.[0] ?? '').localeCompare(b.Names?.[0] ?? ''));
    expect(await detectInstanceNetwork(docker, only!.Id)).toMatchObject({ network });
    const several = await detectInstanceNetwork(docker, both!.Id);
    expect(several.network).toBe(network); // `bridge` is predefined; the one user-defined network counts
    expect(await detectInstanceNetwork(docker, null)).toEqual({ network: null, note: null });
    const unknown = await detectInstanceNetwork(docker, 'f'.repeat(64));
    expect(unknown.network).toBeNull();
    expect(unknown.note).toMatch(/Docker__Network/);
  });
});
