import { createAgent, type Agent } from '@krint/agent';
import { requireImage } from '@krint/engine-sdk/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerFor, startTestKrint, type TestKrint } from './testing.js';

/**
 * Injection through every name a person can type (database, user, table, display name), at the
 * GraphQL level against a real postgres:15 instance provisioned by the control plane. Each hostile
 * name is either refused with a typed error or used exactly as written (quoted); afterwards the
 * server itself, read with a separate connection, shows no side effect.
 */
const ready = await requireImage('postgres:15');

const HOSTILE_NAMES = [
  `x"; DROP TABLE canary; --`,
  `x'; DROP TABLE canary; --`,
  `canary" CASCADE; --`,
  `a/* comment */b`,
  `name -- trailing comment`,
  `semi;colon`,
  `$$; DROP TABLE canary; $$`,
  `back\\slash`,
  `ünïcødé-名前-🙂`,
  `zero\u200bwidth`,
  `nul\u0000byte`,
  `line\nbreak`,
  `   `,
  // Valid identifiers that only work when quoted: a reserved word and mixed case.
  `select`,
  `Mixed_Case`,
];

let agent: Agent;
let test: TestKrint;
let authorization: string;
let instanceId = '';
let direct: pg.Client | null = null;

type Data = Record<string, any>;

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<Data> {
  const response = await test.krint.yoga.fetch('http://krint.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: Data; errors?: { message: string }[] };
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data!;
}

/** The typename of a mutation result: the object on success, the typed error on refusal. */
async function attempt(query: string, variables: Record<string, unknown>): Promise<{ typename: string; message?: string }> {
  const data = await gql(query, variables);
  const value = Object.values(data)[0] as { __typename: string; message?: string };
  return { typename: value.__typename, ...(value.message ? { message: value.message } : {}) };
}

const REFUSALS = ['InvalidInputError', 'NotFoundError', 'ConflictError'];

async function snapshot(): Promise<{ databases: string[]; roles: string[]; canaryRows: number; tables: string[] }> {
  const databases = (await direct!.query<{ datname: string }>('select datname from pg_database order by datname')).rows.map((r) => r.datname);
  const roles = (await direct!.query<{ rolname: string }>("select rolname from pg_roles where rolname not like 'pg\\_%' order by rolname")).rows.map((r) => r.rolname);
  const canaryRows = Number((await direct!.query<{ n: string }>('select count(*) as n from canary')).rows[0]!.n);
  const tables = (await direct!.query<{ tablename: string }>("select tablename from pg_tables where schemaname = 'public' order by tablename")).rows.map((r) => r.tablename);
  return { databases, roles, canaryRows, tables };
}

describe.skipIf(!ready)('injection through typed names (postgres:15, GraphQL)', () => {
  beforeAll(async () => {
    agent = await createAgent();
    test = await startTestKrint({}, { localExecutor: agent.executor, krintYaml: 'krint:\n  port_ranges:\n    postgres: 39460-39479\n' });
    authorization = await bearerFor(test.krint, 'admin');
    const provisioned = await gql('mutation { provisionInstance(input: { engine: "postgres", version: "15", name: "authinj-pg" }) { __typename ... on Instance { id } ... on Error { message } } }');
    expect(provisioned.provisionInstance.__typename, JSON.stringify(provisioned)).toBe('Instance');
    instanceId = provisioned.provisionInstance.id;
    const deadline = Date.now() + 240_000;
    let status = '';
    while (Date.now() < deadline) {
      const data = await gql('query($id: ID!) { instance(id: $id) { ... on Instance { status statusDetail } } }', { id: instanceId });
      status = data.instance.status;
      if (status === 'READY' || status === 'FAILED') break;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    expect(status).toBe('READY');
    const connection = (await gql('query($id: ID!) { instance(id: $id) { ... on Instance { connection { host port user password database } } } }', { id: instanceId })).instance.connection;
    direct = new pg.Client({ host: '127.0.0.1', port: connection.port, user: connection.user, password: connection.password, database: connection.database });
    await direct.connect();
    await direct.query('create table canary (id int primary key, note text)');
    await direct.query("insert into canary values (1, 'still here')");
  }, 300_000);

  afterAll(async () => {
    await direct?.end().catch(() => undefined);
    if (instanceId) await gql('mutation($id: ID!) { deleteInstance(id: $id, deleteBackups: true) { __typename } }', { id: instanceId }).catch(() => undefined);
    await test?.krint.close();
    await agent?.close();
  }, 120_000);

  it('database names: refused or created exactly as typed, and dropped again', async () => {
    const before = await snapshot();
    const database = (await gql('query($id: ID!) { instance(id: $id) { ... on Instance { defaultDatabase } } }', { id: instanceId })).instance.defaultDatabase as string;
    const accepted: string[] = [];
    for (const name of HOSTILE_NAMES) {
      const created = await attempt('mutation($id: ID!, $name: String!) { createDatabase(instanceId: $id, name: $name) { __typename ... on Error { message } } }', { id: instanceId, name });
      if (process.env.KRINT_TRACE_INJECTION) process.stderr.write(`database ${JSON.stringify(name)} -> ${created.typename} ${created.message ?? ''}\n`);
      if (created.typename === 'NamedObject') {
        accepted.push(name);
        expect((await snapshot()).databases, JSON.stringify(name)).toContain(name);
        const dropped = await attempt('mutation($id: ID!, $name: String!) { dropDatabase(instanceId: $id, name: $name) { __typename ... on Error { message } } }', { id: instanceId, name });
        expect(dropped.typename, `${JSON.stringify(name)}: ${dropped.message}`).toBe('NamedObject');
      } else {
        expect(REFUSALS, `${JSON.stringify(name)}: ${created.message}`).toContain(created.typename);
      }
      expect((await snapshot()).canaryRows).toBe(1);
    }
    expect(await snapshot()).toEqual(before);
    expect(accepted, 'the quoted-only names are created exactly').toEqual(['select', 'Mixed_Case']);
    expect(database.length).toBeGreaterThan(0);
  }, 180_000);

  it('user names: refused or created exactly as typed, and dropped again; grants too', async () => {
    const before = await snapshot();
    const accepted: string[] = [];
    for (const name of HOSTILE_NAMES) {
      const created = await attempt('mutation($id: ID!, $name: String!) { createUser(instanceId: $id, name: $name) { __typename ... on Error { message } } }', { id: instanceId, name });
      const grant = await attempt('mutation($id: ID!, $user: String!, $db: String!) { grantAccess(instanceId: $id, user: $user, database: $db, access: READ) { __typename ... on Error { message } } }', { id: instanceId, user: name, db: before.databases.includes('postgres') ? 'postgres' : before.databases[0] });
      if (process.env.KRINT_TRACE_INJECTION) process.stderr.write(`user ${JSON.stringify(name)} -> ${created.typename} ${created.message ?? ''} / grant ${grant.typename}\n`);
      if (created.typename === 'UserCredentials') {
        accepted.push(name);
        expect(grant.typename, `${JSON.stringify(name)} grant: ${grant.message}`).not.toMatch(/Error$/);
        expect((await snapshot()).roles, JSON.stringify(name)).toContain(name);
        const dropped = await attempt('mutation($id: ID!, $name: String!) { dropUser(instanceId: $id, name: $name) { __typename ... on Error { message } } }', { id: instanceId, name });
        expect(REFUSALS, `${JSON.stringify(name)} drop: ${dropped.message}`).not.toContain(dropped.typename);
      } else {
        expect(REFUSALS, `${JSON.stringify(name)}: ${created.message}`).toContain(created.typename);
        expect(REFUSALS, `${JSON.stringify(name)} grant: ${grant.message}`).toContain(grant.typename);
      }
      expect((await snapshot()).canaryRows).toBe(1);
    }
    expect(await snapshot()).toEqual(before);
    expect(accepted, 'the quoted-only names are created exactly').toEqual(['select', 'Mixed_Case']);
  }, 180_000);

  it('table names: hostile names never reach another table; a hostile but real table is quoted', async () => {
    const connection = (await gql('query($id: ID!) { instance(id: $id) { ... on Instance { defaultDatabase } } }', { id: instanceId })).instance;
    const database = connection.defaultDatabase as string;
    const tricky = 'we"ird; table';
    await direct!.query(`create table "${tricky.replace(/"/g, '""')}" (id int primary key)`);
    await direct!.query(`insert into "${tricky.replace(/"/g, '""')}" values (7)`);
    const rows = await gql('query($id: ID!, $db: String!, $t: String!) { rows(instanceId: $id, database: $db, table: $t) { __typename ... on RowPage { rows } ... on Error { message } } }', { id: instanceId, db: database, t: tricky });
    expect(rows.rows.__typename, JSON.stringify(rows)).toBe('RowPage');
    expect(JSON.stringify(rows.rows.rows)).toContain('7');
    const before = await snapshot();
    for (const table of HOSTILE_NAMES) {
      for (const query of [
        'mutation($id: ID!, $db: String!, $t: String!) { dropTable(instanceId: $id, database: $db, table: $t) { __typename ... on Error { message } } }',
        'mutation($id: ID!, $db: String!, $t: String!) { insertRow(instanceId: $id, database: $db, table: $t, values: { id: 2 }) { __typename ... on Error { message } } }',
        'mutation($id: ID!, $db: String!, $t: String!) { deleteRow(instanceId: $id, database: $db, table: $t, key: { id: 1 }) { __typename ... on Error { message } } }',
        'query($id: ID!, $db: String!, $t: String!) { rows(instanceId: $id, database: $db, table: $t) { __typename ... on Error { message } } }',
      ]) {
        const result = await attempt(query, { id: instanceId, db: database, t: table });
        expect(REFUSALS, `${JSON.stringify(table)}: ${result.typename} ${result.message ?? ''}`).toContain(result.typename);
      }
    }
    expect(await snapshot()).toEqual(before);
    const dropped = await attempt('mutation($id: ID!, $db: String!, $t: String!) { dropTable(instanceId: $id, database: $db, table: $t) { __typename ... on Error { message } } }', { id: instanceId, db: database, t: tricky });
    expect(dropped.typename, dropped.message).toBe('TableRef');
    const after = await snapshot();
    expect(after.tables).toEqual(before.tables.filter((t) => t !== tricky));
    expect(after.canaryRows).toBe(1);
  }, 180_000);

  it('display names: refused or stored exactly, never touching the container', async () => {
    const before = await snapshot();
    for (const name of HOSTILE_NAMES) {
      const result = await attempt('mutation($id: ID!, $name: String!) { renameInstance(id: $id, name: $name) { __typename ... on Instance { name } ... on Error { message } } }', { id: instanceId, name });
      if (process.env.KRINT_TRACE_INJECTION) process.stderr.write(`display ${JSON.stringify(name)} -> ${result.typename} ${result.message ?? ''}\n`);
      if (result.typename === 'Instance') {
        const stored = (await gql('query($id: ID!) { instance(id: $id) { ... on Instance { name status } } }', { id: instanceId })).instance;
        expect(stored.name).toBe(name.trim());
        expect(stored.status).toBe('READY');
      } else {
        expect(REFUSALS, `${JSON.stringify(name)}: ${result.message}`).toContain(result.typename);
      }
    }
    expect(await snapshot()).toEqual(before);
    // Refused names never leave half-made state: the provision input is checked before anything starts.
    const count = async () => (await gql('{ instances { id } }')).instances.length as number;
    const instances = await count();
    for (const name of HOSTILE_NAMES.slice(0, 4)) {
      const provision = await attempt('mutation($input: ProvisionInput!) { provisionInstance(input: $input) { __typename ... on Error { message } } }', { input: { engine: 'postgres', version: '15', name: 'authinj-2', defaultDatabase: name } });
      expect(REFUSALS, `${JSON.stringify(name)}: ${provision.message}`).toContain(provision.typename);
    }
    expect(await count()).toBe(instances);
  }, 120_000);
});
