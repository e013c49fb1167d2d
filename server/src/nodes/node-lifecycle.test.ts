import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { requireImage } from '@krint/engine-sdk/testing';
import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlTestClient, type Data } from '../testing/graphql-client.js';
import { adminAuthorization, freePort, startKrint, stopKrint, until, type KrintProcess } from '../testing/krint-processes.js';

/**
 * A node's life beyond the happy path, with a control plane process and node processes on this
 * machine: which id a node with an "Add node" token is registered under; Docker events of its own
 * host and of a node (a `docker stop` behind Krint's back) and a node coming and going as
 * `instanceEvents`; a revoked node re-admitted with its instances, or forgotten with them.
 */
const run = promisify(execFile);
const IMAGE = 'redis:7';
const ready = await requireImage(IMAGE);
const ADMIN_PASSWORD = `First-${randomUUID()}`;
/** How soon a container change must reach a subscriber. */
const EVENT_WITHIN_MS = 2_000;

interface InstanceEvent {
  instanceId: string;
  kind: string;
  message: string;
  state: string | null;
  receivedAt: number;
}

describe.skipIf(!ready)('a node beyond the happy path', () => {
  let dataDir: string;
  let base: string;
  let authorization: string;
  let controlPlane: KrintProcess | undefined;
  const nodes = new Map<string, KrintProcess>();
  const instanceIds: string[] = [];
  const tokens: string[] = [];
  let ws: Client;
  const events: InstanceEvent[] = [];
  let disposeEvents: () => void = () => undefined;
  const { gql, ok } = graphqlTestClient(() => base, () => authorization);

  /** edge-1: added with a token, runs one instance; its Node__Id is kept across restarts. */
  const edge = { id: '', token: '', healthPort: 0, instanceId: '' };
  let localInstanceId = '';

  function startNode(label: string, env: Record<string, string>): KrintProcess {
    const proc = startKrint({ Krint__Role: 'node', Node__ControlPlaneUrl: base, Node__Name: label, Node__HealthHost: '127.0.0.1', ...env }, label, env.Node__Id ? [] : ['Node__Id']);
    nodes.set(`${label}-${nodes.size}`, proc);
    return proc;
  }

  async function nodeStatus(id: string): Promise<string | undefined> {
    const data = await gql('{ nodes { id status } }');
    return (data.nodes as { id: string; status: string }[]).find((node) => node.id === id)?.status;
  }

  async function provision(name: string, nodeId: string | null): Promise<string> {
    const data = await ok(`mutation($input: ProvisionInput!) { provisionInstance(input: $input) { __typename ... on Instance { id } ... on Error { message } } }`, {
      input: { engine: 'redis', version: '7', name, ...(nodeId ? { nodeId } : {}) },
    });
    const id = data.provisionInstance.id as string;
    instanceIds.push(id);
    await until(`${name} to be ready`, async () => {
      const status = (await gql(`{ instance(id: "${id}") { ... on Instance { status statusDetail } } }`)).instance;
      if (status.status === 'FAILED') throw new Error(status.statusDetail);
      return status.status === 'READY';
    }, 120_000);
    return id;
  }

  async function containerOf(instanceId: string): Promise<string> {
    const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=krint.instance=${instanceId}`]);
    return stdout.trim();
  }

  /** The first event after `since` that matches, within `timeoutMs`. */
  async function nextEvent(match: (event: InstanceEvent) => boolean, since: number, timeoutMs: number): Promise<InstanceEvent> {
    return until('an instance event', async () => events.find((event) => event.receivedAt >= since && match(event)) ?? null, timeoutMs).catch((error: Error) => {
      throw new Error(`${error.message}; got ${JSON.stringify(events.filter((event) => event.receivedAt >= since))}`);
    });
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'krint-node-life-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    controlPlane = startKrint({ Krint__Role: 'control-plane', Krint__Port: String(port), Krint__DataDir: dataDir, Krint__PublicUrl: base, Auth__AdminPassword: ADMIN_PASSWORD }, 'control-plane');
    await until('the control plane to answer /health', async () => (await fetch(`${base}/health`)).ok, 60_000);
    authorization = await adminAuthorization(base, ADMIN_PASSWORD);
    ws = createClient({ url: `${base.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: () => ({ authorization }) });
    await new Promise<void>((resolve, reject) => {
      disposeEvents = ws.subscribe<Data>({ query: 'subscription { instanceEvents { instanceId kind message state } }' }, {
        next: (result) => {
          const event = result.data?.instanceEvents as Omit<InstanceEvent, 'receivedAt'> | undefined;
          if (event) events.push({ ...event, receivedAt: Date.now() });
        },
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => undefined,
      });
      // The subscription is live once the socket is: graphql-ws subscribes as soon as it connects.
      ws.on('connected', () => setTimeout(resolve, 200));
    });
  }, 120_000);

  afterAll(async () => {
    disposeEvents();
    await ws?.dispose();
    for (const instanceId of instanceIds) {
      await gql(`mutation { deleteInstance(id: "${instanceId}", deleteBackups: true) { __typename } }`).catch(() => undefined);
      const container = await containerOf(instanceId).catch(() => '');
      if (container) await run('docker', ['rm', '-f', '-v', ...container.split('\n')]).catch(() => undefined);
      const volumes = await run('docker', ['volume', 'ls', '-q', '--filter', `label=krint.instance=${instanceId}`]).catch(() => ({ stdout: '' }));
      for (const volume of volumes.stdout.split('\n').filter(Boolean)) await run('docker', ['volume', 'rm', '-f', volume]).catch(() => undefined);
    }
    for (const proc of nodes.values()) await stopKrint(proc);
    await stopKrint(controlPlane);
    const logs = [controlPlane, ...nodes.values()].flatMap((proc) => proc?.output ?? []).join('\n');
    for (const token of tokens) expect(logs).not.toContain(token);
    rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  it('refuses a Node__Id that is not its token\'s, in the same words on both sides, and takes the token\'s id when Node__Id is unset', async () => {
    const added = await ok('mutation { addNode(name: "edge-1") { __typename ... on AddedNode { token readmitted node { id status } } ... on Error { message } } }');
    edge.id = added.addNode.node.id;
    edge.token = added.addNode.token;
    tokens.push(edge.token);
    expect(added.addNode.readmitted).toBe(false);

    const strangerId = randomUUID();
    const stranger = startNode('edge-1', { Node__Token: edge.token, Node__Id: strangerId, Node__HealthPort: String(await freePort()) });
    const refusal = await until('the node to log the refusal', async () => stranger.output.find((line) => line.includes('refused the registration')), 30_000);
    expect(refusal).toContain(`This token was made for node "edge-1" (${edge.id}), but the node's Node__Id is ${strangerId}`);
    const reason = refusal.slice(refusal.indexOf('This token'));
    await until('the control plane to log it too', async () => controlPlane!.output.some((line) => line.includes(reason)), 5_000);
    expect(await nodeStatus(edge.id)).toBe('PENDING');
    await stopKrint(stranger);

    edge.healthPort = await freePort();
    const unnamed = startNode('edge-1', { Node__Token: edge.token, Node__HealthPort: String(edge.healthPort) });
    await until('edge-1 online', async () => (await nodeStatus(edge.id)) === 'ONLINE', 30_000);
    // The node logs the answer a moment after the control plane has registered it.
    await until('the node to log its id', async () => unnamed.output.some((line) => line.includes(`registered as "edge-1" (${edge.id})`)), 10_000);
    expect(unnamed.output.join('\n')).toContain(`registered this node under ${edge.id}, the id its token was made for`);
    expect(unnamed.output.join('\n')).toContain(`registered as "edge-1" (${edge.id})`);
    expect(controlPlane!.output.join('\n')).toContain(`it is registered under ${edge.id}, the id its token was made for`);
    const health = (await (await fetch(`http://127.0.0.1:${edge.healthPort}/health`)).json()) as { nodeId: string };
    expect(health.nodeId).toBe(edge.id);
    await stopKrint(unnamed);
    await until('edge-1 offline', async () => (await nodeStatus(edge.id)) === 'OFFLINE', 15_000);
    // From now on it runs with its Node__Id, as the snippet says.
    startNode('edge-1', { Node__Token: edge.token, Node__Id: edge.id, Node__HealthPort: String(edge.healthPort) });
    await until('edge-1 online', async () => (await nodeStatus(edge.id)) === 'ONLINE', 30_000);
  }, 90_000);

  it(`publishes a docker stop behind Krint's back as an event within ${EVENT_WITHIN_MS} ms, on its own host and on a node`, async () => {
    [localInstanceId, edge.instanceId] = await Promise.all([provision('Local cache', null), provision('Edge cache', edge.id)]);
    for (const instanceId of [localInstanceId, edge.instanceId]) {
      const container = await containerOf(instanceId);
      const stoppedAt = Date.now();
      await run('docker', ['stop', '-t', '1', container]);
      const stopped = await nextEvent((event) => event.instanceId === instanceId && event.kind === 'container' && event.state === 'EXITED', stoppedAt, 10_000);
      expect(stopped.receivedAt - stoppedAt, JSON.stringify(stopped)).toBeLessThan(EVENT_WITHIN_MS);
      const startedAt = Date.now();
      await run('docker', ['start', container]);
      const started = await nextEvent((event) => event.instanceId === instanceId && event.kind === 'container' && event.state === 'RUNNING', startedAt, 10_000);
      expect(started.receivedAt - startedAt).toBeLessThan(EVENT_WITHIN_MS);
      expect(started.message).toBe('Its container started.');
    }
  }, 180_000);

  it('ends what runs in a shell inside the container when its GraphQL subscription closes', async () => {
    const container = await containerOf(localInstanceId);
    const running = async () => (await run('docker', ['top', container, '-o', 'pid,args'])).stdout.includes('sleep 307');
    const opened = await ok(`mutation { openShell(instanceId: "${localInstanceId}") { __typename ... on ShellSession { id } ... on Error { message } } }`);
    const sessionId = opened.openShell.id as string;
    let output = '';
    const dispose = ws.subscribe<Data>({ query: 'subscription($id: ID!) { shell(sessionId: $id) { data } }', variables: { id: sessionId } }, {
      next: (result) => void (output += (result.data?.shell as { data?: string | null } | undefined)?.data ?? ''),
      error: () => undefined,
      complete: () => undefined,
    });
    await until('the shell to start', async () => output.length > 0, 15_000);
    await ok(`mutation($d: String!) { shellInput(sessionId: "${sessionId}", data: $d) { __typename ... on Error { message } } }`, { d: 'sleep 307\n' });
    await until('sleep to run in the container', running, 10_000);
    const closedAt = Date.now();
    dispose();
    await until('sleep to be ended', async () => !(await running()), 10_000);
    expect(Date.now() - closedAt).toBeLessThan(2_000);
  }, 60_000);

  it('publishes a node going away and coming back for its instances, and watches its events again after the reconnect', async () => {
    const proc = [...nodes.values()].at(-1)!;
    const killedAt = Date.now();
    await stopKrint(proc, 'SIGKILL');
    const offline = await nextEvent((event) => event.instanceId === edge.instanceId && event.kind === 'node', killedAt, 15_000);
    expect(offline).toMatchObject({ state: 'NODE_OFFLINE', message: 'Node "edge-1" disconnected.' });

    const restartedAt = Date.now();
    startNode('edge-1', { Node__Token: edge.token, Node__Id: edge.id, Node__HealthPort: String(edge.healthPort) });
    const back = await nextEvent((event) => event.instanceId === edge.instanceId && event.kind === 'node', restartedAt, 30_000);
    expect(back).toMatchObject({ state: 'RUNNING', message: 'Node "edge-1" is connected.' });

    const container = await containerOf(edge.instanceId);
    const stoppedAt = Date.now();
    await run('docker', ['kill', container]);
    const died = await nextEvent((event) => event.instanceId === edge.instanceId && event.kind === 'container' && event.state === 'EXITED', stoppedAt, 10_000);
    expect(died.receivedAt - stoppedAt).toBeLessThan(EVENT_WITHIN_MS);
    expect(died.message).toMatch(/^Its container (ended with exit code 137|was stopped)\.$/);
    await run('docker', ['start', container]);
  }, 90_000);

  it('says a revoked node was revoked, re-admits it by name with its instances, and forgets it with them on request', async () => {
    const revokedAt = Date.now();
    await ok(`mutation { revokeNode(id: "${edge.id}") { __typename ... on Node { status } ... on Error { message } } }`);
    const revokedEvent = await nextEvent((event) => event.instanceId === edge.instanceId && event.kind === 'node', revokedAt, 10_000);
    expect(revokedEvent).toMatchObject({ state: 'NODE_OFFLINE', message: 'Node "edge-1" was revoked; its instances cannot be reached.' });
    const refused = await gql(`mutation { restartInstance(id: "${edge.instanceId}") { __typename ... on NodeOfflineError { message revoked } } }`);
    expect(refused.restartInstance).toMatchObject({ __typename: 'NodeOfflineError', revoked: true });
    expect(refused.restartInstance.message).toMatch(/Node "edge-1" was revoked.*same Node__Id.*forgetInstance/);

    // The machine keeps its Node__Id; "Add node" with the same name gives the same node a new token.
    // The revoked process keeps dialling with its dead token; the machine's operator restarts it.
    await stopKrint([...nodes.values()].at(-1));
    const readded = await ok('mutation { addNode(name: "edge-1") { __typename ... on AddedNode { token readmitted composeSnippet node { id } } ... on Error { message } } }');
    expect(readded.addNode).toMatchObject({ readmitted: true, node: { id: edge.id } });
    expect(readded.addNode.composeSnippet).toContain(`Node__Id: ${edge.id}`);
    tokens.push(readded.addNode.token);
    const readmittedAt = Date.now();
    startNode('edge-1', { Node__Token: readded.addNode.token, Node__Id: edge.id, Node__HealthPort: String(edge.healthPort) });
    await nextEvent((event) => event.instanceId === edge.instanceId && event.kind === 'node' && event.state === 'RUNNING', readmittedAt, 30_000);
    const attached = await gql(`{ instance(id: "${edge.instanceId}") { ... on Instance { state nodeConnected } } }`);
    expect(attached.instance).toMatchObject({ state: 'RUNNING', nodeConnected: true });

    // Revoked again and added under another name: the node with its old Node__Id takes over the
    // new entry, name and token, and its instances are attached again.
    await ok(`mutation { revokeNode(id: "${edge.id}") { __typename ... on Error { message } } }`);
    await stopKrint([...nodes.values()].at(-1));
    const other = await ok('mutation { addNode(name: "edge-1b") { __typename ... on AddedNode { token readmitted node { id } } ... on Error { message } } }');
    expect(other.addNode.readmitted).toBe(false);
    tokens.push(other.addNode.token);
    startNode('edge-1b', { Node__Token: other.addNode.token, Node__Id: edge.id, Node__HealthPort: String(edge.healthPort) });
    await until('edge-1 back as edge-1b', async () => (await nodeStatus(edge.id)) === 'ONLINE', 30_000);
    const list = (await gql('{ nodes { id name instanceCount } }')).nodes as { id: string; name: string; instanceCount: number }[];
    expect(list.find((node) => node.id === edge.id)).toMatchObject({ name: 'edge-1b', instanceCount: 1 });
    expect(list.some((node) => node.id === other.addNode.node.id)).toBe(false);
    expect(controlPlane!.output.join('\n')).toContain(`Revoked node "edge-1" (${edge.id}) is back with the token made for "edge-1b"`);

    // Gone for good: a connected node cannot be deleted; once revoked, its instance blocks the
    // deletion until it is forgotten with it, with a warning naming what stays on the host.
    const connected = await gql(`mutation { deleteNode(id: "${edge.id}") { __typename ... on Error { message } } }`);
    expect(connected.deleteNode).toMatchObject({ __typename: 'ConflictError', message: expect.stringContaining('is connected') });
    await ok(`mutation { revokeNode(id: "${edge.id}") { __typename ... on Error { message } } }`);
    const blocked = await gql(`mutation { deleteNode(id: "${edge.id}") { __typename ... on Error { message } } }`);
    expect(blocked.deleteNode.__typename).toBe('ConflictError');
    expect(blocked.deleteNode.message).toContain('"Edge cache"');
    expect(blocked.deleteNode.message).toContain('forgetInstances');
    expect((await gql(`{ instance(id: "${edge.instanceId}") { __typename } }`)).instance.__typename).toBe('Instance');
    const container = await containerOf(edge.instanceId);
    const deleted = await ok(`mutation { deleteNode(id: "${edge.id}", forgetInstances: true) { __typename ... on DeletedNode { name warning forgottenInstances { id name containerName } } ... on Error { message } } }`);
    expect(deleted.deleteNode.forgottenInstances).toEqual([expect.objectContaining({ id: edge.instanceId, name: 'Edge cache' })]);
    const containerName = deleted.deleteNode.forgottenInstances[0].containerName as string;
    expect(deleted.deleteNode.warning).toContain(`container ${containerName}`);
    expect(deleted.deleteNode.warning).toMatch(/stay on the host of node "edge-1b"/);
    expect((await gql(`{ instance(id: "${edge.instanceId}") { __typename } }`)).instance.__typename).toBe('NotFoundError');
    // As warned, the container is still there.
    expect(await containerOf(edge.instanceId)).toBe(container);
    // The name is free again, for a new node.
    const fresh = await ok('mutation { addNode(name: "edge-1b") { __typename ... on AddedNode { readmitted node { id } } ... on Error { message } } }');
    expect(fresh.addNode.readmitted).toBe(false);
    expect(fresh.addNode.node.id).not.toBe(edge.id);
  }, 120_000);

  it('forgets one instance of a node that is not connected, and refuses to forget one Krint can reach', async () => {
    const local = await gql(`mutation { forgetInstance(id: "${localInstanceId}") { __typename ... on Error { message } } }`);
    expect(local.forgetInstance).toMatchObject({ __typename: 'ConflictError', message: expect.stringContaining('deleteInstance') });
    const away = await ok('mutation { addNode(name: "edge-2") { __typename ... on AddedNode { token node { id } } ... on Error { message } } }');
    tokens.push(away.addNode.token);
    const nodeId = away.addNode.node.id as string;
    const proc = startNode('edge-2', { Node__Token: away.addNode.token, Node__Id: nodeId, Node__HealthPort: String(await freePort()) });
    await until('edge-2 online', async () => (await nodeStatus(nodeId)) === 'ONLINE', 30_000);
    const instanceId = await provision('Away cache', nodeId);
    const reachable = await gql(`mutation { forgetInstance(id: "${instanceId}") { __typename ... on Error { message } } }`);
    expect(reachable.forgetInstance.__typename).toBe('ConflictError');
    await stopKrint(proc);
    await until('edge-2 offline', async () => (await nodeStatus(nodeId)) === 'OFFLINE', 15_000);
    const forgotten = await ok(`mutation { forgetInstance(id: "${instanceId}") { __typename ... on ForgetInstanceResult { warning instance { id containerName } } ... on Error { message } } }`);
    expect(forgotten.forgetInstance.instance.id).toBe(instanceId);
    expect(forgotten.forgetInstance.warning).toContain(forgotten.forgetInstance.instance.containerName);
    const removed = await ok(`mutation { deleteNode(id: "${nodeId}") { __typename ... on DeletedNode { warning forgottenInstances { id } } ... on Error { message } } }`);
    expect(removed.deleteNode).toMatchObject({ warning: null, forgottenInstances: [] });
  }, 120_000);
});
