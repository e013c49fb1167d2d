import { defineCapabilities, ENGINE_SDK_VERSION, Ready, type Engine, type EngineVersion } from '@krint/engine-sdk';
import { postgresBackup } from './postgres-backup.js';
import { postgresConnectionStrings, probePostgres } from './postgres-connection.js';
import { postgresContainerSpec } from './postgres-container.js';
import { postgresCredentials } from './postgres-credentials.js';
import { POSTGRES_PLUGINS } from './postgres-plugins.js';
import { openPostgresSession } from './postgres-session.js';
import { postgresUpgradeFor } from './postgres-upgrade.js';

/** Versions users can pick, newest first; the official `postgres` images. */
export const POSTGRES_VERSIONS: readonly EngineVersion[] = [
  { version: '18', image: 'postgres:18' },
  { version: '17', image: 'postgres:17', isDefault: true },
  { version: '16', image: 'postgres:16' },
  { version: '15', image: 'postgres:15' },
];

/** A first start runs initdb before the server listens on TCP; a minute covers a slow disk. */
export const POSTGRES_READINESS_CEILING_MS = 60_000;

/** The PostgreSQL engine: the reference implementation of the Engine SDK. */
export const postgresEngine: Engine = {
  id: 'postgres',
  displayName: 'PostgreSQL',
  description: 'The PostgreSQL relational database (official postgres images).',
  sdkVersion: ENGINE_SDK_VERSION,
  versions: POSTGRES_VERSIONS,
  hostPortRange: [15432, 15999],
  rootUser: 'postgres',
  defaultDatabase: 'postgres',
  capabilities: defineCapabilities({
    createDatabase: true,
    browse: true,
    editRows: true,
    bulkUpdate: true,
    dropTable: true,
    query: true,
    users: true,
    backup: true,
    upgrade: true,
    keysetPaging: true,
  }),
  terms: { database: 'database', table: 'table', row: 'row', queryLanguage: 'sql' },
  plugins: POSTGRES_PLUGINS,
  containerSpec: postgresContainerSpec,
  readiness: Ready.forProbe(probePostgres, { ceilingMs: POSTGRES_READINESS_CEILING_MS }),
  connect: openPostgresSession,
  connectionStrings: postgresConnectionStrings,
  backup: postgresBackup,
  upgrade: postgresUpgradeFor(POSTGRES_VERSIONS.map((version) => version.version)),
  credentials: postgresCredentials,
};
