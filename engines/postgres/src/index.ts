import { postgresEngine } from './postgres-engine.js';

export { postgresEngine, POSTGRES_VERSIONS, POSTGRES_READINESS_CEILING_MS } from './postgres-engine.js';
export { PostgresSession, openPostgresSession, SYSTEM_DATABASES } from './postgres-session.js';
export { PostgresUserAdmin, ACCESS_PRIVILEGES, accessFromDatabasePrivileges } from './postgres-users.js';
export { postgresContainerSpec, dataPathFor, majorOf, POSTGRES_PORT } from './postgres-container.js';
export { postgresBackup, postgresDumpCommand, postgresRestoreCommand, checkPostgresDumpHeader, RESTORE_FILTER_AWK } from './postgres-backup.js';
export { postgresUpgradeFor } from './postgres-upgrade.js';
export { POSTGRES_PLUGINS } from './postgres-plugins.js';
export { postgresConnectionStrings, probePostgres, clientConfig, openClient, shellQuote, MAINTENANCE_DATABASE } from './postgres-connection.js';
export { quoteIdent, quoteLiteral, qualifiedName, POSTGRES_MAX_IDENTIFIER_BYTES } from './postgres-identifiers.js';
export { translateError, redact, SqlState } from './postgres-errors.js';
export { jsonSafeTypes, parserForType, isoTimestamp, BUILTIN_TYPE_NAMES } from './postgres-values.js';
export { runConsoleQuery, checkQueryInput } from './postgres-query.js';
export { scramSha256Secret } from './postgres-scram.js';

export default postgresEngine;
