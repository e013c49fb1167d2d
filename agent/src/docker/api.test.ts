import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireImage } from '@krint/engine-sdk/testing';
import { DEFAULT_DOCKER_SOCKET, DockerApiError, DockerClient, DockerStreamError, parseDockerHost, splitImageReference } from './api.js';
import type { PullProgress } from './api-types.js';
import { dockerReason, isDockerNotFound } from './client.js';
import { PayloadDecoder } from './demux.js';
import { waitForExitCode } from './exec.js';
import { pullImage } from './images.js';

const run = promisify(execFile);
const IMAGE = 'krint-test/busybox:latest';
const hasImage = await requireImage(IMAGE);
const docker = new DockerClient();

describe('parseDockerHost', () => {
  it('uses the local socket without DOCKER_HOST', () => {
    expect(parseDockerHost(undefined, {})).toEqual({ socketPath: DEFAULT_DOCKER_SOCKET });
    expect(parseDockerHost('  ', {})).toEqual({ socketPath: DEFAULT_DOCKER_SOCKET });
  });

  it('reads unix:// and tcp:// addresses', () => {
    expect(parseDockerHost('unix:///run/user/1000/docker.sock', {})).toEqual({ socketPath: '/run/user/1000/docker.sock' });
    expect(parseDockerHost('tcp://10.0.0.5:2375', {})).toEqual({ host: '10.0.0.5', port: 2375 });
    expect(parseDockerHost('tcp://docker-host', {})).toEqual({ host: 'docker-host', port: 2375 });
    expect(parseDockerHost('tcp://[::1]:2380', {})).toEqual({ host: '::1', port: 2380 });
  });

  it('refuses transports it does not speak instead of connecting without them', () => {
    expect(() => parseDockerHost('ssh://me@host', {})).toThrow(/only unix:\/\/ and tcp:\/\//);
    expect(() => parseDockerHost('tcp://host:2376', { DOCKER_TLS_VERIFY: '1' })).toThrow(/without TLS/);
    expect(() => parseDockerHost('unix://relative.sock', {})).toThrow(/absolute socket path/);
    expect(() => parseDockerHost('not an address', {})).toThrow(/not a unix:\/\/ or tcp:\/\//);
  });
});

describe('splitImageReference', () => {
  it('splits tags and digests but not a registry port', () => {
    expect(splitImageReference('postgres')).toEqual({ repository: 'postgres', tag: 'latest' });
    expect(splitImageReference('postgres:16')).toEqual({ repository: 'postgres', tag: '16' });
    expect(splitImageReference('localhost:5000/team/db')).toEqual({ repository: 'localhost:5000/team/db', tag: 'latest' });
    expect(splitImageReference('localhost:5000/team/db:2')).toEqual({ repository: 'localhost:5000/team/db', tag: '2' });
    expect(splitImageReference('redis@sha256:abc')).toEqual({ repository: 'redis', tag: 'sha256:abc' });
  });
});

describe.skipIf(!hasImage)('Docker API client against the daemon', () => {
  let containerId = '';

  beforeAll(async () => {
    const container = await docker.createContainer({
      name: `krint-apitest-${Date.now()}`,
      Image: IMAGE,
      Cmd: ['sh', '-c', 'echo ready; while true; do sleep 1; done'],
      Labels: { 'krint.instance': 'api-test' },
    });
    containerId = container.id;
    await container.start();
  });

  afterAll(async () => {
    if (containerId) await docker.getContainer(containerId).remove({ force: true, v: true });
  });

  it('answers a missing container with a 404 DockerApiError carrying the daemon message', async () => {
    const error = await docker
      .getContainer('krint-no-such-container')
      .inspect()
      .then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(DockerApiError);
    expect(error).toMatchObject({ statusCode: 404, json: { message: expect.stringMatching(/no such container/i) } });
    expect(isDockerNotFound(error)).toBe(true);
    expect(dockerReason(error)).toMatch(/^No such container: krint-no-such-container/);
  });

  it('reports starting a running container as status 304', async () => {
    await expect(docker.getContainer(containerId).start()).rejects.toMatchObject({ statusCode: 304 });
  });

  it('reads the version and finds containers by label', async () => {
    expect((await docker.version()).ApiVersion).toMatch(/^\d+\.\d+$/);
    const listed = await docker.listContainers({ all: true, filters: { label: ['krint.instance=api-test'] } });
    expect(listed.map((container) => container.Id)).toContain(containerId);
    const inspected = await docker.getContainer(containerId).inspect();
    expect(inspected.State.Status).toBe('running');
    expect(inspected.Config.Labels?.['krint.instance']).toBe('api-test');
  });

  it('runs a hijacked exec: stdin in, stdout and stderr apart, exit code after', async () => {
    const exec = await docker.getContainer(containerId).exec({
      Cmd: ['sh', '-c', 'read line; echo "got:$line"; echo "to-stderr" >&2; exit 3'],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start();
    const frames = new PayloadDecoder();
    const output = { stdout: '', stderr: '' };
    const read = (async () => {
      for await (const chunk of stream as AsyncIterable<Buffer>) for (const frame of frames.push(chunk)) output[frame.stream] += frame.payload.toString('utf8');
    })();
    stream.end('hello over the socket\n');
    await read;
    expect(output).toEqual({ stdout: 'got:hello over the socket\n', stderr: 'to-stderr\n' });
    expect(await waitForExitCode(exec)).toBe(3);
  });

  it('follows a log until the signal aborts, then closes the connection', async () => {
    const controller = new AbortController();
    const logs = await docker.getContainer(containerId).logs({ follow: true, stdout: true, stderr: true, tail: 5, signal: controller.signal });
    const first = await new Promise<Buffer>((resolve) => logs.once('data', resolve));
    expect(first.toString('utf8')).toContain('ready');
    const closed = new Promise<void>((resolve) => logs.once('close', () => resolve()));
    controller.abort();
    await closed;
    expect(logs.destroyed).toBe(true);
  });

  describe('pull', () => {
    let registry: LocalRegistry;

    beforeAll(async () => {
      registry = await LocalRegistry.serving(IMAGE);
    });

    afterAll(async () => {
      await run('docker', ['rmi', `${registry.host}/krint-pulltest:local`, `${registry.host}/krint-pulltest:broken`]).catch(() => undefined);
      await registry.close();
    });

    it('streams the progress of pulling an image whose layers are already here', async () => {
      const events: PullProgress[] = [];
      for await (const event of docker.pull(`${registry.host}/krint-pulltest:local`)) events.push(event);
      // The image's config is already here, so the daemon skips the layers and only reports the steps.
      expect(events.map((event) => event.status)).toEqual([
        'Pulling from krint-pulltest',
        expect.stringMatching(/^Digest: sha256:[0-9a-f]{64}$/),
        `Status: Downloaded newer image for ${registry.host}/krint-pulltest:local`,
      ]);
      expect((await docker.getImage(`${registry.host}/krint-pulltest:local`).inspect()).Id).toBe(registry.imageId);
    });

    it('throws an error line of the progress stream as DockerStreamError', async () => {
      const pulling = (async () => {
        for await (const _ of docker.pull(`${registry.host}/krint-pulltest:broken`)) void _;
      })();
      const error = await pulling.then(() => undefined, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(DockerStreamError);
      expect((error as Error).message).toMatch(/image configuration.*unknown blob/);
    });

    it('names the image and the daemon reason when pullImage fails mid-stream', async () => {
      const image = `${registry.host}/krint-pulltest:broken`;
      const pulling = (async () => {
        for await (const _ of pullImage(docker, image)) void _;
      })();
      await expect(pulling).rejects.toThrow(new RegExp(`^Could not pull image ${image.replace(/[.]/g, '\\.')}: .*image configuration.*unknown blob.*\\. Build or load the image`));
    });

    it('answers a pull that fails before streaming with the daemon status', async () => {
      const error = await docker
        .pull(`${registry.host}/krint-missing-repo:x`)
        .next()
        .then(() => undefined, (caught: unknown) => caught);
      expect(error).toBeInstanceOf(DockerApiError);
      expect((error as DockerApiError).statusCode).toBeGreaterThanOrEqual(400);
      expect(dockerReason(error)).toMatch(/krint-missing-repo/);
    });
  });
});

/**
 * A registry on 127.0.0.1 (which the daemon trusts over plain HTTP) serving one local image from
 * `docker save`, so pulls run for real without reaching the internet. Tag `local` is the image;
 * tag `broken` names an image config the registry does not have, so the daemon fails mid-stream.
 */
class LocalRegistry {
  private constructor(
    readonly server: Server,
    readonly directory: string,
    readonly imageId: string,
  ) {}

  get host(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  static async serving(image: string): Promise<LocalRegistry> {
    const directory = await mkdtemp(join(tmpdir(), 'krint-registry-'));
    await run('sh', ['-c', `docker save "$1" | tar -x -C "$2"`, 'sh', image, directory]);
    const [saved] = JSON.parse(await readFile(join(directory, 'manifest.json'), 'utf8')) as { Config: string; Layers: string[] }[];
    const blobs = new Map<string, string>();
    const add = async (file: string) => {
      const digest = `sha256:${createHash('sha256').update(await readFile(join(directory, file))).digest('hex')}`;
      blobs.set(digest, file);
      return digest;
    };
    const configDigest = await add(saved!.Config);
    const layers: { mediaType: string; digest: string; size: number }[] = [];
    for (const file of saved!.Layers) {
      const digest = await add(file);
      // Uncompressed layers: the daemon detects the compression from the bytes.
      layers.push({ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest, size: (await readFile(join(directory, file))).length });
    }
    const configSize = (await readFile(join(directory, saved!.Config))).length;
    const manifest = (config: string) =>
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: config, size: configSize },
        layers,
      });
    const manifests = new Map([
      ['local', manifest(configDigest)],
      ['broken', manifest(`sha256:${'0'.repeat(64)}`)],
    ]);
    // The daemon fetches a manifest again by its digest after resolving the tag.
    for (const body of [...manifests.values()]) manifests.set(`sha256:${createHash('sha256').update(body).digest('hex')}`, body);
    const server = createServer((req, res) => {
      void (async () => {
        const url = req.url ?? '';
        if (url === '/v2/') return res.writeHead(200, { 'Docker-Distribution-API-Version': 'registry/2.0' }).end('{}');
        const manifestMatch = /^\/v2\/krint-pulltest\/manifests\/([^/]+)$/.exec(url);
        const body = manifestMatch ? manifests.get(manifestMatch[1]!) : undefined;
        if (body) {
          const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
          res.writeHead(200, { 'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json', 'Docker-Content-Digest': digest, 'Content-Length': Buffer.byteLength(body) });
          return res.end(req.method === 'HEAD' ? undefined : body);
        }
        const blobMatch = /^\/v2\/krint-pulltest\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url);
        const file = blobMatch ? blobs.get(blobMatch[1]!) : undefined;
        if (file) {
          const bytes = await readFile(join(directory, file));
          res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.length, 'Docker-Content-Digest': blobMatch![1] });
          return res.end(req.method === 'HEAD' ? undefined : bytes);
        }
        res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'not in this test registry' }] }));
      })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new LocalRegistry(server, directory, configDigest);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.directory, { recursive: true, force: true });
  }
}
