import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { requireImage } from '@krint/engine-sdk/testing';
import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlTestClient, type Data } from '../testing/graphql-client.js';
import { adminAuthorization, freePort, startKrint as start, stopKrint as stop, until, type KrintProcess as Proc } from '../testing/krint-processes.js';

/**
 * Nodes as users run them: a control plane process and node processes (`node bin/krint.mjs` with
 * `Krint__Role=node`), each with its own data folder, talking over the hub on loopback. Everything
 * is driven through GraphQL, as a user or the web client would.
 */
const run = promisify(execFile);
const ready = (await requireImage('postgres:15')) && (await requireImage('postgres:17'));
const ADMIN_PASSWORD = `First-${randomUUID()}`;
const ALLOW_LIST_TOKEN = `krn_allow_${randomUUID().replaceAll('-', '')}`;
const DB_PASSWORD = `Node-pass-${randomUUID().slice(0, 8)}`;

/** TCP ports a process listens on, from /proc: its socket inodes matched against the tables. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // the descriptor closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== '0A') continue; // 0A = LISTEN
      if (inodes.has(fields[9]!)) ports.push(parseInt(fields[1]!.split(':')[1]!, 16));
    }
  }
  return [...new Set(ports)];
}

describe.skipIf(!ready)('nodes as separate processes', () => {
  let dataDir: string;
  let port: number;
  let base: string;
  let authorization: string;
  let controlPlane: Proc | undefined;
  const nodes = new Map<string, Proc>();
  let nodeA: { id: string; token: string; healthPort: number };
  let instanceId: string;
  const cpEnv = () => ({
    Krint__Role: 'control-plane',
    Krint__Port: String(port),
    Krint__DataDir: dataDir,
    Krint__PublicUrl: base,
    Auth__AdminPassword: ADMIN_PASSWORD,
    Node__Tokens__0: ALLOW_LIST_TOKEN,
    // The schedule test runs every two seconds.
    Backups__MinScheduleIntervalSeconds: '1',
  });

  const { gql, ok } = graphqlTestClient(() => base, () => authorization);

  async function startControlPlane(): Promise<void> {
    controlPlane = start(cpEnv(), 'control-plane');
    await until('the control plane to answer /health', async () => (await fetch(`${base}/health`)).ok, 60_000);
  }

  function startNode(label: string, token: string, nodeId: string, healthPort: number): Proc {
    const proc = start({ Krint__Role: 'node', Node__ControlPlaneUrl: base, Node__Token: token, Node__Id: nodeId, Node__Name: label, Node__HealthPort: String(healthPort), Node__HealthHost: '127.0.0.1' }, label);
    nodes.set(label, proc);
    return proc;
  }

  async function nodeStatus(id: string): Promise<string | undefined> {
    const data = await gql('{ nodes { id status } }');
    return (data.nodes as { id: string; status: string }[]).find((node) => node.id === id)?.status;
  }

  async function count(sql = 'select count(*)::int as n from items'): Promise<number> {
    const data = await ok(`mutation($id: ID!, $sql: String!) { runQuery(instanceId: $id, database: "shop", text: $sql, timeoutMs: 60000) { __typename ... on QueryResult { rows } ... on Error { message } } }`, { id: instanceId, sql });
    return Number(data.runQuery.rows[0].n);
  }

  function subscribeWs<T>(client: Client, query: string, variables: Record<string, unknown>, stopWhen: (item: T) => boolean, timeoutMs: number): Promise<T[]> {
    const items: T[] = [];
    return new Promise((resolve, reject) => {
      let dispose: () => void = () => undefined;
      const timer = setTimeout(() => {
        dispose();
        reject(new Error(`subscription timed out; got ${JSON.stringify(items).slice(0, 500)}`));
      }, timeoutMs);
      dispose = client.subscribe<Data>({ query, variables }, {
        next: (result) => {
          if (result.errors) return reject(new Error(result.errors.map((e) => e.message).join('; ')));
          const item = Object.values(result.data ?? {})[0] as T;
          items.push(item);
          if (stopWhen(item)) {
            clearTimeout(timer);
            dispose();
            resolve(items);
          }
        },
        error: (error) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(JSON.stringify(error)));
        },
        complete: () => {
          clearTimeout(timer);
          resolve(items);
        },
      });
    });
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'krint-nodes-'));
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await startControlPlane();
    authorization = await adminAuthorization(base, ADMIN_PASSWORD);
  }, 120_000);

  afterAll(async () => {
    if (instanceId) {
      await gql(`mutation { deleteInstance(id: "${instanceId}", deleteBackups: true) { __typename } }`).catch(() => undefined);
      const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=krint.instance=${instanceId}`]).catch(() => ({ stdout: '' }));
      for (const id of stdout.split('\n').filter(Boolean)) await run('docker', ['rm', '-f', '-v', id]).catch(() => undefined);
      const volumes = await run('docker', ['volume', 'ls', '-q', '--filter', `label=krint.instance=${instanceId}`]).catch(() => ({ stdout: '' }));
      for (const volume of volumes.stdout.split('\n').filter(Boolean)) await run('docker', ['volume', 'rm', '-f', volume]).catch(() => undefined);
    }
    for (const proc of nodes.values()) await stop(proc);
    await stop(controlPlane);
    // Passwords and tokens never reach any log.
    const logs = [controlPlane, ...nodes.values()].flatMap((proc) => proc?.output ?? []).join('\n');
    expect(logs).not.toContain(DB_PASSWORD);
    expect(logs).not.toContain(ALLOW_LIST_TOKEN);
    expect(logs).not.toContain(nodeA?.token ?? 'unset');
    rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  it('adds a node with a one-time token; the node comes online and listens only on its health port', async () => {
    const refused = await gql('mutation { addNode(name: "bad;name") { __typename ... on InvalidInputError { field } } }');
    expect(refused.addNode).toEqual({ __typename: 'InvalidInputError', field: 'name' });
    const added = await ok('mutation { addNode(name: "edge-a") { __typename ... on AddedNode { token composeSnippet node { id status } } ... on Error { message } } }');
    const { token, composeSnippet, node } = added.addNode;
    expect(node.status).toBe('PENDING');
    expect(composeSnippet).toContain(`Node__ControlPlaneUrl: ${base}`);
    expect(composeSnippet).toContain(`Node__Token: ${token}`);
    expect(composeSnippet).toContain('/var/run/docker.sock');
    nodeA = { id: node.id, token, healthPort: await freePort() };
    const proc = startNode('edge-a', token, node.id, nodeA.healthPort);
    await until('edge-a online', async () => (await nodeStatus(node.id)) === 'ONLINE', 30_000);
    expect(listeningPorts(proc.child.pid!)).toEqual([nodeA.healthPort]);
    const health = await fetch(`http://127.0.0.1:${nodeA.healthPort}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('connected');
    const ping = await ok(`{ pingNode(id: "${node.id}") { __typename ... on NodePing { roundTripMs } ... on Error { message } } }`);
    expect(ping.pingNode.roundTripMs).toBeGreaterThan(0);
    const details = await gql(`{ node(id: "${node.id}") { ... on Node { machineName os dockerVersion krintVersion engines } } }`);
    expect(details.node.engines).toContain('postgres');
    expect(details.node.dockerVersion).toMatch(/\d+\.\d+/);
  }, 60_000);

  it('provisions onto the node and runs browse, query, users, backup and restore through it', async () => {
    const provisioned = await ok(
      `mutation($input: ProvisionInput!) { provisionInstance(input: $input) { __typename ... on Instance { id nodeId } ... on Error { message } } }`,
      { input: { engine: 'postgres', version: '15', name: 'On edge A', defaultDatabase: 'shop', password: DB_PASSWORD, nodeId: nodeA.id } },
    );
    instanceId = provisioned.provisionInstance.id;
    expect(provisioned.provisionInstance.nodeId).toBe(nodeA.id);
    await until('the instance to be ready', async () => {
      const data = await gql(`{ instance(id: "${instanceId}") { ... on Instance { status statusDetail } } }`);
      if (data.instance.status === 'FAILED') throw new Error(data.instance.statusDetail);
      return data.instance.status === 'READY';
    }, 180_000);
    const info = await gql(`{ instance(id: "${instanceId}") { ... on Instance { state nodeName nodeConnected } } }`);
    expect(info.instance).toMatchObject({ state: 'RUNNING', nodeName: 'edge-a', nodeConnected: true });

    await ok(`mutation { runQuery(instanceId: "${instanceId}", database: "shop", text: "create table items (id serial primary key, payload text)") { __typename ... on Error { message } } }`);
    await ok(`mutation { runQuery(instanceId: "${instanceId}", database: "shop", text: "insert into items (payload) select md5(g::text) || md5((g*3)::text) from generate_series(1, 200000) g", timeoutMs: 120000) { __typename ... on Error { message } } }`);
    expect(await count()).toBe(200_000);
    const page = await ok(`{ rows(instanceId: "${instanceId}", database: "shop", table: "items", limit: 50) { __typename ... on RowPage { rows nextCursor keyColumns } ... on Error { message } } }`);
    expect(page.rows.rows).toHaveLength(50);
    expect(page.rows.keyColumns).toEqual(['id']);
    const next = await ok(`query($c: String) { rows(instanceId: "${instanceId}", database: "shop", table: "items", limit: 50, cursor: $c) { __typename ... on RowPage { rows } ... on Error { message } } }`, { c: page.rows.nextCursor });
    expect(next.rows.rows[0].id).toBe(51);

    const user = await ok(`mutation { createUser(instanceId: "${instanceId}", name: "edge_reader") { __typename ... on UserCredentials { password } ... on Error { message } } }`);
    expect(user.createUser.password).toBeTruthy();
    await ok(`mutation { grantAccess(instanceId: "${instanceId}", user: "edge_reader", database: "shop", access: READ) { __typename ... on Error { message } } }`);

    const backup = await ok(`mutation { backupNow(instanceId: "${instanceId}") { __typename ... on Backup { id status sizeBytes downloadPath } ... on Error { message } } }`);
    expect(backup.backupNow.status).toBe('SUCCEEDED');
    expect(backup.backupNow.sizeBytes).toBeGreaterThan(10_000_000);
    const download = await fetch(`${base}${backup.backupNow.downloadPath}`, { headers: { authorization } });
    expect(download.status).toBe(200);
    let downloaded = 0;
    for await (const chunk of download.body as unknown as AsyncIterable<Uint8Array>) downloaded += chunk.length;
    expect(downloaded).toBe(backup.backupNow.sizeBytes);

    await ok(`mutation { runQuery(instanceId: "${instanceId}", database: "shop", text: "delete from items where id > 100") { __typename ... on Error { message } } }`);
    expect(await count()).toBe(100);
    const restored = await ok(`mutation { restoreBackup(backupId: "${backup.backupNow.id}") { __typename ... on RestoreResult { bytes } ... on Error { message } } }`);
    expect(restored.restoreBackup.bytes).toBe(backup.backupNow.sizeBytes);
    expect(await count()).toBe(200_000);
  }, 300_000);

  it('follows the log and runs a shell on the node over subscriptions', async () => {
    const ws = createClient({ url: `${base.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: () => ({ authorization }) });
    try {
      const marker = `krint_node_marker_${Date.now()}`;
      const lines = subscribeWs<{ text: string }[]>(ws, `subscription($id: ID!) { logs(instanceId: $id, tail: 1) { text } }`, { id: instanceId }, (batch) => batch.some((line) => line.text.includes(marker)), 30_000);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await gql(`mutation { runQuery(instanceId: "${instanceId}", database: "shop", text: "select ${marker}") { __typename } }`);
      expect((await lines).flat().some((line) => line.text.includes(marker))).toBe(true);

      // A burst of 5,000 lines arrives whole and in order, in far fewer events than lines.
      let received: string[] = [];
      let events = 0;
      const burst = subscribeWs<{ text: string }[]>(ws, `subscription($id: ID!) { logs(instanceId: $id, tail: 0) { text } }`, { id: instanceId }, (batch) => {
        events += 1;
        received = received.concat(batch.map((line) => line.text.trim()).filter((text) => text.startsWith('krint-burst-')));
        return received.length >= 5000;
      }, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await ok(`mutation { runQuery(instanceId: "${instanceId}", database: "shop", text: "copy (select 'krint-burst-' || g from generate_series(1, 5000) g) to program 'cat >&2'") { __typename ... on Error { message } } }`);
      await burst;
      expect(received).toHaveLength(5000);
      expect(received[0]).toBe('krint-burst-1');
      expect(received[4999]).toBe('krint-burst-5000');
      expect(events).toBeLessThan(500);

      const opened = await ok(`mutation { openShell(instanceId: "${instanceId}") { __typename ... on ShellSession { id } ... on Error { message } } }`);
      const sessionId = opened.openShell.id as string;
      let seen = '';
      // The shell echoes what is typed; only the evaluated `42` proves the command ran.
      const watcher = subscribeWs<{ data?: string | null }>(ws, `subscription($id: ID!) { shell(sessionId: $id) { data } }`, { id: sessionId }, (item) => {
        seen += item.data ?? '';
        return seen.includes('hello-42');
      }, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await ok(`mutation($d: String!) { shellInput(sessionId: "${sessionId}", data: $d) { __typename ... on Error { message } } }`, { d: 'echo hello-$((40+2))\n' });
      await watcher;
      expect(seen).toContain('hello-42');
    } finally {
      await ws.dispose();
    }
  }, 60_000);

  it('survives a control plane restart: the node reconnects and its instance works', async () => {
    await stop(controlPlane, 'SIGKILL');
    const restartedAt = Date.now();
    await startControlPlane();
    await until('edge-a online again', async () => (await nodeStatus(nodeA.id)) === 'ONLINE', 30_000);
    expect(Date.now() - restartedAt).toBeLessThan(40_000);
    expect(await count()).toBe(200_000);
    // The restarted control plane said which nodes it was waiting for, and the node registering.
    const log = controlPlane!.output.join('\n');
    expect(log).toContain('Nodes: waiting for "edge-a" (1 instance(s)) to connect');
    expect(log).toContain(`Node "edge-a" (${nodeA.id}) registered from`);
  }, 90_000);

  it('fails a backup cleanly when the node dies mid-dump; the instance is untouched and the node comes back', async () => {
    // A dump of this database takes well under a second, so the node is killed while the dump is
    // held open on purpose: a session locks the table and pg_dump waits for it, stream running.
    const { stdout } = await run('docker', ['ps', '-q', '--filter', `label=krint.instance=${instanceId}`]);
    const container = stdout.trim();
    expect(container).not.toBe('');
    const psql = (...commands: string[]) =>
      run('docker', ['exec', '-e', `PGPASSWORD=${DB_PASSWORD}`, container, 'psql', '-U', 'postgres', '-d', 'shop', '-v', 'ON_ERROR_STOP=1', '-tA', ...commands.flatMap((command) => ['-c', command])]);
    const locksOnItems = async (granted: boolean) =>
      Number((await psql(`select count(*) from pg_locks where relation = 'items'::regclass and granted = ${granted}`)).stdout.trim());
    const holder = psql('BEGIN', 'LOCK TABLE items IN ACCESS EXCLUSIVE MODE', 'SELECT pg_sleep(8)', 'COMMIT');
    await until('the table lock to be held', async () => (await locksOnItems(true)) > 0, 10_000);
    const backup = gql(`mutation { backupNow(instanceId: "${instanceId}") { __typename ... on Backup { status } ... on Error { message } } }`);
    await until('pg_dump to wait for the table', async () => (await locksOnItems(false)) > 0, 10_000);
    await stop(nodes.get('edge-a'), 'SIGKILL');
    // The dump whose caller died is ended inside the container at once, not left waiting for the
    // lock and then dumping for nobody.
    const killedAt = Date.now();
    await until('pg_dumpall to be ended in the container', async () => !/pg_dump/.test((await run('docker', ['top', container, '-o', 'pid,args'])).stdout), 10_000);
    expect(Date.now() - killedAt).toBeLessThan(2_000);
    const result = await backup;
    expect(result.backupNow.__typename).toMatch(/Error$/);
    await holder;
    const offline = await gql(`{ instance(id: "${instanceId}") { ... on Instance { state } } backups(instanceId: "${instanceId}") { status } }`);
    expect(offline.instance.state).toBe('NODE_OFFLINE');
    expect(offline.backups.filter((b: { status: string }) => b.status === 'SUCCEEDED')).toHaveLength(1);
    const startedAt = Date.now();
    const failedFast = await gql(`mutation { runQuery(instanceId: "${instanceId}", database: "shop", text: "select 1") { __typename ... on NodeOfflineError { nodeName message } } }`);
    expect(failedFast.runQuery).toMatchObject({ __typename: 'NodeOfflineError', nodeName: 'edge-a' });
    expect(Date.now() - startedAt).toBeLessThan(2_000);

    // A scheduled backup while the node is away records a failed run and stays scheduled.
    const schedule = await ok(`mutation { createBackupSchedule(input: { instanceId: "${instanceId}", cron: "*/2 * * * * *", retentionCount: 3 }) { __typename ... on BackupSchedule { id } ... on Error { message } } }`);
    const scheduleId = schedule.createBackupSchedule.id as string;
    const failedRun = await until('a failed scheduled run', async () => {
      const data = await gql(`{ backupSchedules(instanceId: "${instanceId}") { id lastStatus lastError nextRunAt enabled } }`);
      const found = (data.backupSchedules as { id: string; lastStatus: string | null }[]).find((entry) => entry.id === scheduleId);
      return found?.lastStatus === 'FAILED' ? found : null;
    }, 20_000);
    expect(failedRun).toMatchObject({ enabled: true, lastError: expect.stringContaining('edge-a') });
    expect((failedRun as unknown as { nextRunAt: string | null }).nextRunAt).not.toBeNull();
    await ok(`mutation { deleteBackupSchedule(id: "${scheduleId}") { __typename ... on Error { message } } }`);

    startNode('edge-a', nodeA.token, nodeA.id, nodeA.healthPort);
    await until('edge-a online after restart', async () => (await nodeStatus(nodeA.id)) === 'ONLINE', 30_000);
    expect(await count()).toBe(200_000);
  }, 120_000);

  it('upgrades the node instance 15 → 17 with verification', async () => {
    await ok(`mutation { upgradeInstance(id: "${instanceId}", version: "17") { __typename ... on Instance { status } ... on Error { message } } }`);
    const after = await until('the upgrade to finish', async () => {
      const data = await gql(`{ instance(id: "${instanceId}") { ... on Instance { status version statusDetail } } }`);
      return data.instance.status === 'UPGRADING' ? null : data.instance;
    }, 300_000);
    expect(after, JSON.stringify(after)).toMatchObject({ status: 'READY', version: '17' });
    expect(await count("select (current_setting('server_version_num')::int / 10000) as n")).toBe(17);
    expect(await count()).toBe(200_000);
  }, 320_000);

  it('refuses a wrong token and keeps retrying without flooding; a revoked node is disconnected', async () => {
    const wrong = startNode('edge-wrong', 'krn_not_a_real_token', randomUUID(), await freePort());
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const refusals = wrong.output.filter((line) => line.includes('refused the token'));
    expect(refusals).toHaveLength(1);
    await stop(wrong);

    const nodeB = randomUUID();
    const healthB = await freePort();
    startNode('edge-b', ALLOW_LIST_TOKEN, nodeB, healthB);
    await until('edge-b online', async () => (await nodeStatus(nodeB)) === 'ONLINE', 30_000);
    const revoked = await ok(`mutation { revokeNode(id: "${nodeB}") { __typename ... on Node { status } ... on Error { message } } }`);
    expect(revoked.revokeNode.status).toBe('REVOKED');
    await until('edge-b to notice', async () => (await fetch(`http://127.0.0.1:${healthB}/health`)).status === 503, 10_000);
  }, 60_000);
});
