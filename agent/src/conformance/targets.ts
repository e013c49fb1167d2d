import type { Engine, JsonValue, Row, RowKey } from '@krint/engine-sdk';
import type { CommandExecutor, InstanceAddress } from '../protocol/commands.js';

/**
 * The engines the conformance suite runs, each against a server that exists on this machine.
 * Some engines are exercised on a compatible image (MySQL on MariaDB, Valkey on Redis) because
 * only those images can be built here; the engine code under test is the real one.
 */
export interface ConformanceTarget {
  /** Name used in test titles and in `ENGINES=...`. */
  readonly name: string;
  /** The local image the instance runs. */
  readonly image: string;
  /** The engine version to provision. */
  readonly version: string;
  /** Loads the engine (pointed at {@link image}). */
  load(): Promise<Engine>;
  readonly data: DataFixture;
  /** Whether a user granted one database is refused on another (Redis ACLs are not per DB). */
  readonly isolatesDatabases: boolean;
}

/** How the shared story's data looks in one engine's model. */
export interface DataFixture {
  /** The database that holds the data; created first when the engine can create databases. */
  readonly database: string;
  /** A second database, for isolation checks; `null` when the engine cannot create one. */
  readonly otherDatabase: string | null;
  readonly table: string;
  /** The database named in a grant for {@link database} (Redis grants cover every DB: `*`). */
  readonly grantDatabase: string;
  /** Creates the (empty) table, when the engine has tables to create. */
  createTable(executor: CommandExecutor, instance: InstanceAddress, database: string, table: string): Promise<void>;
  row(index: number): Row;
  key(index: number): RowKey;
  /** The user-visible value of a row as read back, for checking edits. */
  valueOf(row: Row): JsonValue | undefined;
  /** Changes that rename a row, and what the row had before (optimistic check). */
  rename(index: number, to: string): { changes: Row; expected: Row };
  /** A query returning rows 1..n of the table, in order. */
  readonly selectAll: string;
}

const sqlFixture = (quote: (name: string) => string): DataFixture => ({
  database: 'shop',
  otherDatabase: 'vault',
  table: 'items',
  grantDatabase: 'shop',
  async createTable(executor, instance, database, table) {
    await executor.run('db.query', {
      instance,
      database,
      text: `CREATE TABLE ${quote(table)} (id integer PRIMARY KEY, name varchar(100) NOT NULL)`,
      rowLimit: 10,
      timeoutMs: 30_000,
    });
  },
  row: (index) => ({ id: index, name: `item ${index}` }),
  key: (index) => ({ id: index }),
  valueOf: (row) => row.name,
  rename: (index, to) => ({ changes: { name: to }, expected: { name: `item ${index}` } }),
  selectAll: 'SELECT id, name FROM items ORDER BY id',
});

const redisFixture: DataFixture = {
  database: '1',
  otherDatabase: null,
  table: 'item:*',
  grantDatabase: '*',
  async createTable() {
    // Key patterns exist as soon as a key matches them.
  },
  row: (index) => ({ key: `item:${index}`, type: 'string', value: `item ${index}` }),
  key: (index) => ({ key: `item:${index}` }),
  valueOf: (row) => row.value,
  rename: (index, to) => ({ changes: { value: to }, expected: { value: `item ${index}` } }),
  selectAll: 'MGET item:1 item:2 item:3 item:4 item:5',
};

/** Points an engine's versions at a local image that serves the same protocol. */
function onImage(engine: Engine, version: string, image: string): Engine {
  return { ...engine, versions: [{ version, image, isDefault: true }] };
}

/**
 * Loads an engine package by name at run time, so a target whose package is not there yet is
 * skipped (outside CI) instead of breaking the whole suite.
 */
async function importEngine(packageName: string): Promise<Engine> {
  const loaded = (await import(/* @vite-ignore */ packageName)) as { default?: Engine };
  if (!loaded.default) throw new Error(`${packageName} has no default export`);
  return loaded.default;
}

/**
 * The MySQL engine refuses dumps written by MariaDB's tools on purpose (MySQL cannot read them
 * reliably). On the MariaDB image its dump command runs MariaDB's `mysqldump`, so here the header
 * check also accepts MariaDB's header; the dump and restore commands are the engine's own.
 */
function acceptMariadbDumps(engine: Engine): Engine {
  if (!engine.backup) return engine;
  return {
    ...engine,
    backup: {
      ...engine.backup,
      checkDumpHeader: (firstBytes) =>
        /^(-- (MySQL|MariaDB) dump|\/\*M!999999\\- enable the sandbox mode)/.test(Buffer.from(firstBytes).toString('utf8')) ? null : 'not a mysqldump file',
    },
  };
}

/**
 * The Valkey engine starts `valkey-server`, which the Redis image lacks; its start script is the
 * Redis family's, so only the binary name is swapped. Sessions, users and the backup scripts (which
 * fall back to the `redis-*` tools) are the Valkey engine's own.
 */
function startsRedisServer(engine: Engine): Engine {
  return {
    ...engine,
    containerSpec(input) {
      const spec = engine.containerSpec(input);
      return spec.cmd ? { ...spec, cmd: spec.cmd.map((part) => part.replaceAll('valkey-server', 'redis-server')) } : spec;
    },
  };
}

const backtick = (name: string) => `\`${name.replace(/`/g, '``')}\``;
const doubleQuote = (name: string) => `"${name.replace(/"/g, '""')}"`;

export const ALL_TARGETS: readonly ConformanceTarget[] = [
  {
    name: 'postgres',
    image: 'postgres:15',
    version: '15',
    load: () => importEngine('@krint/engine-postgres'),
    data: sqlFixture(doubleQuote),
    isolatesDatabases: true,
  },
  {
    name: 'mariadb',
    image: 'mariadb:10.11',
    version: '10.11',
    load: () => importEngine('@krint/engine-mariadb'),
    data: sqlFixture(backtick),
    isolatesDatabases: true,
  },
  {
    name: 'mysql-on-mariadb',
    image: 'mariadb:10.11',
    version: '8.4',
    load: async () => acceptMariadbDumps(onImage(await importEngine('@krint/engine-mysql'), '8.4', 'mariadb:10.11')),
    data: sqlFixture(backtick),
    isolatesDatabases: true,
  },
  {
    name: 'redis',
    image: 'redis:7',
    version: '7',
    load: () => importEngine('@krint/engine-redis'),
    data: redisFixture,
    isolatesDatabases: false,
  },
  {
    name: 'valkey-on-redis',
    image: 'redis:7',
    version: '8',
    load: async () => startsRedisServer(onImage(await importEngine('@krint/engine-valkey'), '8', 'redis:7')),
    data: redisFixture,
    isolatesDatabases: false,
  },
];

/** The targets to run: all, or those named in `ENGINES=postgres,redis`. */
export function selectedTargets(env: NodeJS.ProcessEnv = process.env): ConformanceTarget[] {
  const wanted = (env.ENGINES ?? '').split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = wanted.filter((name) => !ALL_TARGETS.some((target) => target.name === name));
  if (unknown.length > 0) throw new Error(`ENGINES names unknown targets: ${unknown.join(', ')}. Known: ${ALL_TARGETS.map((t) => t.name).join(', ')}.`);
  return wanted.length === 0 ? [...ALL_TARGETS] : ALL_TARGETS.filter((target) => wanted.includes(target.name));
}
