import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlTestClient, type Data } from '../server/src/testing/graphql-client.js';

/**
 * Krint as users deploy it, on two "hosts": the image built from this checkout, the control plane
 * brought up from compose.yaml with Debian's docker-compose on this machine's Docker daemon, and a
 * node in its own network namespace with its own Docker daemon (a second host in all that matters:
 * it reaches the control plane only at this machine's address on a link between the two, and users
 * reach its databases only at its own address). Everything is driven through GraphQL.
 *
 * Needs root, iproute2, nsenter, dockerd, docker-compose, and the images krint:latest (`bash
 * scripts/build-image.sh`) and postgres:15 (`npm run images`). .ci/run provides all of them; outside
 * CI the suite is skipped when one is missing, and says which.
 */
const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const IMAGE = process.env.KRINT_TEST_IMAGE ?? 'krint:latest';

async function succeeds(command: string, args: string[]): Promise<boolean> {
  return run(command, args).then(
    () => true,
    () => false,
  );
}

async function missingParts(): Promise<string[]> {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (network namespaces and a second dockerd)');
  for (const [tool, args] of [['ip', ['-V']], ['nsenter', ['--version']], ['dockerd', ['--version']], ['docker-compose', ['version', '--short']]] as const) {
    if (!(await succeeds(tool, [...args]))) missing.push(tool);
  }
  for (const image of [IMAGE, 'postgres:15']) if (!(await succeeds('docker', ['image', 'inspect', image]))) missing.push(`the image ${image}`);
  return missing;
}

const missing = await missingParts();
if (missing.length > 0 && process.env.CI === 'true') throw new Error(`The hosts-apart test needs ${missing.join(', ')}; .ci/run provides them.`);
if (missing.length > 0) console.warn(`Skipping the hosts-apart test: missing ${missing.join(', ')}.`);

const id = randomBytes(3).toString('hex');
/** A /30 of 10.231.0.0/16 of this run's own: the first host is .1, the node host .2. */
const subnet = randomInt(1, 250);
const HOST_A = `10.231.${subnet}.1`;
const HOST_B = `10.231.${subnet}.2`;
const NETNS = `krint-b-${id}`;
const VETH = `kvh-${id}`;
const PROJECT = `krint-hosts-${id}`;
const NETWORK = `krint-${id}`;
const ADMIN_PASSWORD = `Hosts-${randomUUID()}`;
const NODE_TOKEN = `krn_hosts_${randomBytes(24).toString('hex')}`;
const NODE_ID = randomUUID();
const DB_PASSWORD = `Hosts-db-${randomBytes(6).toString('hex')}`;
const VAULT_KEY = randomBytes(32).toString('base64');
const NEXT_IMAGE = `krint-hosts-next:${id}`;

describe.skipIf(missing.length > 0)('Krint on two hosts: compose on one, a node in its own network namespace and Docker daemon', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'krint-hosts-'));
  const nodeSocket = path.join(work, 'b/docker.sock');
  const nodeDocker = ['-H', `unix://${nodeSocket}`];
  let port = 0;
  let base = '';
  let authorization = '';
  let nodeDaemon: ChildProcess | undefined;
  const instances: { local?: string; remote?: string } = {};
  const { gql, ok } = graphqlTestClient(() => base, () => authorization);

  const composeEnv = (image: string) => ({
    ...process.env,
    COMPOSE_PROJECT_NAME: PROJECT,
    KRINT_IMAGE: image,
    KRINT_PORT: String(port),
    KRINT_PUBLIC_URL: `http://${HOST_A}:${port}`,
    VAULT_MASTER_KEY: VAULT_KEY,
    NODE_TOKEN,
    NODE_ID,
    NODE_NAME: 'host-b',
    NODE_PUBLIC_HOST: HOST_B,
  });
  /** compose.yaml as users run it, plus what a test must change: the admin password, this run's network name, the node host's socket. */
  const override = path.join(work, 'compose.test.yaml');
  const compose = (args: string[], options: { image?: string; docker?: string } = {}) =>
    run('docker-compose', ['-f', path.join(ROOT, 'compose.yaml'), '-f', override, ...args], {
      cwd: work,
      env: { ...composeEnv(options.image ?? IMAGE), ...(options.docker ? { DOCKER_HOST: options.docker } : {}) },
      maxBuffer: 16 * 1024 * 1024,
    });

  async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      try {
        const value = await probe();
        if (value) return value;
      } catch (error) {
        last = error;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
  }

  async function signIn(): Promise<void> {
    const login = await until('the control plane to accept a sign-in', async () => {
      const response = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
      return response.status === 200 ? response : null;
    }, 90_000);
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const created = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-krint-csrf': csrfToken },
      body: JSON.stringify({ query: 'mutation($at: DateTime!) { createApiToken(name: "hosts", role: ADMIN, expiresAt: $at) { ... on CreatedApiToken { token } } }', variables: { at: new Date(Date.now() + 3_600_000).toISOString() } }),
    });
    authorization = `Bearer ${((await created.json()) as Data).data.createApiToken.token as string}`;
  }

  async function nodeStatus(): Promise<string | undefined> {
    return ((await gql('{ nodes { id status } }')).nodes as { id: string; status: string }[]).find((node) => node.id === NODE_ID)?.status;
  }

  async function provision(name: string, nodeId: string | null): Promise<string> {
    const data = await ok(`mutation($input: ProvisionInput!) { provisionInstance(input: $input) { __typename ... on Instance { id } ... on Error { message } } }`, {
      input: { engine: 'postgres', version: '15', name, defaultDatabase: 'shop', password: DB_PASSWORD, isPublic: true, ...(nodeId ? { nodeId } : {}) },
    });
    return data.provisionInstance.id as string;
  }

  async function ready(instanceId: string): Promise<void> {
    await until(`instance ${instanceId} ready`, async () => {
      const data = await gql(`{ instance(id: "${instanceId}") { ... on Instance { status statusDetail } } }`);
      if (data.instance.status === 'FAILED') throw new Error(data.instance.statusDetail);
      return data.instance.status === 'READY';
    }, 180_000);
  }

  async function sql(instanceId: string, text: string): Promise<Data[]> {
    const data = await ok(`mutation($id: ID!, $sql: String!) { runQuery(instanceId: $id, database: "shop", text: $sql, timeoutMs: 60000) { __typename ... on QueryResult { rows } ... on Error { message } } }`, { id: instanceId, sql: text });
    return data.runQuery.rows as Data[];
  }

  async function connection(instanceId: string): Promise<{ host: string; port: number; strings: { value: string }[] }> {
    return (await gql(`{ instance(id: "${instanceId}") { ... on Instance { connection { host port strings { value } } } } }`)).instance.connection;
  }

  /** What a user's psql on the first host gets from host:port (the postgres:15 image carries psql). */
  async function psqlFrom(host: string, dbPort: number): Promise<string> {
    const { stdout } = await run('docker', ['run', '--rm', '--network', 'host', '-e', `PGPASSWORD=${DB_PASSWORD}`, 'postgres:15', 'psql', '-h', host, '-p', String(dbPort), '-U', 'postgres', '-d', 'shop', '-tAc', 'select count(*) from items']);
    return stdout.trim();
  }

  function subscribe<T>(client: Client, query: string, variables: Record<string, unknown>, done: (item: T) => boolean, timeoutMs: number): Promise<T[]> {
    const items: T[] = [];
    return new Promise((resolve, reject) => {
      let dispose: () => void = () => undefined;
      const timer = setTimeout(() => {
        dispose();
        reject(new Error(`subscription timed out; got ${JSON.stringify(items).slice(0, 400)}`));
      }, timeoutMs);
      dispose = client.subscribe<Data>({ query, variables }, {
        next: (result) => {
          if (result.errors) return reject(new Error(result.errors.map((e) => e.message).join('; ')));
          const item = Object.values(result.data ?? {})[0] as T;
          items.push(item);
          if (done(item)) {
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
    port = 20_000 + randomInt(0, 9_000);
    // Users reach the control plane at its public address, as nodes do.
    base = `http://${HOST_A}:${port}`;
    writeFileSync(
      override,
      [
        'services:',
        '  control-plane:',
        '    environment:',
        `      Auth__AdminPassword: "${ADMIN_PASSWORD}"`,
        `      Docker__Network: ${NETWORK}`,
        '  node:',
        '    environment:',
        `      Docker__Network: ${NETWORK}`,
        '    volumes:',
        `      - ${nodeSocket}:/var/run/docker.sock`,
        'networks:',
        '  krint:',
        `    name: ${NETWORK}`,
        '',
      ].join('\n'),
    );

    // The second host: a network namespace linked to this one, and a Docker daemon inside it.
    await run('ip', ['netns', 'add', NETNS]);
    await run('ip', ['link', 'add', VETH, 'type', 'veth', 'peer', 'name', `${VETH}b`]);
    await run('ip', ['link', 'set', `${VETH}b`, 'netns', NETNS]);
    await run('ip', ['addr', 'add', `${HOST_A}/30`, 'dev', VETH]);
    await run('ip', ['link', 'set', VETH, 'up']);
    await run('ip', ['netns', 'exec', NETNS, 'ip', 'addr', 'add', `${HOST_B}/30`, 'dev', `${VETH}b`]);
    await run('ip', ['netns', 'exec', NETNS, 'ip', 'link', 'set', `${VETH}b`, 'up']);
    await run('ip', ['netns', 'exec', NETNS, 'ip', 'link', 'set', 'lo', 'up']);
    const daemonDir = path.join(work, 'b');
    await run('mkdir', ['-p', daemonDir]);
    // Only the network namespace is entered: `ip netns exec` would also remount /sys and hide the cgroups dockerd needs.
    nodeDaemon = spawn('nsenter', [`--net=/var/run/netns/${NETNS}`, 'dockerd', '--data-root', path.join(daemonDir, 'data'), '--exec-root', path.join(daemonDir, 'exec'), '-H', `unix://${nodeSocket}`, '--pidfile', path.join(daemonDir, 'docker.pid')], { stdio: 'ignore' });
    await until('the node host\'s dockerd', () => succeeds('docker', [...nodeDocker, 'info']), 60_000);
    // The node host gets its images as any host would, here by copying them over.
    await run('sh', ['-c', `docker save ${IMAGE} postgres:15 | docker -H unix://${nodeSocket} load`], { maxBuffer: 16 * 1024 * 1024 });

    await compose(['up', '-d', '--no-build', 'control-plane']);
    await until('the control plane /health', async () => (await fetch(`${base}/health`)).ok, 120_000);
    await signIn();
    await compose(['--profile', 'node', 'up', '-d', '--no-build', 'node'], { docker: `unix://${nodeSocket}` });
    await until('the node online', async () => (await nodeStatus()) === 'ONLINE', 90_000);
  }, 600_000);

  afterAll(async () => {
    for (const instanceId of [instances.local, instances.remote]) {
      if (instanceId) await gql(`mutation { deleteInstance(id: "${instanceId}", deleteBackups: true) { __typename } }`).catch(() => undefined);
    }
    const logs = await compose(['logs', '--no-color']).then((r) => r.stdout, () => '');
    await compose(['--profile', 'node', 'down', '-v'], { docker: `unix://${nodeSocket}` }).catch(() => undefined);
    await compose(['down', '-v']).catch(() => undefined);
    // Whatever a failed step left of this run's instances, on either host.
    for (const daemon of [[], nodeDocker]) {
      for (const instanceId of [instances.local, instances.remote].filter(Boolean)) {
        const { stdout } = await run('docker', [...daemon, 'ps', '-aq', '--filter', `label=krint.instance=${instanceId}`]).catch(() => ({ stdout: '' }));
        for (const container of stdout.split('\n').filter(Boolean)) await run('docker', [...daemon, 'rm', '-f', '-v', container]).catch(() => undefined);
        const volumes = await run('docker', [...daemon, 'volume', 'ls', '-q', '--filter', `label=krint.instance=${instanceId}`]).catch(() => ({ stdout: '' }));
        for (const volume of volumes.stdout.split('\n').filter(Boolean)) await run('docker', [...daemon, 'volume', 'rm', '-f', volume]).catch(() => undefined);
      }
    }
    await run('docker', ['image', 'rm', NEXT_IMAGE]).catch(() => undefined);
    if (nodeDaemon && nodeDaemon.exitCode === null) {
      const exited = new Promise((resolve) => nodeDaemon!.once('exit', resolve));
      nodeDaemon.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
    }
    await run('ip', ['netns', 'del', NETNS]).catch(() => undefined);
    await run('ip', ['link', 'del', VETH]).catch(() => undefined);
    try {
      rmSync(work, { recursive: true, force: true });
    } catch (error) {
      console.warn(`Could not remove ${work} entirely: ${String(error)}`);
    }
    // No secret reaches the logs of either role.
    expect(logs).not.toContain(DB_PASSWORD);
    expect(logs).not.toContain(NODE_TOKEN);
  }, 180_000);

  it('provisions on both hosts; each connection string names the host that publishes the port, reachable there only', async () => {
    instances.local = await provision('On host A', null);
    instances.remote = await provision('On host B', NODE_ID);
    await Promise.all([ready(instances.local), ready(instances.remote)]);
    for (const instanceId of [instances.local, instances.remote]) {
      await sql(instanceId, 'create table items (id serial primary key, payload text)');
      await sql(instanceId, `insert into items (payload) select md5(g::text) from generate_series(1, ${instanceId === instances.local ? 1000 : 2000}) g`);
    }
    const local = await connection(instances.local);
    const remote = await connection(instances.remote);
    expect(local.host).toBe(HOST_A);
    expect(remote.host).toBe(HOST_B);
    expect(remote.strings.some((s) => s.value.includes(`${HOST_B}:${remote.port}`))).toBe(true);
    // A user on the first host reaches the node's database at the node's address, and not on loopback.
    expect(await psqlFrom(HOST_B, remote.port)).toBe('2000');
    // (Loopback may find the first host's own instance there, when both hosts picked the same port.)
    expect(await psqlFrom('127.0.0.1', remote.port).catch(() => 'refused')).not.toBe('2000');
    expect(await psqlFrom(HOST_A, local.port)).toBe('1000');
  }, 400_000);

  it('browses and manages users on the node through the control plane in its container', async () => {
    const page = await ok(`{ rows(instanceId: "${instances.remote}", database: "shop", table: "items", limit: 25) { __typename ... on RowPage { rows nextCursor } ... on Error { message } } }`);
    expect(page.rows.rows).toHaveLength(25);
    const user = await ok(`mutation { createUser(instanceId: "${instances.remote}", name: "host_b_reader") { __typename ... on UserCredentials { password } ... on Error { message } } }`);
    expect(user.createUser.password).toBeTruthy();
    await ok(`mutation { grantAccess(instanceId: "${instances.remote}", user: "host_b_reader", database: "shop", access: READ) { __typename ... on Error { message } } }`);
    const users = await ok(`{ users(instanceId: "${instances.remote}") { __typename ... on QueryUsersSuccess { data { name } } ... on Error { message } } }`);
    expect((users.users.data as { name: string }[]).map((u) => u.name)).toContain('host_b_reader');
  }, 120_000);

  it('backs up on the node and restores that backup onto the first host', async () => {
    const backup = await ok(`mutation { backupNow(instanceId: "${instances.remote}") { __typename ... on Backup { id status sizeBytes } ... on Error { message } } }`);
    expect(backup.backupNow.status).toBe('SUCCEEDED');
    await sql(instances.local!, 'drop table items');
    const restored = await ok(`mutation { restoreBackup(backupId: "${backup.backupNow.id}", targetInstanceId: "${instances.local}") { __typename ... on RestoreResult { bytes } ... on Error { message } } }`);
    expect(restored.restoreBackup.bytes).toBe(backup.backupNow.sizeBytes);
    expect(Number((await sql(instances.local!, 'select count(*)::int as n from items'))[0]!.n)).toBe(2000);
  }, 180_000);

  it('follows the node instance\'s log and runs a shell in it', async () => {
    const ws = createClient({ url: `${base.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: () => ({ authorization }) });
    try {
      const marker = `krint_hosts_marker_${id}`;
      const lines = subscribe<{ text: string }[]>(ws, `subscription($id: ID!) { logs(instanceId: $id, tail: 1) { text } }`, { id: instances.remote }, (batch) => batch.some((line) => line.text.includes(marker)), 30_000);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await gql(`mutation { runQuery(instanceId: "${instances.remote}", database: "shop", text: "select ${marker}") { __typename } }`);
      expect((await lines).flat().some((line) => line.text.includes(marker))).toBe(true);

      const opened = await ok(`mutation { openShell(instanceId: "${instances.remote}") { __typename ... on ShellSession { id } ... on Error { message } } }`);
      let seen = '';
      const shell = subscribe<{ data?: string | null }>(ws, `subscription($id: ID!) { shell(sessionId: $id) { data } }`, { id: opened.openShell.id }, (item) => {
        seen += item.data ?? '';
        return seen.includes('host-b-42');
      }, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await ok(`mutation($d: String!) { shellInput(sessionId: "${opened.openShell.id}", data: $d) { __typename ... on Error { message } } }`, { d: 'echo host-b-$((40+2))\n' });
      await shell;
      expect(seen).toContain('host-b-42');
    } finally {
      await ws.dispose();
    }
  }, 90_000);

  it('upgrades Krint itself: stop, a new image, start; state is kept and the node comes back', async () => {
    // The "new release": the same build under a new name with a new label, as a registry would serve it.
    const context = path.join(work, 'next');
    await run('mkdir', ['-p', context]);
    writeFileSync(path.join(context, 'Dockerfile'), `FROM ${IMAGE}\nLABEL org.opencontainers.image.version="next-${id}"\n`);
    await run('docker', ['build', '-q', '-t', NEXT_IMAGE, context], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    await compose(['stop', 'control-plane']);
    await until('the node to see the control plane gone', async () => !(await fetch(`${base}/health`).then((r) => r.ok, () => false)), 30_000);
    await compose(['up', '-d', '--no-build', 'control-plane'], { image: NEXT_IMAGE });
    const { stdout } = await run('docker', ['ps', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.Image}}']);
    expect(stdout.trim().split('\n')).toContain(NEXT_IMAGE);
    await until('the control plane /health after the upgrade', async () => (await fetch(`${base}/health`)).ok, 120_000);
    // The API token, the instances and the node all survived in the data volume.
    await until('the node online again', async () => (await nodeStatus()) === 'ONLINE', 90_000);
    const listed = await gql('{ instances { id status } }');
    expect((listed.instances as { id: string; status: string }[]).filter((i) => i.id === instances.local || i.id === instances.remote).map((i) => i.status)).toEqual(['READY', 'READY']);
    expect(Number((await sql(instances.remote!, 'select count(*)::int as n from items'))[0]!.n)).toBe(2000);
    expect(Number((await sql(instances.local!, 'select count(*)::int as n from items'))[0]!.n)).toBe(2000);
  }, 300_000);
});
