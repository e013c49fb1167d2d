import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { HubServer } from '@krint/signalr';
import { HubConnectionBuilder, HttpTransportType, LogLevel } from '@microsoft/signalr';
import { createAgent, PROTOCOL_VERSION, type Agent, type DumpChunk, type InstanceAddress } from '@krint/agent';
import { NodeProcess, readNodeConfig, type NodeLogger } from '@krint/agent/node';
import { requireImage } from '@krint/engine-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type KrintOrm } from '../db/orm.js';
import { Node } from '../db/entities.js';
import { NodeOfflineError } from '../errors.js';
import { ExecutorRouter } from '../executors/router.js';
import { NodeHub } from './node-hub.js';
import { hashNodeToken } from './node-tokens.js';

const run = promisify(execFile);
const ALLOWED_TOKEN = `test-${randomUUID()}`;
const BUSYBOX = 'krint-test/busybox:latest';
const REDIS = 'redis:7';

/**
 * The node transport with every real part: our hub server, the official SignalR client inside a
 * real NodeProcess, the real agent against the real Docker daemon, and the control plane's
 * hub-backed executor. Only the HTTP server is started in-process instead of as a separate program
 * (the process-level test lives with the control plane's end-to-end suite).
 */
describe('node hub', () => {
  let dataDir: string;
  let orm: KrintOrm;
  let http: Server;
  let hubs: HubServer<never>;
  let router: ExecutorRouter;
  let nodeHub: NodeHub;
  let url: string;
  let agent: Agent;
  const nodes: NodeProcess[] = [];
  const logs: string[] = [];
  const logger: NodeLogger = { info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) };
  const haveBusybox = requireImage(BUSYBOX);

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'krint-node-hub-'));
    orm = await openDatabase({ kind: 'sqlite', file: path.join(dataDir, 'krint.db') });
    router = new ExecutorRouter(null);
    nodeHub = new NodeHub({ orm, router, allowList: [ALLOWED_TOKEN] });
    hubs = new HubServer(nodeHub.serverOptions()) as unknown as HubServer<never>;
    nodeHub.bind(hubs.mapHub('/hubs/node', nodeHub.hub as never) as never);
    http = createServer((_request, response) => response.writeHead(404).end());
    hubs.attach(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const address = http.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    agent = await createAgent();
  });

  afterAll(async () => {
    for (const node of nodes) await node.stop();
    await hubs?.close({ timeoutMs: 1000 });
    await new Promise<void>((resolve) => http?.close(() => resolve()));
    await agent?.close();
    await orm?.close(true);
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function startNode(token: string, nodeId: string = randomUUID(), extra: Record<string, string> = {}): Promise<NodeProcess> {
    const config = readNodeConfig({ Node__ControlPlaneUrl: url, Node__Token: token, Node__Id: nodeId, Node__Name: `test-${nodeId.slice(0, 6)}`, Node__HealthPort: '0', Node__HealthHost: '127.0.0.1', ...extra });
    const node = new NodeProcess({ config, executor: agent.executor, logger, backoff: { initialMs: 100, maxMs: 400 } });
    nodes.push(node);
    await node.start();
    return node;
  }

  async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async function health(node: NodeProcess): Promise<{ status: number; body: { status: string; lastError: string | null } }> {
    const response = await fetch(`http://127.0.0.1:${node.healthPort}/health`);
    return { status: response.status, body: (await response.json()) as { status: string; lastError: string | null } };
  }

  it('registers a node with an allow-list token and runs commands on it through the hub', async () => {
    const nodeId = randomUUID();
    const node = await startNode(ALLOWED_TOKEN, nodeId);
    await until(() => router.isConnected(nodeId));
    expect((await health(node)).status).toBe(200);
    const info = await router.for(nodeId).run('agent.info', {});
    expect(info.engines).toContain('postgres');
    expect(info.dockerVersion).toMatch(/\d+\.\d+/);
    const ping = await router.for(nodeId).run('agent.ping', { sentAt: 42 });
    expect(ping.sentAt).toBe(42);
    const row = await orm.em.fork().findOneOrFail(Node, { id: nodeId });
    expect(row.details).toMatchObject({ protocolVersion: `${PROTOCOL_VERSION.major}.${PROTOCOL_VERSION.minor}` });
    expect(row.tokenHash).toBe(hashNodeToken(ALLOWED_TOKEN));
  });

  it('records where users reach the node: its Node__PublicHost, or else the address it connected from', async () => {
    const reported = randomUUID();
    await startNode(ALLOWED_TOKEN, reported, { Node__PublicHost: 'db-2.example.test' });
    const seen = randomUUID();
    await startNode(ALLOWED_TOKEN, seen);
    await until(() => router.isConnected(reported) && router.isConnected(seen));
    expect((await orm.em.fork().findOneOrFail(Node, { id: reported })).details).toMatchObject({ publicHost: 'db-2.example.test' });
    expect((await orm.em.fork().findOneOrFail(Node, { id: seen })).details).toMatchObject({ publicHost: '127.0.0.1' });
    expect(() => readNodeConfig({ Node__ControlPlaneUrl: url, Node__Token: ALLOWED_TOKEN, Node__PublicHost: 'http://x:5432' })).toThrow(/Node__PublicHost must be a host name or an IP address/);
  });

  it('refuses unknown and empty tokens before the handshake, and the node keeps retrying quietly', async () => {
    const before = logs.length;
    const node = await startNode('not-a-known-token');
    await until(async () => (await health(node)).body.lastError !== null);
    const state = await health(node);
    expect(state.status).toBe(503);
    expect(state.body.lastError).toMatch(/refused the token/);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Several attempts were made in 1.5 s at this backoff, but the failure is logged once.
    expect(logs.slice(before).filter((line) => line.includes('refused the token'))).toHaveLength(1);
    await node.stop();
    expect(await nodeHub.authenticate('')).toBeNull();
    expect(await nodeHub.authenticate(undefined)).toBeNull();
  });

  it('speaks MessagePack only: a JSON client with a valid token is refused at the handshake', async () => {
    const json = new HubConnectionBuilder()
      .withUrl(`${url}/hubs/node`, { accessTokenFactory: () => ALLOWED_TOKEN, transport: HttpTransportType.WebSockets })
      .configureLogging(LogLevel.None)
      .build();
    await expect(json.start()).rejects.toThrow("The protocol 'json' is not supported.");
    expect(json.state).toBe('Disconnected');
  });

  it('carries a log follow from the node and stops the producer when the reader leaves', async () => {
    if (!(await haveBusybox)) return;
    const nodeId = randomUUID();
    await startNode(ALLOWED_TOKEN, nodeId);
    await until(() => router.isConnected(nodeId));
    const { stdout } = await run('docker', ['run', '-d', '--label', 'krint.test=node-hub', BUSYBOX, 'sh', '-c', 'i=0; while [ $i -lt 600 ]; do echo line-$i; i=$((i+1)); sleep 0.05; done']);
    const containerId = stdout.trim();
    try {
      const seen: string[] = [];
      const controller = new AbortController();
      for await (const batch of router.for(nodeId).stream('logs.follow', { containerId, tail: 0, follow: true }, { signal: controller.signal })) {
        expect(batch.lines.length).toBeGreaterThan(0);
        seen.push(...batch.lines.map((line) => line.text.trim()));
        if (seen.length >= 5) break;
      }
      expect(seen[0]).toMatch(/^line-\d+$/);
      expect(seen.length).toBeGreaterThanOrEqual(5);
    } finally {
      await run('docker', ['rm', '-f', containerId]);
    }
  });

  it('streams a dump out of a node and uploads it back in chunks', async () => {
    if (!(await requireImage(REDIS))) return;
    const nodeId = randomUUID();
    await startNode(ALLOWED_TOKEN, nodeId);
    await until(() => router.isConnected(nodeId));
    const executor = router.for(nodeId);
    const password = `Pw${randomUUID().replaceAll('-', '')}`;
    const created = await executor.run('instance.create', {
      engineId: 'redis', version: '7', instanceId: randomUUID(), slug: 'hubtest', rootPassword: password,
      defaultDatabase: '0', plugins: [], isPublic: false, storage: 'volume',
    });
    const address: InstanceAddress = { engineId: 'redis', version: '7', containerId: created.containerId, hostPort: created.hostPort, rootUser: 'default', rootPassword: password, defaultDatabase: '0' };
    try {
      await executor.run('instance.start', { containerId: created.containerId });
      // An optional field left undefined is absent on the node, as with JSON (MessagePack alone
      // would send it as nil, which the node's validation refuses).
      await executor.run('instance.waitReady', { instance: address, ceilingMs: undefined });
      // Random values do not compress, so the RDB spans several 256 KB chunks.
      const values = Array.from({ length: 200 }, () => randomBytes(1500).toString('hex'));
      for (const [i, value] of values.entries()) {
        await executor.run('db.query', { instance: address, database: '0', text: `SET key:${i} ${value}`, rowLimit: 10, timeoutMs: 5000 });
      }
      const chunks: DumpChunk[] = [];
      for await (const chunk of executor.stream('backup.dump', { instance: address })) chunks.push(chunk);
      const bytes = chunks.reduce((sum, chunk) => sum + chunk.data.byteLength, 0);
      expect(chunks.length).toBeGreaterThan(1);
      expect(chunks.every((chunk) => chunk.data instanceof Uint8Array)).toBe(true);
      expect(bytes).toBeGreaterThan(500_000);
      await executor.run('db.dropDatabase', { instance: address, database: '0' });
      const emptied = await executor.run('db.query', { instance: address, database: '0', text: 'DBSIZE', rowLimit: 10, timeoutMs: 5000 });
      expect(JSON.stringify(emptied.rows)).toMatch(/\b0\b/);
      async function* replay(): AsyncGenerator<DumpChunk> {
        yield* chunks;
      }
      const restored = await executor.upload('backup.restore', { instance: address }, replay());
      expect(restored.bytes).toBe(bytes);
      expect(nodeHub.uploads.size).toBe(0);
      const result = await executor.run('db.query', { instance: address, database: '0', text: 'GET key:199', rowLimit: 10, timeoutMs: 5000 });
      expect(JSON.stringify(result.rows)).toContain(values[199]);
    } finally {
      await executor.run('instance.remove', { containerId: created.containerId, removeVolume: true }).catch(() => undefined);
    }
  });

  it('disconnects a revoked node at once; calls for it fail fast with NodeOffline', async () => {
    const secret = `krn_${randomUUID()}`;
    const em = orm.em.fork();
    const row = em.create(Node, { name: `revocable-${randomUUID().slice(0, 6)}`, tokenHash: hashNodeToken(secret) });
    await em.flush();
    const node = await startNode(secret, row.id);
    await until(() => router.isConnected(row.id));
    await em.removeAndFlush(row);
    expect(nodeHub.disconnect(row.id, 'The node token was revoked.')).toBe(1);
    await until(() => !router.isConnected(row.id));
    expect(() => router.for(row.id)).toThrow(NodeOfflineError);
    await until(async () => (await health(node)).status === 503);
    await node.stop();
  });

  it('fails an operation in flight when the node goes away, instead of hanging', async () => {
    if (!(await haveBusybox)) return;
    const nodeId = randomUUID();
    const node = await startNode(ALLOWED_TOKEN, nodeId);
    await until(() => router.isConnected(nodeId));
    const { stdout } = await run('docker', ['run', '-d', '--label', 'krint.test=node-hub', BUSYBOX, 'sh', '-c', 'while true; do echo tick; sleep 0.2; done']);
    const containerId = stdout.trim();
    try {
      const executor = router.for(nodeId);
      const reading = (async () => {
        let count = 0;
        for await (const _batch of executor.stream('logs.follow', { containerId, tail: 0, follow: true })) {
          count += 1;
          if (count === 2) void node.stop();
        }
        return count;
      })();
      await expect(reading).rejects.toThrow(/connection|disconnect|closed|lost/i);
    } finally {
      await run('docker', ['rm', '-f', containerId]);
    }
  });
});
