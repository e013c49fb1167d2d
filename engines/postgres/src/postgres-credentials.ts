import { SQL_QUOTED_SECRET, URL_PASSWORD_PATTERN, type CredentialExposure } from '@krint/engine-sdk';

/**
 * Views of statement text that extensions put into user schemas. The catalogs with password
 * hashes and other sessions' statements (`pg_authid`, `pg_shadow`, `pg_user_mapping(s)`,
 * `pg_subscription`, `pg_stat_activity`…) live in `pg_catalog`, which the session never browses;
 * `pg_stat_statements` is created in whatever schema its extension is installed in, and keeps
 * statements such as `ALTER ROLE … PASSWORD '…'` as they were sent.
 */
const STATEMENT_TEXT_RELATIONS: ReadonlySet<string> = new Set(['pg_stat_statements']);

/** What PostgreSQL exposes and where (see `CredentialExposure`). */
export const postgresCredentials: CredentialExposure = {
  holdsCredentials(_database, table) {
    // `table` or `schema.table`; the relation name is the part after the first dot, as the session resolves it.
    const dot = table.indexOf('.');
    const relation = (dot > 0 ? table.slice(dot + 1) : table).toLowerCase();
    const schema = dot > 0 ? table.slice(0, dot).toLowerCase() : 'public';
    return STATEMENT_TEXT_RELATIONS.has(relation) || schema === 'pg_catalog' || schema === 'information_schema';
  },
  passwordPatterns: [
    // CREATE/ALTER ROLE … [ENCRYPTED] PASSWORD '…', and user mapping OPTIONS (password '…').
    new RegExp(String.raw`(\bPASSWORD\s+)${SQL_QUOTED_SECRET}`, 'gi'),
    // Connection strings in CREATE SUBSCRIPTION, dblink and the like: password=…
    /(\bpassword\s*=\s*)(?:'(?:[^'\\]|\\.)*'?|[^\s']+)/gi,
    URL_PASSWORD_PATTERN,
  ],
};
