import { execFileSync } from 'node:child_process';
import { CAPABILITY_NAMES, decodeCursor, describeInvalidEngine, encodeCursor, EngineRegistry, InvalidInputError, resolveVersion } from '@krint/engine-sdk';
import { describe, expect, it } from 'vitest';
import { checkPostgresDumpHeader, postgresBackup, RESTORE_FILTER_AWK } from './postgres-backup.js';
import { postgresConnectionStrings, shellQuote } from './postgres-connection.js';
import { dataPathFor, majorOf } from './postgres-container.js';
import { POSTGRES_VERSIONS, postgresEngine } from './postgres-engine.js';
import { translateError } from './postgres-errors.js';
import { qualifiedName, quoteIdent, quoteLiteral } from './postgres-identifiers.js';
import { checkQueryInput, firstKeyword, uniqueColumnNames } from './postgres-query.js';
import { scramSha256Secret } from './postgres-scram.js';
import { CTID_COLUMN, keysetAfter, Params, whereExpected, whereKey, type ColumnMeta } from './postgres-statements.js';
import { pgDriver } from './postgres-driver.js';
import { accessFromDatabasePrivileges } from './postgres-users.js';
import { BUILTIN_TYPE_NAMES, isoTimestamp, parserForType, toParameter } from './postgres-values.js';
import defaultExport, { postgresEngine as namedExport } from './index.js';

const version = (v: string) => POSTGRES_VERSIONS.find((candidate) => candidate.version === v)!;
const context = { version: '15', rootUser: 'postgres', rootPassword: 'Secret-pass.1', defaultDatabase: 'app', internalPort: 5432 };

describe('postgres engine descriptor', () => {
  it('is a valid engine, exported both ways, with every capability', () => {
    expect(describeInvalidEngine(postgresEngine)).toBeNull();
    expect(defaultExport).toBe(postgresEngine);
    expect(namedExport).toBe(postgresEngine);
    expect(new EngineRegistry([postgresEngine]).get('postgres')).toBe(postgresEngine);
    for (const name of CAPABILITY_NAMES) expect(postgresEngine.capabilities[name]).toBe(true);
    expect(postgresEngine.terms).toEqual({ database: 'database', table: 'table', row: 'row', queryLanguage: 'sql' });
    expect(postgresEngine.versions.map((v) => v.image)).toEqual(['postgres:18', 'postgres:17', 'postgres:16', 'postgres:15']);
    expect(resolveVersion(postgresEngine)?.version).toBe('17');
    expect(postgresEngine.hostPortRange).toEqual([15432, 15999]);
    expect(postgresEngine.rootUser).toBe('postgres');
    expect(postgresEngine.defaultDatabase).toBe('postgres');
    expect(postgresEngine.readiness.ceilingMs).toBe(60_000);
  });

  it('declares its plugins as CREATE EXTENSION statements', () => {
    expect(postgresEngine.plugins.map((p) => p.id)).toEqual(['postgis', 'pg_trgm', 'uuid-ossp', 'hstore', 'vector']);
    for (const plugin of postgresEngine.plugins) {
      expect(plugin.install).toEqual({ kind: 'statements', statements: [`CREATE EXTENSION IF NOT EXISTS "${plugin.id}"`] });
    }
  });
});

describe('container spec', () => {
  it('follows the official image contract per major', () => {
    expect(postgresEngine.containerSpec({ version: version('17'), rootPassword: 'Secret-pass.1', defaultDatabase: 'shop', plugins: [] })).toEqual({
      image: 'postgres:17',
      env: { POSTGRES_PASSWORD: 'Secret-pass.1', POSTGRES_DB: 'shop' },
      cmd: ['postgres', '-c', 'log_min_error_statement=panic'],
      internalPort: 5432,
      dataPath: '/var/lib/postgresql/data',
    });
    const eighteen = postgresEngine.containerSpec({ version: version('18'), rootPassword: 'Secret-pass.1', defaultDatabase: 'postgres', plugins: [] });
    expect(eighteen.env).toEqual({ POSTGRES_PASSWORD: 'Secret-pass.1' });
    expect(eighteen.dataPath).toBe('/var/lib/postgresql');
    expect(postgresEngine.containerSpec({ version: version('15'), rootPassword: 'Secret-pass.1', defaultDatabase: '', plugins: [] }).dataPath).toBe('/var/lib/postgresql/data');
    expect(dataPathFor('16.4')).toBe('/var/lib/postgresql/data');
    expect(dataPathFor('latest')).toBe('/var/lib/postgresql');
    expect(majorOf('17.2')).toBe(17);
    expect(majorOf('seventeen')).toBeNull();
  });

  it('refuses unsafe passwords and database names without echoing the password', () => {
    const bad = () => postgresEngine.containerSpec({ version: version('17'), rootPassword: "x'; DROP--", defaultDatabase: 'app', plugins: [] });
    expect(bad).toThrow(InvalidInputError);
    try {
      bad();
    } catch (error) {
      expect(String((error as Error).message)).not.toContain("x'; DROP--");
    }
    expect(() => postgresEngine.containerSpec({ version: version('17'), rootPassword: 'Secret-pass.1', defaultDatabase: 'a;b', plugins: [] })).toThrow(InvalidInputError);
  });
});

describe('identifiers', () => {
  it('quotes identifiers and literals so nothing escapes them', () => {
    expect(quoteIdent('items')).toBe('"items"');
    expect(quoteIdent('a"; DROP TABLE x; --')).toBe('"a""; DROP TABLE x; --"');
    expect(quoteIdent('tåble ☃')).toBe('"tåble ☃"');
    expect(qualifiedName('public', 'Mixed Case')).toBe('"public"."Mixed Case"');
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('back\\slash')).toBe("E'back\\\\slash'");
  });

  it('refuses names PostgreSQL would truncate or cannot store', () => {
    expect(() => quoteIdent('')).toThrow(InvalidInputError);
    expect(() => quoteIdent('nul\u0000byte')).toThrow(/NUL/);
    expect(() => quoteIdent('x'.repeat(64))).toThrow(/63 bytes/);
    expect(() => quoteIdent('é'.repeat(32))).toThrow(/63 bytes/); // 64 bytes in UTF-8
    expect(() => quoteIdent('x'.repeat(10_240))).toThrow(InvalidInputError);
    expect(() => quoteLiteral('a\u0000')).toThrow(/NUL/);
  });
});

describe('statements and cursors', () => {
  const id: ColumnMeta = { name: 'id', type: 'bigint', castType: 'bigint', nullable: false, isPrimaryKey: true };
  const region: ColumnMeta = { name: 'region', type: 'character varying(8)', castType: 'character varying', nullable: false, isPrimaryKey: true };
  const doc: ColumnMeta = { name: 'doc', type: 'json', castType: 'json', nullable: true, isPrimaryKey: false };

  it('builds keyset conditions from an opaque cursor', () => {
    const cursor = encodeCursor(['eu', '41']);
    const params = new Params();
    expect(keysetAfter([region, id], decodeCursor(cursor), params)).toBe('("region", "id") > ($1::character varying, $2::bigint)');
    expect(params.values).toEqual(['eu', '41']);
    const single = new Params();
    expect(keysetAfter([CTID_COLUMN], ['(3,7)'], single)).toBe('"ctid" > $1::tid');
    expect(() => keysetAfter([id], ['1', '2'], new Params())).toThrow(/cursor/);
    expect(() => decodeCursor('not a cursor!')).toThrow(InvalidInputError);
  });

  it('matches keys with = and NULL with IS NULL, and compares json as jsonb', () => {
    const params = new Params();
    expect(whereKey([id, region], { id: '7', region: null }, 't', params)).toBe('"id" = $1::bigint AND "region" IS NULL');
    expect(() => whereKey([id], { nope: 1 }, 't', new Params())).toThrow(/no column "nope"/);
    expect(() => whereKey([id], {}, 't', new Params())).toThrow(/empty/);
    const expected = new Params();
    expect(whereExpected([id, doc], { doc: { a: 1 }, id: '7' }, 't', expected)).toEqual(['"doc"::jsonb = $1::jsonb', '"id" IS NOT DISTINCT FROM $2::bigint']);
    expect(expected.values).toEqual(['{"a":1}', '7']);
  });
});

describe('value mapping', () => {
  it('maps OIDs to type names and parses text without losing precision', async () => {
    // Array literals are split by pg's own parser; pg calls these parsers only once it is loaded.
    await pgDriver.load();
    expect(BUILTIN_TYPE_NAMES.get(20)).toBe('bigint');
    expect(BUILTIN_TYPE_NAMES.get(3802)).toBe('jsonb');
    expect(BUILTIN_TYPE_NAMES.get(1184)).toBe('timestamp with time zone');
    expect(parserForType(20)('9223372036854775807')).toBe('9223372036854775807');
    expect(parserForType(1700)('12345678901234567890.000001')).toBe('12345678901234567890.000001');
    expect(parserForType(23)('42')).toBe(42);
    expect(parserForType(701)('NaN')).toBe('NaN');
    expect(parserForType(16)('t')).toBe(true);
    expect(parserForType(3802)('{"a": [1, null]}')).toEqual({ a: [1, null] });
    expect(parserForType(17)('\\xdeadbeef')).toBe('\\xdeadbeef');
    expect(parserForType(1016)('{1,NULL,9223372036854775807}')).toEqual(['1', null, '9223372036854775807']);
    expect(parserForType(1009)('{"a,b",c}')).toEqual(['a,b', 'c']);
    expect(parserForType(1184)('2024-05-01 10:00:00.123456+00')).toBe('2024-05-01T10:00:00.123456Z');
    expect(isoTimestamp('2024-05-01 10:00:00+05:30')).toBe('2024-05-01T10:00:00+05:30');
    expect(isoTimestamp('2024-05-01 10:00:00-08')).toBe('2024-05-01T10:00:00-08:00');
    expect(isoTimestamp('infinity')).toBe('infinity');
    expect(parserForType(1114)('2024-05-01 10:00:00')).toBe('2024-05-01T10:00:00');
  });

  it('sends json as JSON text and other values as they are', () => {
    expect(toParameter([1, 2], 'jsonb')).toBe('[1,2]');
    expect(toParameter({ a: 1 }, 'text')).toBe('{"a":1}');
    expect(toParameter([1, 2], 'integer[]')).toEqual([1, 2]);
    expect(toParameter(null, 'integer')).toBeNull();
  });
});

describe('console query input', () => {
  it('validates limits and names the command', () => {
    expect(checkQueryInput('select 1', { rowLimit: 10_000_000, timeoutMs: 1e12 })).toEqual({ rowLimit: 100_000, timeoutMs: 900_000 });
    expect(() => checkQueryInput('  ', { rowLimit: 1, timeoutMs: 1 })).toThrow(/empty/);
    expect(() => checkQueryInput('select 1', { rowLimit: 0, timeoutMs: 1 })).toThrow(/row limit/);
    expect(() => checkQueryInput('select 1', { rowLimit: 1, timeoutMs: 0 })).toThrow(/time limit/);
    expect(firstKeyword('-- note\n /* x */ select 1')).toBe('SELECT');
    expect(uniqueColumnNames(['?column?', '?column?', 'a'])).toEqual(['?column?', '?column?_2', 'a']);
  });
});

describe('upgrade check', () => {
  it('allows same or newer majors and refuses downgrades with a reason', () => {
    const upgrade = postgresEngine.upgrade!;
    expect(upgrade.check('15', '17')).toBeNull();
    expect(upgrade.check('17', '17')).toBeNull();
    expect(upgrade.check('15.8', '18')).toBeNull();
    expect(upgrade.check('17', '15')).toMatch(/Downgrades are not supported/);
    expect(upgrade.check('15', '19')).toMatch(/not offered/);
    expect(upgrade.check('fifteen', '17')).toMatch(/not a PostgreSQL version/);
  });
});

describe('backup commands', () => {
  it('dumps every database and role with the password in the environment only', () => {
    const dump = postgresBackup.dumpCommand(context);
    expect(dump.argv[0]).toBe('pg_dumpall');
    expect(dump.argv).toEqual(expect.arrayContaining(['--host=127.0.0.1', '--port=5432', '--username=postgres', '--no-password']));
    expect(dump.env).toEqual({ PGPASSWORD: 'Secret-pass.1' });
    const restore = postgresBackup.restoreCommand(context);
    expect(restore.argv.slice(0, 2)).toEqual(['bash', '-c']);
    expect(restore.argv).toEqual(expect.arrayContaining(['ON_ERROR_STOP=1', '--dbname=template1']));
    for (const command of [dump, restore]) expect(command.argv.join(' ')).not.toContain('Secret-pass.1');
    expect(postgresBackup.fileExtension).toBe('sql');
  });

  it('accepts pg_dumpall scripts and refuses other files with a reason', () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(checkPostgresDumpHeader(bytes('--\n-- PostgreSQL database cluster dump\n--\n\nSET x;'))).toBeNull();
    expect(checkPostgresDumpHeader(bytes('\uFEFF--\n-- PostgreSQL database cluster dump\n'))).toBeNull();
    expect(checkPostgresDumpHeader(bytes('--\n-- PostgreSQL database dump\n--\n'))).toMatch(/single-database/);
    expect(checkPostgresDumpHeader(bytes('PGDMP\u0001\u000e'))).toMatch(/custom-format/);
    expect(checkPostgresDumpHeader(bytes('-- MySQL dump 10.13'))).toMatch(/does not start like/);
  });

  it('filters a cluster dump so it loads into an instance that already has its root role and database', () => {
    const script = [
      '--',
      '-- PostgreSQL database cluster dump',
      '--',
      'CREATE ROLE "postgres";',
      `ALTER ROLE "postgres" WITH SUPERUSER LOGIN PASSWORD 'SCRAM-SHA-256$4096:old';`,
      'CREATE ROLE "app_user";',
      `ALTER ROLE "app_user" WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:x';`,
      '\\connect "template1"',
      'CREATE ROLE "not_in_globals";',
      'CREATE DATABASE "app" WITH TEMPLATE = template0 ENCODING = \'UTF8\';',
      'CREATE DATABASE "we""ird" WITH TEMPLATE = template0;',
      'CREATE DATABASE plain WITH TEMPLATE = template0;',
      'COPY "public"."t" ("line") FROM stdin;',
      'CREATE DATABASE "inside_copy";',
      'CREATE ROLE "postgres";',
      '\\.',
      '',
    ].join('\n');
    const filtered = execFileSync('awk', [RESTORE_FILTER_AWK], { input: script, env: { ...process.env, KRINT_ROOT_ROLE: 'postgres' } }).toString();
    const lines = filtered.split('\n');
    expect(filtered).not.toContain("PASSWORD 'SCRAM-SHA-256$4096:old'");
    expect(lines).toContain('DO $krint$BEGIN CREATE ROLE "app_user"; EXCEPTION WHEN duplicate_object THEN NULL; END$krint$;');
    expect(lines).toContain(`ALTER ROLE "app_user" WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:x';`);
    expect(lines).toContain('CREATE ROLE "not_in_globals";');
    expect(lines).toContain('DROP DATABASE IF EXISTS "app" WITH (FORCE);');
    expect(lines).toContain('DROP DATABASE IF EXISTS "we""ird" WITH (FORCE);');
    expect(lines).toContain('DROP DATABASE IF EXISTS plain WITH (FORCE);');
    expect(filtered).not.toContain('DROP DATABASE IF EXISTS "inside_copy"');
    // COPY data is passed through untouched, even when it looks like a statement.
    expect(lines.slice(lines.indexOf('COPY "public"."t" ("line") FROM stdin;'))).toEqual(['COPY "public"."t" ("line") FROM stdin;', 'CREATE DATABASE "inside_copy";', 'CREATE ROLE "postgres";', '\\.', '']);
  });
});

describe('connection strings and secrets', () => {
  it('escapes names and passwords for each client', () => {
    const strings = postgresConnectionStrings({ host: '127.0.0.1', port: 15432, user: 'app_user', password: 'p@ss/w:rd', database: 'shop' });
    expect(strings.map((s) => s.label)).toEqual(['URI', 'psql', 'JDBC']);
    expect(strings[0]!.value).toBe('postgresql://app_user:p%40ss%2Fw%3Ard@127.0.0.1:15432/shop');
    expect(strings[1]!.value).toBe('PGPASSWORD=p@ss/w:rd psql --host=127.0.0.1 --port=15432 --username=app_user --dbname=shop');
    expect(strings[2]!.value).toBe('jdbc:postgresql://127.0.0.1:15432/shop?user=app_user&password=p%40ss%2Fw%3Ard');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });

  it('never puts a password into an error message', () => {
    const error = translateError({ code: '28P01', message: 'password authentication failed for user "x" Secret-pass.1' }, { secrets: ['Secret-pass.1'] });
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).not.toContain('Secret-pass.1');
    expect(translateError({ code: '42P04', message: 'exists' }).code).toBe('CONFLICT');
    expect(translateError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }).code).toBe('UNAVAILABLE');
  });

  it('builds SCRAM secrets in the server format and maps database privileges to access levels', () => {
    const secret = scramSha256Secret('Secret-pass.1', Buffer.alloc(16, 1));
    expect(secret).toMatch(/^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$/);
    expect(secret).not.toContain('Secret-pass.1');
    expect(scramSha256Secret('Secret-pass.1', Buffer.alloc(16, 1))).toBe(secret);
    expect(accessFromDatabasePrivileges(['CONNECT'])).toBe('read');
    expect(accessFromDatabasePrivileges(['CONNECT', 'TEMPORARY'])).toBe('readwrite');
    expect(accessFromDatabasePrivileges(['CONNECT', 'CREATE', 'TEMPORARY'])).toBe('all');
    expect(accessFromDatabasePrivileges(['TEMPORARY'])).toBeNull();
  });
});
