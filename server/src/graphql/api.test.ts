
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKrint, type Krint } from '../app.js';
import { loadConfig } from '../config.js';
import { Instance, Node } from '../db/entities.js';
import { Vault } from '../vault/index.js';
import { testEngineRegistry } from '../test-support.js';
import { bearerFor } from '../auth/testing.js';

/**
 * The schema through yoga.fetch, without a port or Docker: validation, typed errors and the
 * guarantee that refused input changes nothing. (Docker-backed flows are in e2e.test.ts.)
 */
let krint: Krint;
let dataDir: string;
let authorization: string;

async function gql<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const response = await krint.yoga.fetch('http://krint.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data as T;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'krint-api-'));
  krint = await createKrint({ config: loadConfig({ env: { Krint__DataDir: dataDir }, cwd: dataDir }), localExecutor: null, engines: await testEngineRegistry(), log: () => undefined });
  authorization = await bearerFor(krint, 'admin', 'api-test');
});

afterAll(async () => {
  await krint?.close();
});

async function countState() {
  const em = krint.services.deps.orm.em.fork();
  const activity = await gql<{ activity: { entries: unknown[] } }>('{ activity(first: 500) { entries { id } } }');
  return { instances: await em.count(Instance, {}), activity: activity.activity.entries.length };
}

describe('GraphQL API without Docker', () => {
  it('lists the engine catalog with versions, capabilities, terms and plugins', async () => {
    const data = await gql(`{ engines { id displayName defaultVersion versions { version image isDefault } capabilities { browse backup upgrade keysetPaging } terms { database table row } plugins { id label } } }`);
    const postgres = data.engines.find((e: { id: string }) => e.id === 'postgres');
    expect(postgres, 'the built-in registry includes PostgreSQL').toBeTruthy();
    expect(postgres.versions.length).toBeGreaterThan(0);
    expect(postgres.versions.filter((v: { isDefault: boolean }) => v.isDefault)).toHaveLength(1);
    expect(postgres.capabilities.backup).toBe(true);
    expect(postgres.terms.table).toBe('table');
  });

  it('refuses bad provision input with typed errors and changes nothing', async () => {
    const before = await countState();
    const cases: [Record<string, unknown>, string, string | null][] = [
      [{ engine: 'nope', name: 'x' }, 'NotFoundError', null],
      [{ engine: 'postgres', version: '7', name: 'x' }, 'InvalidInputError', 'version'],
      [{ engine: 'postgres', name: '   ' }, 'InvalidInputError', 'name'],
      [{ engine: 'postgres', name: 'x', password: "bad'quote-password" }, 'InvalidInputError', 'password'],
      [{ engine: 'postgres', name: 'x', password: 'short' }, 'InvalidInputError', 'password'],
      [{ engine: 'postgres', name: 'x', defaultDatabase: 'drop table;' }, 'InvalidInputError', 'defaultDatabase'],
      [{ engine: 'postgres', name: 'x', plugins: ['nonsense'] }, 'InvalidInputError', 'plugins'],
      [{ engine: 'postgres', name: 'x', storage: 'HOST' }, 'InvalidInputError', 'storage'],
    ];
    for (const [input, type, field] of cases) {
      const data = await gql(`mutation($input: ProvisionInput!) { provisionInstance(input: $input) { __typename ... on Error { message } ... on InvalidInputError { field } } }`, { input });
      expect(data.provisionInstance.__typename, JSON.stringify(input)).toBe(type);
      expect(data.provisionInstance.message.length).toBeGreaterThan(10);
      if (field) expect(data.provisionInstance.field).toBe(field);
      expect(JSON.stringify(data)).not.toContain("bad'quote-password");
    }
    expect(await countState()).toEqual(before);
  });

  it('reports the local Docker host as unavailable instead of failing obscurely', async () => {
    const data = await gql(`mutation { provisionInstance(input: { engine: "postgres", name: "No docker" }) { __typename ... on Error { message } } }`);
    expect(data.provisionInstance.__typename).toBe('UnavailableError');
    expect(data.provisionInstance.message).toMatch(/local Docker host is not available/);
  });

  it('answers NotFound for unknown ids everywhere', async () => {
    const id = '00000000-0000-0000-0000-000000000000';
    const data = await gql(`{
      instance(id: "${id}") { __typename ... on Error { message } }
      backup(id: "${id}") { __typename ... on Error { message } }
      databases(instanceId: "${id}") { __typename ... on Error { message } }
    }`);
    expect(data.instance.__typename).toBe('NotFoundError');
    expect(data.instance.message).toContain(id);
    expect(data.backup.__typename).toBe('NotFoundError');
    expect(data.databases.__typename).toBe('NotFoundError');
  });

  it('fails fast with NodeOffline for an instance whose node is not connected', async () => {
    const em = krint.services.deps.orm.em.fork();
    const node = em.create(Node, { name: 'edge-01', tokenHash: 'x' });
    const instance = em.create(Instance, {
      engine: 'postgres', version: '15', name: 'Remote', slug: 'remote', nodeId: node.id, containerId: 'c1', containerName: 'krint-remote', hostPort: 30050,
      defaultDatabase: 'app', rootUser: 'postgres', rootPasswordSealed: krint.services.deps.vault.seal('remote-password'), status: 'ready',
    });
    await em.flush();
    const started = Date.now();
    const data = await gql(`{
      tables(instanceId: "${instance.id}", database: "app") { __typename ... on NodeOfflineError { message nodeId nodeName } }
      instances { id state nodeConnected }
    }`);
    const mutation = await gql(`mutation { backupNow(instanceId: "${instance.id}") { __typename ... on Error { message } } }`);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(data.tables).toMatchObject({ __typename: 'NodeOfflineError', nodeId: node.id });
    expect(data.tables.message).toMatch(/is not connected/);
    expect(data.instances.find((i: { id: string }) => i.id === instance.id)).toMatchObject({ state: 'NODE_OFFLINE', nodeConnected: false });
    expect(mutation.backupNow.__typename).toBe('NodeOfflineError');
    const provision = await gql(`mutation { provisionInstance(input: { engine: "postgres", name: "On node", nodeId: "${node.id}" }) { __typename } }`);
    expect(provision.provisionInstance.__typename).toBe('NodeOfflineError');
  });

  it('validates schedules and query limits before touching anything', async () => {
    const instance = (await krint.services.instances.list())[0]!;
    const data = await gql(`mutation {
      cron: createBackupSchedule(input: { instanceId: "${instance.id}", cron: "every day" }) { __typename ... on InvalidInputError { field message } }
      keep: createBackupSchedule(input: { instanceId: "${instance.id}", cron: "0 3 * * *", retentionCount: 0 }) { __typename ... on InvalidInputError { field } }
      limit: runQuery(instanceId: "${instance.id}", database: "app", text: "select 1", rowLimit: 0) { __typename ... on InvalidInputError { field } }
      empty: runQuery(instanceId: "${instance.id}", database: "app", text: "  ") { __typename ... on InvalidInputError { field } }
      name: createUser(instanceId: "${instance.id}", name: "x y") { __typename ... on InvalidInputError { field } }
    }`);
    expect(data.cron).toMatchObject({ __typename: 'InvalidInputError', field: 'cron' });
    expect(data.keep).toMatchObject({ __typename: 'InvalidInputError', field: 'retentionCount' });
    expect(data.limit).toMatchObject({ __typename: 'InvalidInputError', field: 'rowLimit' });
    expect(data.empty).toMatchObject({ __typename: 'InvalidInputError', field: 'text' });
    expect(data.name).toMatchObject({ __typename: 'InvalidInputError', field: 'user' });
    expect((await gql('{ backupSchedules { id } }')).backupSchedules).toEqual([]);
  });

  it('records refused changes nowhere and failed changes with their outcome', async () => {
    const page = await gql<{ activity: { entries: { action: string; outcome: string }[] } }>('{ activity(first: 10) { entries { action outcome } nextCursor } }');
    expect(page.activity.entries.every((entry) => entry.outcome === 'SUCCEEDED' || entry.outcome === 'FAILED')).toBe(true);
  });

  it('refuses to start with a different vault key', async () => {
    const config = loadConfig({ env: { Krint__DataDir: dataDir, Vault__MasterKey: Vault.generateKey() }, cwd: dataDir });
    await expect(createKrint({ config, localExecutor: null, engines: await testEngineRegistry(), log: () => undefined })).rejects.toThrow(/does not match the key this database was created with/);
  });
});
