import { mysqlEngine } from './mysql-engine.js';

export { mysqlEngine, MYSQL_VERSIONS, MYSQL_FAMILY_CAPABILITIES, MYSQL_FAMILY_READINESS_CEILING_MS } from './mysql-engine.js';
// Building blocks the MariaDB engine imports; they take a dialect instead of being subclassed.
export { mysqlDialect, SYSTEM_DATABASES, MysqlErrorNumber } from './mysql-dialect.js';
export type { MysqlDialect } from './mysql-dialect.js';
export { MysqlSession, openMysqlSession, probeMysql, chooseRowKey } from './mysql-session.js';
export { MysqlUserAdmin, ACCESS_PRIVILEGES, grantFromDbRow } from './mysql-users.js';
export { imageContainerSpec, mysqlContainerSpec, MYSQL_PORT, MYSQL_DATA_PATH } from './mysql-container.js';
export type { ImageEnvNames } from './mysql-container.js';
export { familyBackup, mysqlBackup, checkMysqlDumpHeader, firstLine } from './mysql-backup.js';
export { sameOrNewerUpgrade, mysqlUpgrade, parseVersion, compareVersions } from './mysql-upgrade.js';
export { connectionStrings, shellQuote } from './mysql-connection.js';
export { mysqlFamilyCredentials } from './mysql-credentials.js';
export type { ClientNames } from './mysql-connection.js';
export {
  quoteIdentifier,
  qualifiedTable,
  quoteStringLiteral,
  accountName,
  grantDatabase,
  unescapeGrantDatabase,
  MYSQL_MAX_IDENTIFIER_LENGTH,
} from './mysql-identifiers.js';

export default mysqlEngine;
