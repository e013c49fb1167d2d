import { REDACTED, redactPasswords } from '@krint/engine-sdk';
import { describe, expect, it } from 'vitest';
import { postgresEngine } from './postgres-engine.js';

describe('PostgreSQL credentials declaration', () => {
  const credentials = postgresEngine.credentials!;

  it('marks pg_stat_statements in any schema and the catalogs, and no user table', () => {
    for (const table of ['pg_stat_statements', 'public.pg_stat_statements', 'ext.PG_STAT_STATEMENTS', 'pg_catalog.pg_authid', 'information_schema.user_mapping_options']) {
      expect(credentials.holdsCredentials('app', table), table).toBe(true);
    }
    for (const table of ['users', 'public.accounts', 'pg_stat_statements_archive']) expect(credentials.holdsCredentials('app', table), table).toBe(false);
  });

  it('recognises passwords in role, user mapping and connection-string statements, as the log quotes them', () => {
    const redact = (text: string) => redactPasswords(text, credentials.passwordPatterns);
    expect(redact(`2026-01-01 00:00:00.000 UTC [42] STATEMENT:  ALTER USER app WITH PASSWORD 'S3cret-pass' BOGUS`)).toBe(`2026-01-01 00:00:00.000 UTC [42] STATEMENT:  ALTER USER app WITH PASSWORD ${REDACTED} BOGUS`);
    expect(redact(`CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'remote', password 'S3cret')`)).toBe(`CREATE USER MAPPING FOR app SERVER s OPTIONS (user 'remote', password ${REDACTED})`);
    expect(redact(`CREATE SUBSCRIPTION s CONNECTION 'host=h user=u password=S3cret dbname=d' PUBLICATION p`)).toBe(`CREATE SUBSCRIPTION s CONNECTION 'host=h user=u password=${REDACTED} dbname=d' PUBLICATION p`);
    expect(redact('FATAL:  password authentication failed for user "app"')).toBe('FATAL:  password authentication failed for user "app"');
  });
});
