import { defineCapabilities, ENGINE_SDK_VERSION, Ready, type Engine, type EngineVersion } from '@krint/engine-sdk';
import { mysqlBackup } from './mysql-backup.js';
import { connectionStrings } from './mysql-connection.js';
import { mysqlContainerSpec } from './mysql-container.js';
import { mysqlFamilyCredentials } from './mysql-credentials.js';
import { mysqlDialect } from './mysql-dialect.js';
import { openMysqlSession, probeMysql } from './mysql-session.js';
import { mysqlUpgrade } from './mysql-upgrade.js';

/** Versions users can pick, newest first; the official `mysql` images. */
export const MYSQL_VERSIONS: readonly EngineVersion[] = [
  { version: '8.4', image: 'mysql:8.4', isDefault: true },
  { version: '8.0', image: 'mysql:8.0' },
];

/** Everything the MySQL family can do in Krint; MariaDB declares the same. */
export const MYSQL_FAMILY_CAPABILITIES = defineCapabilities({
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
});

/** A first start initialises the data directory before the server listens; allow for a slow disk. */
export const MYSQL_FAMILY_READINESS_CEILING_MS = 90_000;

/** The MySQL engine: official `mysql` images, driven through `mysql2`. */
export const mysqlEngine: Engine = {
  id: 'mysql',
  displayName: 'MySQL',
  description: 'The MySQL relational database (official mysql images).',
  sdkVersion: ENGINE_SDK_VERSION,
  versions: MYSQL_VERSIONS,
  hostPortRange: [13306, 13599],
  rootUser: 'root',
  defaultDatabase: 'app',
  capabilities: MYSQL_FAMILY_CAPABILITIES,
  terms: { database: 'database', table: 'table', row: 'row', queryLanguage: 'sql' },
  plugins: [],
  containerSpec: mysqlContainerSpec,
  readiness: Ready.forProbe((target) => probeMysql(target, mysqlDialect), { ceilingMs: MYSQL_FAMILY_READINESS_CEILING_MS }),
  connect: (target) => openMysqlSession(target, mysqlDialect),
  connectionStrings: (target) => connectionStrings(target, { uriScheme: 'mysql', cli: 'mysql', jdbc: 'mysql' }),
  backup: mysqlBackup,
  upgrade: mysqlUpgrade,
  credentials: mysqlFamilyCredentials,
};
