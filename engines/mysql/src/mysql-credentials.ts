import { SQL_QUOTED_SECRET, URL_PASSWORD_PATTERN, type CredentialExposure } from '@krint/engine-sdk';

/**
 * Whole system databases whose rows hold credentials or other sessions' statements:
 * - `mysql`: the accounts and their password hashes (`user`; MariaDB's `global_priv`; MySQL's
 *   `password_history`), FEDERATED server passwords (`servers`), replication passwords
 *   (`slave_master_info`), and the general and slow query logs when they are written to tables;
 * - `performance_schema`: statement text of every session (`events_statements_*`, `threads`,
 *   `processlist`, `prepared_statements_instances`) and digests with sample statements;
 * - `sys`: views over `performance_schema` (`processlist`, `session`, `statement_analysis`…).
 * Whole databases rather than a list of their tables, because new server versions add tables.
 */
const CREDENTIAL_DATABASES: ReadonlySet<string> = new Set(['mysql', 'performance_schema', 'sys']);

/** Single relations elsewhere: `information_schema.PROCESSLIST` shows every session's current statement. */
const CREDENTIAL_RELATIONS: ReadonlySet<string> = new Set(['information_schema.processlist']);

/** What MySQL and MariaDB expose and where (see `CredentialExposure`). */
export const mysqlFamilyCredentials: CredentialExposure = {
  holdsCredentials(database, table) {
    // Compared without case: information_schema matches names case-insensitively, and a server
    // with lower_case_table_names set resolves `MYSQL.USER` to `mysql.user`.
    const schema = database.toLowerCase();
    return CREDENTIAL_DATABASES.has(schema) || CREDENTIAL_RELATIONS.has(`${schema}.${table.toLowerCase()}`);
  },
  passwordPatterns: [
    // CREATE/ALTER USER … IDENTIFIED [WITH plugin] BY|AS '…'
    new RegExp(String.raw`(\bIDENTIFIED\s+(?:WITH\s+\S+\s+)?(?:BY|AS)\s+(?:PASSWORD\s+)?)${SQL_QUOTED_SECRET}`, 'gi'),
    // PASSWORD('…'), MariaDB's IDENTIFIED VIA … USING PASSWORD('…'), SET PASSWORD … = '…'
    new RegExp(String.raw`(\bPASSWORD\s*\(\s*)${SQL_QUOTED_SECRET}`, 'gi'),
    new RegExp(String.raw`(\bSET\s+PASSWORD\b[^=\n]*=\s*)${SQL_QUOTED_SECRET}`, 'gi'),
    // Replication and FEDERATED server passwords: MASTER_PASSWORD = '…', OPTIONS (PASSWORD '…')
    new RegExp(String.raw`(\b(?:MASTER_|SOURCE_)?PASSWORD\s*=?\s*)${SQL_QUOTED_SECRET}`, 'gi'),
    URL_PASSWORD_PATTERN,
  ],
};
