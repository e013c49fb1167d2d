import { createAgent, type Agent } from '@krint/agent';
import { requireImage } from '@krint/engine-sdk/testing';
import { GraphQLNonNull, GraphQLObjectType, getNamedType, isLeafType, isObjectType, isInterfaceType, isUnionType, type GraphQLNamedType } from 'graphql/index.js';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIELD_SCOPES, SECRET_TYPE_SCOPES } from './auth/graphql-policy.js';
import { bearerFor, startTestKrint, type TestKrint } from './auth/testing.js';
import { schema } from './graphql/schema.js';

/**
 * The viewer secret walk: every engine that runs here is provisioned with known passwords (root, a
 * managed user, and one an admin types into a failing console statement); then a viewer reads
 * everything a viewer can read (every Query field of the schema it is allowed, every database,
 * table and row of every instance including the system schemas, the activity log, the container
 * logs and the progress streams, and every error it is given) and none of it may contain one of
 * those passwords or a hash of one.
 */
const ENGINES = [
  { engine: 'postgres', version: '15', image: 'postgres:15', ports: '39600-39609' },
  { engine: 'mariadb', version: '10.11', image: 'mariadb:10.11', ports: '39610-39619' },
  { engine: 'redis', version: '7', image: 'redis:7', ports: '39620-39629' },
] as const;
type EngineId = (typeof ENGINES)[number]['engine'];

const available = (await Promise.all(ENGINES.map((e) => requireImage(e.image)))).every(Boolean);

/** Failing console statements that carry a password (`%s`), as an admin might mistype them. */
const FAILING_STATEMENTS: Record<EngineId, { database: string; text: string }[]> = {
  postgres: [
    { database: 'postgres', text: "ALTER USER walker WITH PASSWORD '%s' NOT_AN_OPTION" },
    { database: 'postgres', text: "ALTER USER no_such_role PASSWORD '%s'" },
  ],
  mariadb: [
    { database: 'app', text: "ALTER USERX walker IDENTIFIED BY '%s'" },
    { database: 'app', text: "SELECT 1 FROM no_such_table WHERE x = '%s'" },
  ],
  redis: [
    { database: '0', text: 'CONFIG SET requirepass %s' },
    { database: '0', text: 'HSET %s' },
  ],
};

/** Relations that hold credentials, asked for by name (some are not listed by `tables`). */
const NAMED_CREDENTIAL_RELATIONS: Record<EngineId, { database: string; table: string }[]> = {
  postgres: ['pg_authid', 'pg_catalog.pg_authid', 'pg_catalog.pg_shadow', 'pg_catalog.pg_user_mapping', 'pg_catalog.pg_user_mappings', 'pg_catalog.pg_stat_activity', 'pg_stat_statements', 'information_schema.user_mapping_options'].map((table) => ({ database: 'postgres', table })),
  mariadb: [
    { database: 'mysql', table: 'global_priv' },
    { database: 'mysql', table: 'user' },
    { database: 'MYSQL', table: 'GLOBAL_PRIV' },
    { database: 'information_schema', table: 'PROCESSLIST' },
    { database: 'performance_schema', table: 'events_statements_history' },
  ],
  redis: [],
};

let agent: Agent;
let test: TestKrint;
let base: string;
let admin: string;
let viewer: string;
const instances = new Map<EngineId, string>();
/** Every secret the viewer must never see, with where it came from (for the failure message). */
const secrets = new Map<string, string>();

async function post(authorization: string, query: string, variables: Record<string, unknown> = {}): Promise<{ data?: Record<string, any>; errors?: { message: string; extensions?: { code?: string } }[] }> {
  const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: Record<string, any>; errors?: { message: string }[] };
}

async function asAdmin(query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const body = await post(admin, query, variables);
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join('; '));
  for (const [field, value] of Object.entries(body.data ?? {})) {
    if (value && typeof value === 'object' && String(value.__typename).endsWith('Error')) throw new Error(`${field}: ${value.message}`);
  }
  return body.data!;
}

/** Reads a subscription over SSE until `enough` says so or `ms` pass; returns the raw event text. */
async function readSse(authorization: string, query: string, variables: Record<string, unknown>, enough: (text: string) => boolean, ms: number): Promise<string> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), ms);
  let text = '';
  try {
    const response = await fetch(`${base}/graphql`, { method: 'POST', signal: abort.signal, headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization }, body: JSON.stringify({ query, variables }) });
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      if (enough(text)) break;
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return text;
}

/** A selection of every field of `type` a viewer may read (no arguments needed), a few levels deep. */
function selectionOf(type: GraphQLNamedType, depth = 0): string {
  if (isLeafType(type)) return '';
  if (isUnionType(type)) return `{ __typename ${type.getTypes().map((member) => `... on ${member.name} ${selectionOf(member, depth + 1)}`).join(' ')} }`;
  if (!(isObjectType(type) || isInterfaceType(type)) || depth > 4) return '{ __typename }';
  const fields = Object.values(type.getFields()).filter((field) => {
    if (field.args.some((arg) => arg.type instanceof GraphQLNonNull && arg.defaultValue === undefined)) return false;
    if (FIELD_SCOPES[`${type.name}.${field.name}`] === 'admin') return false;
    return SECRET_TYPE_SCOPES[getNamedType(field.type).name] !== 'admin';
  });
  // Aliased per type: union members may have same-named fields of different types (`engine`).
  return `{ __typename ${fields.map((field) => `${type.name}_${field.name}: ${field.name} ${selectionOf(getNamedType(field.type), depth + 1)}`).join(' ')} }`;
}

function selectionFor(fieldName: string): string {
  return selectionOf(getNamedType((schema.getQueryType() as GraphQLObjectType).getFields()[fieldName]!.type));
}

describe.skipIf(!available)('viewer secret walk (postgres:15, mariadb:10.11, redis:7)', () => {
  beforeAll(async () => {
    agent = await createAgent();
    const yaml = `krint:\n  port_ranges:\n${ENGINES.map((e) => `    ${e.engine}: ${e.ports}\n`).join('')}`;
    test = await startTestKrint({}, { localExecutor: agent.executor, krintYaml: yaml });
    base = `http://127.0.0.1:${await test.krint.listen(0)}`;
    admin = await bearerFor(test.krint, 'admin');
    viewer = await bearerFor(test.krint, 'viewer');

    await Promise.all(
      ENGINES.map(async ({ engine, version }) => {
        const root = `Walk-root-${engine}-${Math.random().toString(36).slice(2, 10)}`;
        const managed = `Walk-user-${engine}-${Math.random().toString(36).slice(2, 10)}`;
        const typed = `Walk-typed-${engine}-${Math.random().toString(36).slice(2, 10)}`;
        secrets.set(root, `${engine} root password`).set(managed, `${engine} managed user's password`).set(typed, `${engine} password typed into the console`);
        const created = await asAdmin(`mutation($input: ProvisionInput!) { provisionInstance(input: $input) { __typename ... on Instance { id } ... on Error { message } } }`, {
          input: { engine, version, name: `walk-${engine}`, password: root },
        });
        const id = created.provisionInstance.id as string;
        instances.set(engine, id);
        for await (const event of test.krint.services.deps.operations.followKind(id, 'provision')) {
          if (event.done && event.error) throw new Error(`${engine}: ${event.error}`);
        }
        await asAdmin(`mutation($id: ID!, $password: String!) { createUser(instanceId: $id, name: "walker", password: $password) { __typename ... on Error { message } } }`, { id, password: managed });
        for (const statement of FAILING_STATEMENTS[engine]) {
          const failed = await post(admin, `mutation($id: ID!, $db: String!, $text: String!) { runQuery(instanceId: $id, database: $db, text: $text) { __typename ... on Error { message } } }`, { id, db: statement.database, text: statement.text.replace('%s', typed) });
          expect(failed.data?.runQuery?.__typename ?? failed.errors, `${engine}: ${statement.text}`).toMatch(/Error$/);
          // Even the admin's own error does not repeat the password (the agent redacts every error).
          expect(JSON.stringify(failed), `${engine}: ${statement.text}`).not.toContain(typed);
        }
      }),
    );

    // The hashes the engines keep of those passwords, read as the admin.
    for (const secret of [...secrets.keys()]) secrets.set(createHash('sha256').update(secret).digest('hex'), `SHA-256 (Redis ACL) of a password`);
    const pg = await asAdmin(`mutation($id: ID!) { runQuery(instanceId: $id, database: "postgres", text: "SELECT rolpassword FROM pg_authid WHERE rolpassword IS NOT NULL") { __typename ... on QueryResult { rows } ... on Error { message } } }`, { id: instances.get('postgres') });
    for (const { rolpassword } of pg.runQuery.rows as { rolpassword: string }[]) {
      // SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>: the whole and each part.
      secrets.set(rolpassword, 'PostgreSQL SCRAM secret');
      for (const part of rolpassword.split(/[$:]/).filter((p) => p.length >= 16)) secrets.set(part, 'part of a PostgreSQL SCRAM secret');
    }
    const maria = await asAdmin(`mutation($id: ID!) { runQuery(instanceId: $id, database: "mysql", text: "SELECT authentication_string AS hash FROM mysql.user WHERE authentication_string <> ''") { __typename ... on QueryResult { rows } ... on Error { message } } }`, { id: instances.get('mariadb') });
    for (const { hash } of maria.runQuery.rows as { hash: string }[]) secrets.set(hash.replace(/^\*/, ''), 'MariaDB password hash');
    expect(pg.runQuery.rows.length).toBeGreaterThanOrEqual(2);
    expect(maria.runQuery.rows.length).toBeGreaterThanOrEqual(2);
  }, 300_000);

  afterAll(async () => {
    for (const id of instances.values()) await test.krint.services.instances.delete(id, true, 'test').catch(() => undefined);
    await test?.krint.close();
    await agent?.close();
  }, 120_000);

  it('finds no password and no password hash in anything a viewer can read', async () => {
    /** Everything the viewer was given, labelled, so a leak names the response it was found in. */
    const seen: { where: string; text: string }[] = [];
    const walked = new Set<string>();
    const read = async (field: string, query: string, variables: Record<string, unknown> = {}) => {
      walked.add(field);
      const body = await post(viewer, query, variables);
      seen.push({ where: `${field} ${JSON.stringify(variables)}`, text: JSON.stringify(body) });
      return body;
    };

    // Every root field without instance arguments.
    for (const field of ['activity', 'backupSchedules', 'backups', 'dashboard', 'engines', 'instances', 'me', 'nodes', 'operations', 'orphans']) {
      const args = field === 'activity' ? '(first: 500)' : field === 'operations' ? '(limit: 500)' : '';
      await read(field, `{ ${field}${args} ${selectionFor(field)} }`);
    }
    const lists = await read('engines', `{ engines { id } nodes { id } backups { id } }`);
    for (const { id } of lists.data!.engines) await read('engine', `query($id: String!) { engine(id: $id) ${selectionFor('engine')} }`, { id });
    for (const { id } of lists.data!.nodes) {
      await read('node', `query($id: ID!) { node(id: $id) ${selectionFor('node')} }`, { id });
      await read('pingNode', `query($id: ID!) { pingNode(id: $id) ${selectionFor('pingNode')} }`, { id });
    }
    for (const { id } of lists.data!.backups) await read('backup', `query($id: ID!) { backup(id: $id) ${selectionFor('backup')} }`, { id });
    const operations = await read('operations', `{ operations(limit: 500) { id } }`);
    expect(operations.data!.operations.length).toBeGreaterThan(0);
    for (const { id } of operations.data!.operations) await read('operation', `query($id: ID!) { operation(id: $id) ${selectionFor('operation')} }`, { id });
    walked.add('node').add('pingNode').add('backup').add('operation');

    let rowPages = 0;
    let refused = 0;
    for (const [engine, id] of instances) {
      await read('instance', `query($id: ID!) { instance(id: $id) ${selectionFor('instance')} }`, { id });
      await read('users', `query($id: ID!) { users(instanceId: $id) ${selectionFor('users')} }`, { id });
      await read('grants', `query($id: ID!) { grants(instanceId: $id) ${selectionFor('grants')} }`, { id });
      const databases = await read('databases', `query($id: ID!) { databases(instanceId: $id) ${selectionFor('databases')} }`, { id });
      const relations = [...NAMED_CREDENTIAL_RELATIONS[engine]];
      for (const { DatabaseInfo_name: database } of (databases.data?.databases?.QueryDatabasesSuccess_data ?? []) as { DatabaseInfo_name: string }[]) {
        const tables = await read('tables', `query($id: ID!, $db: String!) { tables(instanceId: $id, database: $db) ${selectionFor('tables')} }`, { id, db: database });
        for (const { TableInfo_name: table } of (tables.data?.tables?.QueryTablesSuccess_data ?? []) as { TableInfo_name: string }[]) relations.push({ database, table });
      }
      for (const { database, table } of relations) {
        await read('columns', `query($id: ID!, $db: String!, $t: String!) { columns(instanceId: $id, database: $db, table: $t) ${selectionFor('columns')} }`, { id, db: database, t: table });
        let cursor: string | null = null;
        for (let page = 0; page < 3; page++) {
          const rows: Awaited<ReturnType<typeof post>> = await read('rows', `query($id: ID!, $db: String!, $t: String!, $cursor: String) { rows(instanceId: $id, database: $db, table: $t, cursor: $cursor, limit: 1000) ${selectionFor('rows')} }`, { id, db: database, t: table, cursor });
          if (rows.errors?.some((error) => error.extensions?.code === 'FORBIDDEN')) refused += 1;
          if (rows.data?.rows?.__typename === 'RowPage') rowPages += 1;
          cursor = rows.data?.rows?.RowPage_nextCursor ?? null;
          if (!cursor) break;
        }
      }
      // The container log (its whole tail) and the provisioning progress, as streams.
      const logs = await readSse(viewer, `subscription($id: ID!) { logs(instanceId: $id, tail: 10000) { stream text time } }`, { id }, () => false, 4_000);
      expect(logs, `${engine} log`).toMatch(/event: next/);
      seen.push({ where: `logs of ${engine}`, text: logs });
      seen.push({ where: `provisionProgress of ${engine}`, text: await readSse(viewer, `subscription($id: ID!) { provisionProgress(instanceId: $id) { phase message error done } }`, { id }, (text) => /"done":true/.test(text), 5_000) });
    }

    // Every Query field a viewer may call was walked: a new one makes this test extend its walk.
    const viewerFields = Object.keys((schema.getQueryType() as GraphQLObjectType).getFields()).filter((name) => FIELD_SCOPES[`Query.${name}`] !== 'admin');
    expect(viewerFields.filter((name) => !walked.has(name))).toEqual([]);
    const leaks: string[] = [];
    for (const { where, text } of seen) {
      const haystack = text.toLowerCase();
      for (const [secret, what] of secrets) if (haystack.includes(secret.toLowerCase())) leaks.push(`${what} in ${where}`);
    }
    expect(leaks).toEqual([]);
    // The walk read real data and was refused the credential stores (so it is not vacuous).
    expect(rowPages).toBeGreaterThan(50);
    expect(refused).toBeGreaterThanOrEqual(NAMED_CREDENTIAL_RELATIONS.mariadb.length);
    const activity = seen.find((entry) => entry.where.startsWith('activity'))!.text;
    expect(activity).toContain('query.run');
    expect(activity).toContain('walker');
  }, 600_000);
});
