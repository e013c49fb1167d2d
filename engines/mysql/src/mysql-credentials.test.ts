import { REDACTED, redactPasswords } from '@krint/engine-sdk';
import { describe, expect, it } from 'vitest';
import { mysqlFamilyCredentials } from './mysql-credentials.js';

describe('MySQL family credentials declaration', () => {
  it('marks the system databases with accounts or statements, and the process list, in any case', () => {
    for (const [database, table] of [['mysql', 'user'], ['mysql', 'global_priv'], ['MYSQL', 'USER'], ['performance_schema', 'events_statements_history'], ['sys', 'processlist'], ['information_schema', 'PROCESSLIST'], ['INFORMATION_SCHEMA', 'processlist']]) {
      expect(mysqlFamilyCredentials.holdsCredentials(database!, table!), `${database}.${table}`).toBe(true);
    }
    for (const [database, table] of [['app', 'user'], ['information_schema', 'TABLES'], ['mysql_app', 'user']]) {
      expect(mysqlFamilyCredentials.holdsCredentials(database!, table!), `${database}.${table}`).toBe(false);
    }
  });

  it('recognises passwords in account and replication statements', () => {
    const redact = (text: string) => redactPasswords(text, mysqlFamilyCredentials.passwordPatterns);
    expect(redact("ALTER USER 'app'@'%' IDENTIFIED BY 'S3cret'")).toBe(`ALTER USER 'app'@'%' IDENTIFIED BY ${REDACTED}`);
    expect(redact("CREATE USER a IDENTIFIED WITH caching_sha2_password BY \"S3cret\" garbage")).toBe(`CREATE USER a IDENTIFIED WITH caching_sha2_password BY ${REDACTED} garbage`);
    expect(redact("near 'IDENTIFIED VIA ed25519 USING PASSWORD('S3cret')' at line 1")).toContain(`PASSWORD(${REDACTED}`);
    expect(redact("SET PASSWORD FOR 'app'@'%' = 'S3cret'")).toBe(`SET PASSWORD FOR 'app'@'%' = ${REDACTED}`);
    expect(redact("CHANGE MASTER TO MASTER_PASSWORD='S3cret', MASTER_HOST='h'")).toBe(`CHANGE MASTER TO MASTER_PASSWORD=${REDACTED}, MASTER_HOST='h'`);
    expect(redact("Access denied for user 'app'@'10.0.0.1' (using password: YES)")).toBe("Access denied for user 'app'@'10.0.0.1' (using password: YES)");
  });
});
