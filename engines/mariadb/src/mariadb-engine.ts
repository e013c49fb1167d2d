import { ENGINE_SDK_VERSION, Ready, type Engine, type EngineVersion } from '@krint/engine-sdk';
import { connectionStrings, MYSQL_FAMILY_CAPABILITIES, MYSQL_FAMILY_READINESS_CEILING_MS, mysqlFamilyCredentials } from '@krint/engine-mysql';
import { mariadbBackup } from './mariadb-backup.js';
import { mariadbContainerSpec } from './mariadb-container.js';
import { openMariadbSession, probeMariadb } from './mariadb-session.js';
import { mariadbUpgrade } from './mariadb-upgrade.js';

/** Versions users can pick, newest first; 10.11 is the default. */
export const MARIADB_VERSIONS: readonly EngineVersion[] = [
  { version: '11.4', image: 'mariadb:11.4' },
  { version: '10.11', image: 'mariadb:10.11', isDefault: true },
];

/** The MariaDB engine: official `mariadb` images, driven through the MySQL engine's code. */
export const mariadbEngine: Engine = {
  id: 'mariadb',
  displayName: 'MariaDB',
  description: 'The MariaDB relational database (official mariadb images).',
  sdkVersion: ENGINE_SDK_VERSION,
  versions: MARIADB_VERSIONS,
  hostPortRange: [13600, 13899],
  rootUser: 'root',
  defaultDatabase: 'app',
  capabilities: MYSQL_FAMILY_CAPABILITIES,
  terms: { database: 'database', table: 'table', row: 'row', queryLanguage: 'sql' },
  plugins: [],
  containerSpec: mariadbContainerSpec,
  readiness: Ready.forProbe(probeMariadb, { ceilingMs: MYSQL_FAMILY_READINESS_CEILING_MS }),
  connect: openMariadbSession,
  connectionStrings: (target) => connectionStrings(target, { uriScheme: 'mariadb', cli: 'mariadb', jdbc: 'mariadb' }),
  backup: mariadbBackup,
  upgrade: mariadbUpgrade,
  credentials: mysqlFamilyCredentials,
};
