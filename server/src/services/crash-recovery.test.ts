import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { requireImage } from '@krint/engine-sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlTestClient, type Data } from '../testing/graphql-client.js';
import { freePort, until } from '../testing/krint-processes.js';
import { Setting } from '../db/entities.js';
import { openDatabase } from '../db/orm.js';
import type { FaultAction, FaultPoint } from './fault-points.js';

/**
 * The fault suite: a real control plane process (`node bin/krint.mjs`) on the real Docker host is
 * killed with SIGKILL at a named step of each long operation (`KRINT_TEST_FAULT=<point>:crash`
 * makes it kill itself exactly there), then started again. After each restart:
 * - nothing labelled for an instance is left that no record explains (no orphans, and each
 *   instance has exactly the containers its record names);
 * - the instance is READY, or FAILED offering a repair that then works;
 * - every row is still there (count);
 * - no partial backup is recorded good;
 * - the operation's progress subscription ends (INTERRUPTED), also for a subscriber who comes after the restart.
 */
const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const ready = (await requireImage('postgres:15')) && (await requireImage('postgres:17')) && (await requireImage('krint-test/busybox:latest'));
const ADMIN_PASSWORD = `Operator-${randomUUID()}`;
const DB_PASSWORD = `Crash-pass-${randomUUID().slice(0, 8)}`;
const PORT_RANGE = [39720, 39739] as const;
const ROWS = 3000;

interface Proc {
  child: ChildProcess;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function dockerLines(args: string[]): Promise<string[]> {
  const { stdout } = await run('docker', args, { timeout: 30_000 });
  return stdout.split('\n').map((line) => line.trim()).filter(Boolean);
}

/** The fault table, filled as the cases run and printed at the end. */
const survived: { point: FaultPoint; operation: string; outcome: string }[] = [];

describe.skipIf(!ready)('kill -9 of the control plane at every step of the long operations', () => {
  let dataDir: string;
  let port: number;
  let base: string;
  let authorization = '';
  let controlPlane: Proc | undefined;
  let instanceId: string;
  const made = new Set<string>();
  const { gql, ok } = graphqlTestClient(() => base, () => authorization);

  function start(fault: FaultPoint | null, action: FaultAction): Proc {
    const output: string[] = [];
    const env = { ...process.env, Krint__Role: 'control-plane', Krint__Port: String(port), Krint__DataDir: dataDir, Auth__AdminPassword: ADMIN_PASSWORD, ...(fault ? { KRINT_TEST_FAULT: `${fault}:${action}` } : {}) };
    if (!fault) delete env.KRINT_TEST_FAULT;
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/krint.mjs')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (data: Buffer) => output.push(...data.toString().split('\n').filter(Boolean));
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    return { child, output, exited };
  }

  /** Starts the control plane (armed with `fault`, or clean) and waits until it answers and has reconciled. */
  async function startControlPlane(fault: FaultPoint | null, action: FaultAction = 'crash'): Promise<Proc> {
    const proc = start(fault, action);
    controlPlane = proc;
    await until('the control plane to answer /health', async () => (await fetch(`${base}/health`)).ok, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${proc.output.slice(-10).join('\n')}`);
    });
    await until('reconciliation at start', async () => proc.output.some((line) => line.startsWith('Reconcile (this host)')), 180_000);
    return proc;
  }

  /** Waits for the armed process to kill itself at its fault point. */
  async function crashed(proc: Proc): Promise<void> {
    const exit = await Promise.race([proc.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 240_000))]);
    expect(exit, `the control plane did not reach its fault point:\n${proc.output.slice(-20).join('\n')}`).toEqual({ code: null, signal: 'SIGKILL' });
  }

  async function stopControlPlane(): Promise<void> {
    const proc = controlPlane;
    if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
    proc.child.kill('SIGTERM');
    await proc.exited;
  }

  async function count(id = instanceId): Promise<number> {
    const data = await ok(`mutation($id: ID!) { runQuery(instanceId: $id, database: "shop", text: "select count(*)::int as n from items", timeoutMs: 60000) { __typename ... on QueryResult { rows } ... on Error { message } } }`, { id });
    return Number(data.runQuery.rows[0].n);
  }

  async function instance(id = instanceId): Promise<Data> {
    return (await gql(`{ instance(id: "${id}") { __typename ... on Instance { id status statusDetail state version previousVersion canRollback containerName volumeName allowedActions repairs { action description } } } }`)).instance;
  }

  /** The progress of an operation, followed after the restart over SSE: it must end. */
  async function followToEnd(operationId: string): Promise<Data[]> {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization },
      body: JSON.stringify({ query: 'subscription($id: ID!) { operationProgress(operationId: $id) { phase done state error } }', variables: { id: operationId } }),
      signal: AbortSignal.timeout(30_000),
    });
    const events: Data[] = [];
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = response.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let index: number;
      while ((index = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        const data = block.split('\n').find((line) => line.startsWith('data:'));
        if (!data || block.startsWith('event: complete')) continue;
        const parsed = JSON.parse(data.slice(5)) as { data?: { operationProgress: Data }; errors?: { message: string }[] };
        if (parsed.errors) throw new Error(parsed.errors.map((e) => e.message).join('; '));
        if (parsed.data) events.push(parsed.data.operationProgress);
      }
      if (events.at(-1)?.done) break;
    }
    await reader.cancel().catch(() => undefined);
    return events;
  }

  /** The latest operation of a kind on the instance, and proof that following it ends as INTERRUPTED. */
  async function interruptedOperation(kind: string, id = instanceId): Promise<Data> {
    const data = await gql(`{ operations(instanceId: "${id}", kind: ${kind}, limit: 1) { id state steps { phase } reconciliation } }`);
    const operation = data.operations[0];
    expect(operation, `no ${kind} operation recorded`).toBeTruthy();
    expect(operation.state).toBe('INTERRUPTED');
    const events = await followToEnd(operation.id);
    expect(events.at(-1)).toMatchObject({ done: true, state: 'INTERRUPTED' });
    return operation;
  }

  /** Nothing labelled by this control plane that no record explains. */
  async function nothingUnexplained(): Promise<void> {
    expect((await gql('{ orphans { kind name instanceId } }')).orphans).toEqual([]);
    const instances = (await gql('{ instances { id containerName canRollback } }')).instances as { id: string; containerName: string; canRollback: boolean }[];
    for (const row of instances) {
      const containers = await dockerLines(['ps', '-a', '--format', '{{.Names}}', '--filter', `label=krint.instance=${row.id}`]);
      expect(containers).toContain(row.containerName);
      expect(containers).toHaveLength(row.canRollback ? 2 : 1);
      const volumes = await dockerLines(['volume', 'ls', '-q', '--filter', `label=krint.instance=${row.id}`]);
      expect(volumes).toHaveLength(row.canRollback ? 2 : 1);
    }
  }

  async function provision(name: string): Promise<{ id: string; operationId: string }> {
    const data = await ok(`mutation($input: ProvisionInput!) { provisionInstance(input: $input) { __typename ... on Instance { id activeOperation { id } } ... on Error { message } } }`, {
      input: { engine: 'postgres', version: '15', name, defaultDatabase: 'shop', password: DB_PASSWORD },
    });
    made.add(data.provisionInstance.id);
    return { id: data.provisionInstance.id, operationId: data.provisionInstance.activeOperation.id };
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'krint-crash-'));
    writeFileSync(path.join(dataDir, 'krint.yaml'), `krint:\n  port_ranges:\n    postgres: ${PORT_RANGE[0]}-${PORT_RANGE[1]}\n`);
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
    await startControlPlane(null);
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const tokenResponse = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'x-krint-csrf': csrfToken },
      body: JSON.stringify({ query: 'mutation($at: DateTime!) { createApiToken(name: "crash-tests", role: ADMIN, expiresAt: $at) { ... on CreatedApiToken { token } } }', variables: { at: new Date(Date.now() + 86_400_000).toISOString() } }),
    });
    authorization = `Bearer ${((await tokenResponse.json()) as Data).data.createApiToken.token}`;
    // The instance the upgrade, backup and restore cases work on, with rows to count.
    const { id, operationId } = await provision('crash-data');
    instanceId = id;
    const events = await followToEnd(operationId).catch(() => []);
    await until('the data instance to be ready', async () => (await instance()).status === 'READY', 180_000).catch((error: unknown) => {
      throw new Error(`${String(error)}; progress: ${JSON.stringify(events)}`);
    });
    await ok(`mutation($id: ID!) { runQuery(instanceId: $id, database: "shop", text: "create table items as select g as id, 'item ' || g as label from generate_series(1, ${ROWS}) g", timeoutMs: 60000) { __typename ... on Error { message } } }`, { id });
    expect(await count()).toBe(ROWS);
  }, 300_000);

  afterAll(async () => {
    if (controlPlane && controlPlane.child.exitCode === null && controlPlane.child.signalCode === null) {
      for (const id of made) await gql(`mutation { deleteInstance(id: "${id}", deleteBackups: true) { __typename } }`).catch(() => undefined);
    }
    await stopControlPlane();
    for (const id of made) {
      for (const container of await dockerLines(['ps', '-aq', '--filter', `label=krint.instance=${id}`]).catch(() => [])) await run('docker', ['rm', '-f', '-v', container]).catch(() => undefined);
      for (const volume of await dockerLines(['volume', 'ls', '-q', '--filter', `label=krint.instance=${id}`]).catch(() => [])) await run('docker', ['volume', 'rm', '-f', volume]).catch(() => undefined);
    }
    const logs = controlPlane?.output.join('\n') ?? '';
    expect(logs).not.toContain(DB_PASSWORD);
    console.log(['', '| fault point | operation | after the restart |', '|---|---|---|', ...survived.map((row) => `| \`${row.point}\` | ${row.operation} | ${row.outcome} |`)].join('\n'));
  }, 180_000);

  for (const point of ['provision.created', 'provision.readiness'] as const) {
    it(`finishes a provision killed at ${point}`, async () => {
      await stopControlPlane();
      const armed = await startControlPlane(point);
      const { id, operationId } = await provision(`crash-${point.split('.')[1]}`);
      await crashed(armed);
      const restarted = await startControlPlane(null);
      const operation = await interruptedOperation('PROVISION', id);
      expect(operation.id).toBe(operationId);
      expect(operation.reconciliation).toMatch(/provision was finished/);
      expect(await instance(id)).toMatchObject({ status: 'READY', state: 'RUNNING', repairs: [] });
      expect(restarted.output.join('\n')).toMatch(/Reconcile \(this host\): "crash-\w+": an interrupted provision was finished/);
      await nothingUnexplained();
      survived.push({ point, operation: 'provision', outcome: 'finished: READY, container adopted, no orphans' });
    }, 300_000);
  }

  for (const point of ['upgrade.stopped', 'upgrade.created', 'upgrade.restoring', 'upgrade.verifying'] as const) {
    it(`undoes an upgrade 15 → 17 killed at ${point}: the old container is back on its port with every row`, async () => {
      await stopControlPlane();
      const armed = await startControlPlane(point);
      await ok(`mutation { upgradeInstance(id: "${instanceId}", version: "17") { __typename ... on Error { message } } }`);
      await crashed(armed);
      await startControlPlane(null);
      const operation = await interruptedOperation('UPGRADE');
      expect(operation.reconciliation).toMatch(/upgrade was undone/);
      expect(await instance()).toMatchObject({ status: 'READY', state: 'RUNNING', version: '15', canRollback: false });
      expect(await count()).toBe(ROWS);
      await nothingUnexplained();
      survived.push({ point, operation: 'upgrade 15 → 17', outcome: `undone: READY on 15, ${ROWS} rows, half-made container removed` });
    }, 300_000);
  }

  it('completes an upgrade killed after it was verified, and the rollback it offers works', async () => {
    await stopControlPlane();
    const armed = await startControlPlane('upgrade.verified');
    await ok(`mutation { upgradeInstance(id: "${instanceId}", version: "17") { __typename ... on Error { message } } }`);
    await crashed(armed);
    await startControlPlane(null);
    const operation = await interruptedOperation('UPGRADE');
    expect(operation.steps.map((step: Data) => step.phase)).toContain('verified');
    expect(operation.reconciliation).toMatch(/verified, so it was completed/);
    expect(await instance()).toMatchObject({ status: 'READY', state: 'RUNNING', version: '17', previousVersion: '15', canRollback: true });
    expect(await count()).toBe(ROWS);
    await nothingUnexplained();
    const back = await ok(`mutation { rollbackUpgrade(id: "${instanceId}") { __typename ... on Instance { version canRollback } ... on Error { message } } }`);
    expect(back.rollbackUpgrade).toMatchObject({ version: '15', canRollback: false });
    expect(await count()).toBe(ROWS);
    await nothingUnexplained();
    survived.push({ point: 'upgrade.verified', operation: 'upgrade 15 → 17', outcome: `completed: READY on 17, ${ROWS} rows, 15 kept for rollback (rollback then works)` });
  }, 400_000);

  it('completes a visibility change killed after it was verified: public, same port, old container gone', async () => {
    const before = await gql(`{ instance(id: "${instanceId}") { ... on Instance { hostPort isPublic } } }`);
    expect(before.instance.isPublic).toBe(false);
    await stopControlPlane();
    const armed = await startControlPlane('upgrade.verified');
    await ok(`mutation { setInstanceVisibility(id: "${instanceId}", isPublic: true) { __typename ... on Error { message } } }`);
    await crashed(armed);
    await startControlPlane(null);
    const operation = await interruptedOperation('VISIBILITY');
    expect(operation.reconciliation).toMatch(/visibility had been verified, so it was completed/);
    const after = await gql(`{ instance(id: "${instanceId}") { ... on Instance { status state isPublic hostPort version canRollback containerName } } }`);
    expect(after.instance).toMatchObject({ status: 'READY', state: 'RUNNING', isPublic: true, hostPort: before.instance.hostPort, version: '15', canRollback: false });
    expect((await dockerLines(['port', after.instance.containerName])).join('\n')).toContain(`0.0.0.0:${before.instance.hostPort}`);
    expect(await count()).toBe(ROWS);
    await nothingUnexplained();
    survived.push({ point: 'upgrade.verified', operation: 'visibility change to public', outcome: `completed: READY, bound to 0.0.0.0 on the same port, ${ROWS} rows, old container removed` });
  }, 300_000);

  it('records a backup killed mid-dump as failed, with no file', async () => {
    await stopControlPlane();
    const armed = await startControlPlane('backup.dumping');
    const started = await ok(`mutation { startBackup(instanceId: "${instanceId}") { __typename ... on Operation { id state } ... on Error { message } } }`);
    expect(started.startBackup.state).toBe('RUNNING');
    await crashed(armed);
    await startControlPlane(null);
    await interruptedOperation('BACKUP');
    const backups = (await gql(`{ backups(instanceId: "${instanceId}") { status kind file } }`)).backups as { status: string; kind: string; file: string }[];
    const manual = backups.filter((backup) => backup.kind === 'MANUAL');
    expect(manual.length).toBeGreaterThan(0);
    expect(manual.every((backup) => backup.status === 'FAILED')).toBe(true);
    const files = readdirSync(path.join(dataDir, 'backups'));
    for (const backup of manual) expect(files).not.toContain(backup.file);
    expect(files.filter((file) => file.endsWith('.partial'))).toEqual([]);
    expect(await instance()).toMatchObject({ status: 'READY' });
    await nothingUnexplained();
    survived.push({ point: 'backup.dumping', operation: 'backup', outcome: 'recorded FAILED, partial file removed, instance READY' });
  }, 300_000);

  it('marks an instance whose restore was killed FAILED, and restoring again repairs it', async () => {
    const backup = await ok(`mutation { backupNow(instanceId: "${instanceId}") { __typename ... on Backup { id status } ... on Error { message } } }`);
    expect(backup.backupNow.status).toBe('SUCCEEDED');
    await stopControlPlane();
    const armed = await startControlPlane('restore.restoring');
    await ok(`mutation { startRestore(backupId: "${backup.backupNow.id}") { __typename ... on Operation { id } ... on Error { message } } }`);
    await crashed(armed);
    await startControlPlane(null);
    await interruptedOperation('RESTORE');
    const failed = await instance();
    expect(failed.status).toBe('FAILED');
    expect(failed.statusDetail).toMatch(/did not finish; the data may be partly restored/);
    expect(failed.repairs.map((repair: Data) => repair.action)).toContain('RESTORE');
    await nothingUnexplained();
    const repaired = await ok(`mutation { restoreBackup(backupId: "${backup.backupNow.id}") { __typename ... on RestoreResult { bytes } ... on Error { message } } }`);
    expect(repaired.restoreBackup.bytes).toBeGreaterThan(0);
    expect(await instance()).toMatchObject({ status: 'READY', repairs: [] });
    expect(await count()).toBe(ROWS);
    survived.push({ point: 'restore.restoring', operation: 'restore', outcome: `FAILED offering RESTORE; restoring again: READY, ${ROWS} rows` });
  }, 300_000);

  it('on SIGTERM marks an upgrade that does not finish within the grace period interrupted, exits, and the next start undoes it', async () => {
    await stopControlPlane();
    // The upgrade stops for good once its new container exists; only the shutdown can end it.
    const hanging = await startControlPlane('upgrade.created', 'hang');
    await ok(`mutation { upgradeInstance(id: "${instanceId}", version: "17") { __typename ... on Error { message } } }`);
    await until('the upgrade to reach its new container', async () => (await gql(`{ instance(id: "${instanceId}") { ... on Instance { activeOperation { steps { phase } } } } }`)).instance.activeOperation?.steps.some((step: Data) => step.phase === 'create'), 120_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const signalledAt = Date.now();
    hanging.child.kill('SIGTERM');
    const exit = await hanging.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    // The 10 s grace, and not the 15 s hard stop.
    expect(Date.now() - signalledAt).toBeLessThan(14_000);
    expect(hanging.output.join('\n')).toMatch(/Shutdown: 1 operation\(s\) did not finish in time and were marked interrupted/);
    await startControlPlane(null);
    const operation = await interruptedOperation('UPGRADE');
    // The abort at the end of the grace period sets off the upgrade's own undo; what it did not
    // finish before the exit, the next start does.
    if (operation.reconciliation !== null) expect(operation.reconciliation).toMatch(/upgrade was undone/);
    expect(await instance()).toMatchObject({ status: 'READY', state: 'RUNNING', version: '15' });
    expect(await count()).toBe(ROWS);
    await nothingUnexplained();
    survived.push({ point: 'upgrade.created', operation: 'upgrade 15 → 17, SIGTERM (hangs past the grace)', outcome: `marked INTERRUPTED at shutdown, exit 0; next start undid it: READY on 15, ${ROWS} rows` });
  }, 300_000);

  it('finishes a delete killed after the containers were removed', async () => {
    const victim = [...made].find((id) => id !== instanceId)!;
    await stopControlPlane();
    const armed = await startControlPlane('delete.removed');
    // The request dies with the process; its answer is never seen.
    await gql(`mutation { deleteInstance(id: "${victim}") { __typename } }`).catch(() => undefined);
    await crashed(armed);
    await startControlPlane(null);
    await interruptedOperation('DELETE', victim);
    expect((await gql(`{ instance(id: "${victim}") { __typename } }`)).instance.__typename).toBe('NotFoundError');
    expect(await dockerLines(['ps', '-aq', '--filter', `label=krint.instance=${victim}`])).toEqual([]);
    expect(await dockerLines(['volume', 'ls', '-q', '--filter', `label=krint.instance=${victim}`])).toEqual([]);
    await nothingUnexplained();
    survived.push({ point: 'delete.removed', operation: 'delete', outcome: 'finished: row, containers and volumes gone' });
  }, 300_000);

  it('lists what it labelled for instances it has no record of as orphans, says so at start, and removes them only on request', async () => {
    // What a crash before the row was written, or state restored from an older copy, would leave.
    const orm = await openDatabase({ kind: 'sqlite', file: path.join(dataDir, 'krint.db') }, { migrate: false });
    const installation = (await orm.em.fork().findOneOrFail(Setting, { key: 'installation.id' })).value;
    await orm.close(true);
    const ghost = randomUUID();
    const labels = ['krint.managed=true', `krint.installation=${installation}`, `krint.instance=${ghost}`, 'krint.engine=busybox'].flatMap((label) => ['--label', label]);
    const containerName = `krint-orphan-${ghost.slice(0, 8)}`;
    const volumeName = `krint-orphan-${ghost.slice(0, 8)}-data`;
    made.add(ghost);
    await run('docker', ['volume', 'create', ...labels, volumeName]);
    await run('docker', ['run', '-d', '--name', containerName, ...labels, 'krint-test/busybox:latest', 'sleep', '3600']);
    // Another installation's containers on the same host are none of its business.
    await run('docker', ['volume', 'create', '--label', 'krint.managed=true', '--label', `krint.installation=${randomUUID()}`, '--label', `krint.instance=${ghost}`, `${volumeName}-other`]);
    try {
      await stopControlPlane();
      const restarted = await startControlPlane(null);
      expect(restarted.output.join('\n')).toMatch(new RegExp(`Reconcile \\(this host\\): 2 orphaned .*${containerName}.*${volumeName}`));
      const orphans = (await gql('{ orphans { kind id name instanceId nodeId engine } }')).orphans as Data[];
      expect(orphans).toEqual(expect.arrayContaining([
        expect.objectContaining({ kind: 'CONTAINER', name: containerName, instanceId: ghost, nodeId: null, engine: 'busybox' }),
        expect.objectContaining({ kind: 'VOLUME', name: volumeName, instanceId: ghost }),
      ]));
      expect(orphans).toHaveLength(2);
      const wrongKind = await gql(`mutation { removeOrphan(kind: VOLUME, id: "${containerName}") { __typename ... on Error { message } } }`);
      expect(wrongKind.removeOrphan.__typename).toBe('NotFoundError');
      for (const orphan of orphans) {
        const removed = await ok(`mutation($kind: OrphanKind!, $id: ID!) { removeOrphan(kind: $kind, id: $id) { __typename ... on Orphan { name } ... on Error { message } } }`, { kind: orphan.kind, id: orphan.id });
        expect(removed.removeOrphan.name).toBe(orphan.name);
      }
      expect((await gql('{ orphans { name } }')).orphans).toEqual([]);
      expect(await dockerLines(['ps', '-aq', '--filter', `name=${containerName}`])).toEqual([]);
      expect(await dockerLines(['volume', 'ls', '-q', '--filter', `name=${volumeName}`])).toEqual([`${volumeName}-other`]);
      await nothingUnexplained();
    } finally {
      await run('docker', ['volume', 'rm', '-f', `${volumeName}-other`]).catch(() => undefined);
    }
  }, 180_000);
});
