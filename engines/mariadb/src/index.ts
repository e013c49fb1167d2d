import { mariadbEngine } from './mariadb-engine.js';

export { mariadbEngine, MARIADB_VERSIONS } from './mariadb-engine.js';
export { mariadbDialect, openMariadbSession, probeMariadb } from './mariadb-session.js';
export { mariadbContainerSpec, MARIADB_SERVER_OPTIONS } from './mariadb-container.js';
export { mariadbBackup, checkMariadbDumpHeader } from './mariadb-backup.js';
export { mariadbUpgrade } from './mariadb-upgrade.js';
export { MariadbUserAdmin } from './mariadb-users.js';
export { quoteIdentifier, qualifiedTable } from './mariadb-identifiers.js';

export default mariadbEngine;
