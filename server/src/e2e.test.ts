import { createAgent, type Agent } from '@krint/agent';
import { requireImage } from '@krint/engine-sdk/testing';
import { createClient, type Client } from 'graphql-ws';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKrint, type Krint } from './app.js';
import { FaultPoints } from './services/fault-points.js';
import { bearerFor } from './auth/testing.js';
import { loadConfig } from './config.js';
import { graphqlTestClient, type Data } from './testing/graphql-client.js';

/**
 * The real control plane on a real port, against the real Docker daemon and the local postgres
 * images, driven only through GraphQL (HTTP, SSE and WebSocket) and the download route.
 */
const run = promisify(execFile);
const ready = (await requireImage('postgres:15')) && (await requireImage('postgres:17'));

let agent: Agent;
let krint: Krint;
/** Failure points this suite arms to prove the rollback of an upgrade. */
const faults = new FaultPoints();
let base: string;
let ws: Client;
let backupsDir: string;
/** An admin API token: every call is authenticated like a real client's. */
let authorization: string;
const created: string[] = [];
/** Host ports this suite's instances get, from krint.yaml. */
const PORT_RANGE = [39400, 39440] as const;

const { gql, ok } = graphqlTestClient(() => base, () => authorization);

/** Collects a WebSocket subscription until `until` says stop (or the time runs out). */
function subscribe<T>(query: string, variables: Record<string, unknown>, until: (item: T, all: T[]) => boolean, timeoutMs: number): { done: Promise<T[]>; stop: () => void } {
  const items: T[] = [];
  let stop: () => void = () => undefined;
  const done = new Promise<T[]>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`Subscription timed out after ${timeoutMs} ms; got ${JSON.stringify(items).slice(0, 1000)}`));
    }, timeoutMs);
    const unsubscribe = ws.subscribe<Data>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors) return reject(new Error(result.errors.map((e) => e.message).join('; ')));
          const item = Object.values(result.data ?? {})[0] as T;
          items.push(item);
          if (until(item, items)) {
            clearTimeout(timer);
            stop();
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
      },
    );
    stop = unsubscribe;
  });
  return { done, stop: () => stop() };
}

/** A subscription over SSE (yoga's own transport): reads `next` events until `until` is true. */
async function subscribeSse<T>(query: string, variables: Record<string, unknown>, until: (item: T) => boolean, timeoutMs: number): Promise<T[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  const items: T[] = [];
  try {
    const response = await fetch(`${base}/graphql`, { method: 'POST', signal: abort.signal, headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization }, body: JSON.stringify({ query, variables }) });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split('\n').find((line) => line.startsWith('data:'));
        if (!event.startsWith('event: next') || !data) continue;
        const item = Object.values((JSON.parse(data.slice(5)) as { data: Data }).data)[0] as T;
        items.push(item);
        if (until(item)) return items;
      }
    }
    return items;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

interface Progress {
  phase: string;
  message: string;
  done: boolean;
  error: string | null;
}

async function provision(name: string, version: string): Promise<string> {
  const data = await ok(
    `mutation($input: ProvisionInput!) { provisionInstance(input: $input) { __typename ... on Instance { id status } ... on Error { message } } }`,
    { input: { engine: 'postgres', version, name, defaultDatabase: 'shop', password: 'e2e-Secret-pass_1' } },
  );
  const id = data.provisionInstance.id as string;
  created.push(id);
  // Progress over SSE: replays what already happened, then follows to the end.
  const events = await subscribeSse<Progress>(`subscription($id: ID!) { provisionProgress(instanceId: $id) { phase message done error } }`, { id }, (e) => e.done, 180_000);
  const last = events[events.length - 1]!;
  expect(last.error, events.map((e) => e.message).join('\n')).toBeNull();
  expect(events.map((e) => e.phase)).toContain('ready');
  return id;
}

async function count(instanceId: string, sql = 'select count(*)::int as n from items'): Promise<number> {
  const data = await ok(`mutation($id: ID!, $sql: String!) { runQuery(instanceId: $id, database: "shop", text: $sql) { __typename ... on QueryResult { rows } ... on Error { message } } }`, { id: instanceId, sql });
  return Number(data.runQuery.rows[0].n);
}

async function waitUntil<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

async function dockerLines(args: string[]): Promise<string[]> {
  const { stdout } = await run('docker', args, { timeout: 30_000 });
  return stdout.split('\n').map((line) => line.trim()).filter(Boolean);
}

describe.skipIf(!ready)('control plane end to end (Docker, postgres:15 and postgres:17)', () => {
  let a: string;
  let b: string;
  let backupId: string;
  let rowsInA: number;

  beforeAll(async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'krint-e2e-'));
    writeFileSync(path.join(dataDir, 'krint.yaml'), `krint:\n  port_ranges:\n    postgres: ${PORT_RANGE[0]}-${PORT_RANGE[1]}\n`);
    backupsDir = path.join(dataDir, 'backups');
    agent = await createAgent();
    krint = await createKrint({ config: loadConfig({ env: { Krint__DataDir: dataDir, Backups__MinScheduleIntervalSeconds: '1' }, cwd: dataDir }), localExecutor: agent.executor, engines: agent.context.engines, log: () => undefined, faults });
    base = `http://127.0.0.1:${await krint.listen(0)}`;
    authorization = await bearerFor(krint, 'admin', 'e2e');
    ws = createClient({ url: `${base.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: () => ({ authorization }) });
  });

  afterAll(async () => {
    // Whatever a failed test left behind: delete through the API, then by label.
    for (const id of created) {
      await gql(`mutation { deleteInstance(id: "${id}", deleteBackups: true) { __typename } }`).catch(() => undefined);
      for (const container of await dockerLines(['ps', '-aq', '--filter', `label=krint.instance=${id}`]).catch(() => [])) await run('docker', ['rm', '-f', '-v', container]).catch(() => undefined);
      for (const volume of await dockerLines(['volume', 'ls', '-q', '--filter', `label=krint.instance=${id}`]).catch(() => [])) await run('docker', ['volume', 'rm', '-f', volume]).catch(() => undefined);
    }
    await ws?.dispose();
    await krint?.close();
    await agent?.close();
  });

  it('provisions an instance and reports it running with credentials', async () => {
    a = await provision('E2E server A', '15');
    const data = await gql(`{ instance(id: "${a}") { ... on Instance { status state version hostPort isPublic connection { user password database strings { label value } } } } health: dashboard { totalInstances runningInstances } }`);
    expect(data.instance).toMatchObject({ status: 'READY', state: 'RUNNING', version: '15', isPublic: false });
    expect(data.instance.connection).toMatchObject({ user: 'postgres', password: 'e2e-Secret-pass_1', database: 'shop' });
    expect(data.instance.connection.strings.some((s: { value: string }) => s.value.includes(`:${data.instance.hostPort}/shop`))).toBe(true);
    expect(data.health.runningInstances).toBeGreaterThanOrEqual(1);
    expect(data.instance.hostPort).toBeGreaterThanOrEqual(PORT_RANGE[0]);
    expect(data.instance.hostPort).toBeLessThanOrEqual(PORT_RANGE[1]);
  }, 240_000);

  it('renames, stops, starts, restarts and rotates the root password', async () => {
    const events = subscribe<{ kind: string; message: string }>(`subscription($id: ID!) { instanceEvents(instanceId: $id) { kind message at } }`, { id: a }, (e) => e.kind === 'renamed', 20_000);
    const dashboard = subscribe<{ totalInstances: number; engines: { engine: string; running: number }[] }>(`subscription { dashboard(intervalMs: 1000) { totalInstances runningInstances cpuPercent memoryBytes instances { name state cpuPercent memoryBytes } engines { engine instances running cpuPercent memoryBytes } } }`, {}, (_e, all) => all.length >= 2, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const renamed = await ok(`mutation { renameInstance(id: "${a}", name: "  E2E server A  ") { __typename ... on Instance { name } ... on Error { message } } }`);
    expect(renamed.renameInstance.name).toBe('E2E server A');
    expect((await events.done).at(-1)).toMatchObject({ kind: 'renamed', message: 'E2E server A' });
    const snapshots = await dashboard.done;
    expect(snapshots).toHaveLength(2);
    expect(snapshots[1]!.engines.find((e) => e.engine === 'postgres')?.running).toBeGreaterThanOrEqual(1);
    await ok(`mutation { stopInstance(id: "${a}") { __typename ... on Error { message } } }`);
    expect((await gql(`{ instance(id: "${a}") { ... on Instance { state } } }`)).instance.state).toBe('EXITED');
    const stoppedQuery = await gql(`mutation { runQuery(instanceId: "${a}", database: "shop", text: "select 1") { __typename ... on Error { message } } }`);
    expect(stoppedQuery.runQuery.__typename).toMatch(/Error$/);
    await ok(`mutation { startInstance(id: "${a}") { __typename ... on Error { message } } }`);
    await ok(`mutation { restartInstance(id: "${a}") { __typename ... on Error { message } } }`);
    expect((await gql(`{ instance(id: "${a}") { ... on Instance { state } } }`)).instance.state).toBe('RUNNING');
    await ok(`mutation { rotateRootPassword(id: "${a}", password: "e2e-Rotated-pass_2") { __typename ... on Error { message } } }`);
    expect(await count(a, 'select 1 as n')).toBe(1);
    await ok(`mutation { rotateRootPassword(id: "${a}", password: "e2e-Secret-pass_1") { __typename ... on Error { message } } }`);
    const activity = await gql(`{ activity(first: 20, targetId: "${a}") { entries { action outcome actor } } }`);
    expect(activity.activity.entries.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['instance.rename', 'instance.stop', 'instance.start', 'instance.restart', 'instance.root-password']));
  }, 120_000);

  it('runs queries, browses pages with a cursor and edits rows with guards', async () => {
    await ok(`mutation { runQuery(instanceId: "${a}", database: "shop", text: "create table items (id serial primary key, name text not null, qty int not null)") { __typename ... on Error { message } } }`);
    await ok(`mutation { runQuery(instanceId: "${a}", database: "shop", text: "insert into items (name, qty) select 'item ' || g, g from generate_series(1, 250) g") { __typename ... on Error { message } } }`);
    const twoStatements = await gql(`mutation { runQuery(instanceId: "${a}", database: "shop", text: "select 1; drop table items") { __typename ... on InvalidInputError { message } } }`);
    expect(twoStatements.runQuery.__typename).toBe('InvalidInputError');
    const tables = await gql(`{ tables(instanceId: "${a}", database: "shop") { ... on QueryTablesSuccess { data { name schema } } } }`);
    expect(tables.tables.data.map((t: { name: string }) => t.name)).toContain('items');

    const seen: number[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const data = await gql(`query($c: String) { rows(instanceId: "${a}", database: "shop", table: "items", limit: 100, cursor: $c) { ... on RowPage { rows keyColumns nextCursor } ... on Error { message } } }`, { c: cursor });
      expect(data.rows.keyColumns).toEqual(['id']);
      seen.push(...data.rows.rows.map((r: { id: number }) => r.id));
      cursor = data.rows.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toHaveLength(250);
    expect(new Set(seen).size).toBe(250);

    const inserted = await ok(`mutation { insertRow(instanceId: "${a}", database: "shop", table: "items", values: { name: "extra", qty: 7 }) { __typename ... on RowResult { row } ... on Error { message } } }`);
    const newId = inserted.insertRow.row.id as number;
    expect(newId).toBe(251);
    const updated = await ok(`mutation($u: RowUpdateInput!) { updateRow(instanceId: "${a}", database: "shop", table: "items", update: $u) { __typename ... on RowResult { row } ... on Error { message } } }`, { u: { key: { id: newId }, changes: { qty: 8 }, expected: { qty: 7 } } });
    expect(updated.updateRow.row.qty).toBe(8);
    const stale = await gql(`mutation($u: RowUpdateInput!) { updateRow(instanceId: "${a}", database: "shop", table: "items", update: $u) { __typename ... on Error { message } } }`, { u: { key: { id: newId }, changes: { qty: 9 }, expected: { qty: 7 } } });
    expect(stale.updateRow.__typename).toBe('ConflictError');
    const bulk = await ok(`mutation($u: [RowUpdateInput!]!) { bulkUpdateRows(instanceId: "${a}", database: "shop", table: "items", updates: $u) { __typename ... on AffectedRows { count } ... on Error { message } } }`, { u: [{ key: { id: 1 }, changes: { qty: 100 } }, { key: { id: 2 }, changes: { qty: 200 } }] });
    expect(bulk.bulkUpdateRows.count).toBe(2);
    await ok(`mutation { deleteRow(instanceId: "${a}", database: "shop", table: "items", key: { id: ${newId} }) { __typename ... on Error { message } } }`);
    const missing = await gql(`mutation { deleteRow(instanceId: "${a}", database: "shop", table: "items", key: { id: ${newId} }) { __typename ... on Error { message } } }`);
    expect(missing.deleteRow.__typename).toBe('NotFoundError');

    expect(await count(a)).toBe(250);
    expect(await count(a, 'select sum(qty)::int as n from items where id in (1, 2)')).toBe(300);
    const limited = await ok(`mutation { runQuery(instanceId: "${a}", database: "shop", text: "select * from items", rowLimit: 10) { __typename ... on QueryResult { rows truncated } ... on Error { message } } }`);
    expect(limited.runQuery.rows).toHaveLength(10);
    expect(limited.runQuery.truncated).toBe(true);
    const slow = await gql(`mutation { runQuery(instanceId: "${a}", database: "shop", text: "select pg_sleep(5)", timeoutMs: 300) { __typename ... on Error { message } } }`);
    expect(slow.runQuery.__typename).toMatch(/Error$/);
    rowsInA = 250;
  }, 120_000);

  it('manages users and grants', async () => {
    const user = await ok(`mutation { createUser(instanceId: "${a}", name: "report_reader") { __typename ... on UserCredentials { name password } ... on Error { message } } }`);
    expect(user.createUser.password).toMatch(/^[A-Za-z0-9\-_.~]{24}$/);
    await ok(`mutation { grantAccess(instanceId: "${a}", user: "report_reader", database: "shop", access: READ) { __typename ... on Error { message } } }`);
    const listed = await gql(`{ users(instanceId: "${a}") { ... on QueryUsersSuccess { data { name } } } grants(instanceId: "${a}", user: "report_reader") { ... on QueryGrantsSuccess { data { database access } } } instance(id: "${a}") { ... on Instance { managedUsers { name password } } } }`);
    expect(listed.users.data.map((u: { name: string }) => u.name)).toContain('report_reader');
    expect(listed.grants.data).toContainEqual({ database: 'shop', access: 'READ' });
    expect(listed.instance.managedUsers).toEqual([{ name: 'report_reader', password: user.createUser.password }]);
    const reset = await ok(`mutation { resetUserPassword(instanceId: "${a}", name: "report_reader", password: "Another-pass-2") { __typename ... on UserCredentials { password } ... on Error { message } } }`);
    expect(reset.resetUserPassword.password).toBe('Another-pass-2');
    await ok(`mutation { runQuery(instanceId: "${a}", database: "shop", text: "ALTER ROLE report_reader PASSWORD 'Leaky-pass-99'") { __typename ... on Error { message } } }`);
    const log = JSON.stringify(await gql(`{ activity(first: 100) { entries { action detail targetName } } }`));
    expect(log).toContain('query.run');
    for (const secret of ['Leaky-pass-99', 'Another-pass-2', user.createUser.password, 'e2e-Secret-pass_1']) expect(log).not.toContain(secret);
    await ok(`mutation { revokeAccess(instanceId: "${a}", user: "report_reader", database: "shop") { __typename ... on Error { message } } }`);
    const after = await gql(`{ grants(instanceId: "${a}", user: "report_reader") { ... on QueryGrantsSuccess { data { database } } } }`);
    expect(after.grants.data).toEqual([]);
    const bad = await gql(`mutation { createUser(instanceId: "${a}", name: "robert'); drop table items;--") { __typename ... on InvalidInputError { field } } }`);
    expect(bad.createUser).toEqual({ __typename: 'InvalidInputError', field: 'user' });
    expect(await count(a)).toBe(rowsInA);
  }, 60_000);

  it('returns a backup as an operation at once and cancels it: CANCELLED, recorded failed, no file', async () => {
    // The dump stops after its first chunk until it is cancelled, so the cancel lands mid-dump.
    faults.arm('backup.dumping', 'hang');
    const started = await ok(`mutation { startBackup(instanceId: "${a}") { __typename ... on Operation { id kind state cancellable } ... on Error { message } } }`);
    expect(started.startBackup).toMatchObject({ kind: 'BACKUP', state: 'RUNNING', cancellable: true });
    const id = started.startBackup.id as string;
    const progress = subscribe<Progress & { state: string }>(`subscription($id: ID!) { operationProgress(operationId: $id) { phase message done error state } }`, { id }, (e) => e.done, 30_000);
    await waitUntil('the first chunk of the dump on disk', async () => readdirSync(backupsDir).some((file) => file.endsWith('.partial')), 30_000);
    const cancelled = await ok(`mutation { cancelOperation(id: "${id}") { __typename ... on Operation { state error backupId } ... on Error { message } } }`);
    expect(cancelled.cancelOperation).toMatchObject({ state: 'CANCELLED', error: expect.stringMatching(/^Cancelled/), backupId: null });
    const events = await progress.done;
    expect(events.at(-1)).toMatchObject({ done: true, state: 'CANCELLED' });
    const newest = (await gql(`{ backups(instanceId: "${a}") { status file } }`)).backups[0];
    expect(newest.status).toBe('FAILED');
    expect(readdirSync(backupsDir).filter((file) => file.endsWith('.partial') || file === newest.file)).toEqual([]);
    const again = await gql(`mutation { cancelOperation(id: "${id}") { __typename ... on Error { message } } }`);
    expect(again.cancelOperation).toMatchObject({ __typename: 'ConflictError', message: expect.stringMatching(/already ended \(cancelled\)/) });
    // A late subscriber is told how it ended, and the instance was never held.
    const late = await subscribe<Progress & { state: string }>(`subscription($id: ID!) { operationProgress(operationId: $id) { done state } }`, { id }, (e) => e.done, 10_000).done;
    expect(late.at(-1)).toEqual({ done: true, state: 'CANCELLED' });
    expect((await gql(`{ instance(id: "${a}") { ... on Instance { status allowedActions } } }`)).instance).toMatchObject({ status: 'READY', allowedActions: expect.arrayContaining(['BACKUP', 'UPGRADE', 'DELETE']) });
  }, 60_000);

  it('backs up now and streams the file through the download route', async () => {
    const data = await ok(`mutation { backupNow(instanceId: "${a}") { __typename ... on Backup { id status sizeBytes file downloadPath } ... on Error { message } } }`);
    expect(data.backupNow.status).toBe('SUCCEEDED');
    backupId = data.backupNow.id;
    const response = await fetch(`${base}${data.backupNow.downloadPath}`, { headers: { authorization } });
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.length).toBe(data.backupNow.sizeBytes);
    expect(bytes.toString('utf8')).toContain('PostgreSQL database cluster dump');
    expect(bytes.toString('utf8')).toMatch(/item 250/);
    expect(readdirSync(backupsDir).filter((f) => f.endsWith('.partial'))).toEqual([]);
    expect((await fetch(`${base}/api/backups/00000000-0000-0000-0000-000000000000/download`, { headers: { authorization } })).status).toBe(404);

    // The same dump uploaded again (multipart, streamed), and a file that is no dump at all.
    const form = new FormData();
    form.append('file', new Blob([bytes]), 'copy.sql');
    const uploaded = await fetch(`${base}/api/backups/upload?instanceId=${a}`, { method: 'POST', body: form, headers: { authorization } });
    expect(uploaded.status, await uploaded.clone().text()).toBe(201);
    const uploadedId = ((await uploaded.json()) as { backup: { id: string } }).backup.id;
    const listed = await gql(`{ backup(id: "${uploadedId}") { ... on Backup { kind status sizeBytes } } }`);
    expect(listed.backup).toEqual({ kind: 'UPLOAD', status: 'SUCCEEDED', sizeBytes: bytes.length });
    const filesBefore = readdirSync(backupsDir).length;
    const junk = new FormData();
    junk.append('file', new Blob([Buffer.from('MZ this is not a dump at all '.repeat(10))]), 'junk.bin');
    const refused = await fetch(`${base}/api/backups/upload?instanceId=${a}`, { method: 'POST', body: junk, headers: { authorization } });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe('InvalidInputError');
    expect(readdirSync(backupsDir)).toHaveLength(filesBefore);
    await ok(`mutation { deleteBackup(id: "${uploadedId}") { __typename ... on Error { message } } }`);
  }, 60_000);

  it('runs a per-second schedule and applies its retention', async () => {
    const created = await ok(`mutation { createBackupSchedule(input: { instanceId: "${a}", cron: "*/3 * * * * *", retentionCount: 1 }) { __typename ... on BackupSchedule { id nextRunAt } ... on Error { message } } }`);
    const scheduleId = created.createBackupSchedule.id;
    expect(created.createBackupSchedule.nextRunAt).not.toBeNull();
    await waitUntil('two scheduled backups', async () => {
      const activity = await gql(`{ activity(first: 50, targetId: "${a}") { entries { actor action outcome } } }`);
      return activity.activity.entries.filter((e: { actor: string; action: string; outcome: string }) => e.actor === 'scheduler' && e.action === 'backup.create' && e.outcome === 'SUCCEEDED').length >= 2;
    }, 60_000);
    const disabled = await ok(`mutation { setBackupScheduleEnabled(id: "${scheduleId}", enabled: false) { __typename ... on BackupSchedule { enabled nextRunAt lastStatus lastRunAt } ... on Error { message } } }`);
    expect(disabled.setBackupScheduleEnabled).toMatchObject({ enabled: false, nextRunAt: null, lastStatus: 'SUCCEEDED' });
    const kept = await waitUntil('retention to settle', async () => {
      const list = await gql(`{ backups(instanceId: "${a}") { id kind status } }`);
      const scheduled = list.backups.filter((x: { kind: string }) => x.kind === 'SCHEDULED');
      return scheduled.every((x: { status: string }) => x.status !== 'RUNNING') && scheduled.length <= 2 ? scheduled : null;
    }, 30_000);
    expect(kept.length).toBeGreaterThanOrEqual(1);
    expect(kept.length).toBeLessThanOrEqual(2);
    await ok(`mutation { deleteBackupSchedule(id: "${scheduleId}") { __typename ... on Error { message } } }`);
  }, 120_000);

  it('restores the backup into a second instance of the same engine', async () => {
    b = await provision('E2E server B', '15');
    const restored = await ok(`mutation { restoreBackup(backupId: "${backupId}", targetInstanceId: "${b}") { __typename ... on RestoreResult { bytes } ... on Error { message } } }`);
    expect(restored.restoreBackup.bytes).toBeGreaterThan(0);
    expect(await count(b)).toBe(rowsInA);
  }, 240_000);

  it('upgrades 15 → 17 in place with verification, then rolls back', async () => {
    const before = await gql(`{ instance(id: "${a}") { ... on Instance { hostPort } } }`);
    const progress = subscribe<Progress>(`subscription($id: ID!) { upgradeProgress(instanceId: $id) { phase message done error } }`, { id: a }, (e) => e.done, 300_000);
    const started = await ok(`mutation { upgradeInstance(id: "${a}", version: "17") { __typename ... on Instance { status } ... on Error { message } } }`);
    expect(started.upgradeInstance.status).toBe('UPGRADING');
    // While it runs, nothing else may start on the instance.
    const busy = await gql(`mutation {
      again: upgradeInstance(id: "${a}", version: "17") { __typename ... on Error { message } }
      remove: deleteInstance(id: "${a}") { __typename ... on Error { message } }
      back: rollbackUpgrade(id: "${a}") { __typename }
    }`);
    expect(busy.again.__typename).toBe('ConflictError');
    expect(busy.again.message).toMatch(/is upgrading/);
    expect(busy.remove.__typename).toBe('ConflictError');
    expect(busy.back.__typename).toBe('ConflictError');
    const events = await progress.done;
    const last = events[events.length - 1]!;
    expect(last.error, events.map((e) => `${e.phase}: ${e.message}`).join('\n')).toBeNull();
    expect(events.map((e) => e.phase)).toEqual(expect.arrayContaining(['backup', 'inventory', 'create', 'restore', 'verify', 'done']));
    const after = await gql(`{ instance(id: "${a}") { ... on Instance { version previousVersion canRollback hostPort status state } } }`);
    expect(after.instance).toMatchObject({ version: '17', previousVersion: '15', canRollback: true, hostPort: before.instance.hostPort, status: 'READY', state: 'RUNNING' });
    expect(await count(a, "select (current_setting('server_version_num')::int / 10000) as n")).toBe(17);
    expect(await count(a)).toBe(rowsInA);

    const rolledBack = await ok(`mutation { rollbackUpgrade(id: "${a}") { __typename ... on Instance { version previousVersion canRollback } ... on Error { message } } }`);
    expect(rolledBack.rollbackUpgrade).toMatchObject({ version: '15', previousVersion: null, canRollback: false });
    expect(await count(a, "select (current_setting('server_version_num')::int / 10000) as n")).toBe(15);
    expect(await count(a)).toBe(rowsInA);
  }, 360_000);

  it('rolls a failed upgrade back with the data intact', async () => {
    faults.arm('upgrade.verifying', 'fail');
    const progress = subscribe<Progress>(`subscription($id: ID!) { upgradeProgress(instanceId: $id) { phase message done error } }`, { id: b }, (e) => e.done, 300_000);
    await ok(`mutation { upgradeInstance(id: "${b}", version: "17") { __typename ... on Error { message } } }`);
    const events = await progress.done;
    expect(events[events.length - 1]!.error).toMatch(/rolled back.*Forced failure/);
    expect(events.map((e) => e.phase)).toContain('rollback');
    const after = await gql(`{ instance(id: "${b}") { ... on Instance { version previousVersion status state } } }`);
    expect(after.instance).toMatchObject({ version: '15', previousVersion: null, status: 'READY', state: 'RUNNING' });
    expect(await count(b)).toBe(rowsInA);
    const containers = await dockerLines(['ps', '-aq', '--filter', `label=krint.instance=${b}`]);
    expect(containers).toHaveLength(1);
    const nothingKept = await gql(`mutation { discardPreviousVersion(id: "${b}") { __typename ... on Error { message } } }`);
    expect(nothingKept.discardPreviousVersion.__typename).toBe('ConflictError');
  }, 360_000);

  it('changes visibility by recreating the container on the same port, data intact', async () => {
    const before = await gql(`{ instance(id: "${b}") { ... on Instance { hostPort containerName } } }`);
    const progress = subscribe<Progress>(`subscription($id: ID!) { operationProgress(instanceId: $id, operation: VISIBILITY) { phase message done error } }`, { id: b }, (e) => e.done, 300_000);
    await ok(`mutation { setInstanceVisibility(id: "${b}", isPublic: true) { __typename ... on Error { message } } }`);
    const events = await progress.done;
    expect(events[events.length - 1]!.error, events.map((e) => e.message).join('\n')).toBeNull();
    const after = await gql(`{ instance(id: "${b}") { ... on Instance { isPublic hostPort containerName state } } }`);
    expect(after.instance).toMatchObject({ isPublic: true, hostPort: before.instance.hostPort, state: 'RUNNING' });
    const binding = await dockerLines(['port', after.instance.containerName]);
    expect(binding.join('\n')).toContain(`0.0.0.0:${before.instance.hostPort}`);
    expect(await dockerLines(['ps', '-aq', '--filter', `name=${before.instance.containerName}`])).toEqual([]);
    expect(await count(b)).toBe(rowsInA);
  }, 240_000);

  it('follows the container log over WebSocket', async () => {
    const info = await gql(`{ instance(id: "${a}") { ... on Instance { containerName } } }`);
    // A statement that fails makes the server write an ERROR line naming the marker to its log.
    const marker = `krint_log_marker_${Date.now()}`;
    const lines = subscribe<{ text: string }[]>(`subscription($id: ID!) { logs(instanceId: $id, tail: 1) { stream text time } }`, { id: a }, (batch) => batch.some((line) => line.text.includes(marker)), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await run('docker', ['exec', '-u', 'postgres', info.instance.containerName, 'psql', '-U', 'postgres', '-d', 'shop', '-c', `select ${marker}`]).catch((error: { stderr?: string }) => {
      expect(error.stderr).toContain(marker);
    });
    const seen = (await lines.done).flat();
    expect(seen.some((line) => line.text.includes(marker))).toBe(true);
  }, 60_000);

  it('opens a shell, runs echo and sees the output', async () => {
    const opened = await ok(`mutation { openShell(instanceId: "${a}", columns: 100, rows: 30) { __typename ... on ShellSession { id } ... on Error { message } } }`);
    const sessionId = opened.openShell.id;
    let output = '';
    const shell = subscribe<{ kind: string; data: string | null }>(`subscription($s: ID!) { shell(sessionId: $s) { kind data exitCode } }`, { s: sessionId }, (event) => {
      output += event.data ?? '';
      return output.includes('krint-shell-42');
    }, 30_000);
    await waitUntil('the shell to accept input', async () => {
      const sent = await gql(`mutation($s: ID!) { shellInput(sessionId: $s, data: "echo krint-shell-$((6*7))\\n") { __typename } }`, { s: sessionId });
      return sent.shellInput.__typename === 'Ack';
    }, 20_000);
    await shell.done;
    expect(output).toContain('krint-shell-42');
    // The session ended with the subscription.
    await waitUntil('the shell session to end', async () => (await gql(`mutation($s: ID!) { shellInput(sessionId: $s, data: "x") { __typename } }`, { s: sessionId })).shellInput.__typename === 'NotFoundError', 10_000);
  }, 60_000);

  it('refuses bad input on a live instance with typed errors and changes nothing', async () => {
    const data = await gql(`mutation {
      wrongEngine: restoreBackup(backupId: "${backupId}", targetInstanceId: "00000000-0000-0000-0000-000000000000") { __typename }
      dropDefault: dropDatabase(instanceId: "${a}", name: "shop") { __typename ... on Error { message } }
      badTable: dropTable(instanceId: "${a}", database: "shop", table: "") { __typename ... on InvalidInputError { field } }
      badVersion: upgradeInstance(id: "${a}", version: "9") { __typename ... on InvalidInputError { field } }
      badPassword: rotateRootPassword(id: "${a}", password: "has space in it") { __typename ... on InvalidInputError { field } }
      badName: renameInstance(id: "${a}", name: "") { __typename ... on InvalidInputError { field } }
    }`);
    expect(data.wrongEngine.__typename).toBe('NotFoundError');
    expect(data.dropDefault.__typename).toBe('ConflictError');
    expect(data.badTable).toEqual({ __typename: 'InvalidInputError', field: 'table' });
    expect(data.badVersion).toEqual({ __typename: 'InvalidInputError', field: 'version' });
    expect(data.badPassword).toEqual({ __typename: 'InvalidInputError', field: 'password' });
    expect(data.badName).toEqual({ __typename: 'InvalidInputError', field: 'name' });
    expect(await count(a)).toBe(rowsInA);
    const details = await gql(`{ instance(id: "${a}") { ... on Instance { name connection { password } } } }`);
    expect(details.instance).toEqual({ name: 'E2E server A', connection: { password: 'e2e-Secret-pass_1' } });
  }, 60_000);

  it('deletes instances and leaves nothing behind', async () => {
    for (const id of [a, b]) {
      const deleted = await ok(`mutation { deleteInstance(id: "${id}", deleteBackups: true) { __typename ... on Deleted { id } ... on Error { message } } }`);
      expect(deleted.deleteInstance.id).toBe(id);
      expect(await dockerLines(['ps', '-aq', '--filter', `label=krint.instance=${id}`])).toEqual([]);
      expect(await dockerLines(['volume', 'ls', '-q', '--filter', `label=krint.instance=${id}`])).toEqual([]);
    }
    const state = await gql(`{ instances { id } backups { id } backupSchedules { id } }`);
    expect(state).toEqual({ instances: [], backups: [], backupSchedules: [] });
    expect(readdirSync(backupsDir)).toEqual([]);
    const activity = await gql(`{ activity(first: 200) { entries { action outcome } } }`);
    expect(activity.activity.entries.filter((e: { action: string }) => e.action === 'instance.delete')).toHaveLength(2);
  }, 120_000);
});
