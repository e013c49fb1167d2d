import { CAPABILITY_NAMES, describeInvalidEngine, EngineRegistry, InvalidInputError, resolveVersion } from '@krint/engine-sdk';
import type { RowDataPacket } from 'mysql2';
import { describe, expect, it } from 'vitest';
import { checkMysqlDumpHeader, mysqlBackup } from './mysql-backup.js';
import { shellQuote } from './mysql-connection.js';
import { mysqlDialect } from './mysql-dialect.js';
import { MYSQL_VERSIONS, mysqlEngine } from './mysql-engine.js';
import { checkQueryInput, commandTag } from './mysql-query.js';
import { mysqlUpgrade } from './mysql-upgrade.js';
import { grantFromDbRow } from './mysql-users.js';
import defaultExport, { mysqlEngine as namedExport } from './index.js';

const context = { version: '8.4', rootUser: 'root', rootPassword: 'Secret-pass.1', defaultDatabase: 'app', internalPort: 3306 };

describe('mysql engine descriptor', () => {
  it('is a valid engine, exported both ways, with every capability', () => {
    expect(describeInvalidEngine(mysqlEngine)).toBeNull();
    expect(defaultExport).toBe(mysqlEngine);
    expect(namedExport).toBe(mysqlEngine);
    expect(new EngineRegistry([mysqlEngine]).get('mysql')).toBe(mysqlEngine);
    for (const name of CAPABILITY_NAMES) expect(mysqlEngine.capabilities[name]).toBe(true);
    expect(mysqlEngine.terms).toEqual({ database: 'database', table: 'table', row: 'row', queryLanguage: 'sql' });
    expect(resolveVersion(mysqlEngine)?.image).toBe('mysql:8.4');
    expect(mysqlEngine.versions.map((v) => v.image)).toEqual(['mysql:8.4', 'mysql:8.0']);
    expect(mysqlEngine.readiness.ceilingMs).toBe(90_000);
    const [low, high] = mysqlEngine.hostPortRange;
    expect(high < 15432 || low > 15999).toBe(true);
  });

  it('describes the official image contract', () => {
    const spec = mysqlEngine.containerSpec({ version: MYSQL_VERSIONS[1]!, rootPassword: 'Secret-pass.1', defaultDatabase: 'shop', plugins: [] });
    expect(spec).toEqual({
      image: 'mysql:8.0',
      env: { MYSQL_ROOT_PASSWORD: 'Secret-pass.1', MYSQL_DATABASE: 'shop' },
      internalPort: 3306,
      dataPath: '/var/lib/mysql',
    });
    const noDb = mysqlEngine.containerSpec({ version: MYSQL_VERSIONS[0]!, rootPassword: 'Secret-pass.1', defaultDatabase: 'mysql', plugins: [] });
    expect(noDb.env).toEqual({ MYSQL_ROOT_PASSWORD: 'Secret-pass.1' });
    expect(() => mysqlEngine.containerSpec({ version: MYSQL_VERSIONS[0]!, rootPassword: "bad'pass word", defaultDatabase: 'app', plugins: [] })).toThrow(InvalidInputError);
    expect(() => mysqlEngine.containerSpec({ version: MYSQL_VERSIONS[0]!, rootPassword: 'Secret-pass.1', defaultDatabase: 'a;b', plugins: [] })).toThrow(InvalidInputError);
  });

  it('builds escaped connection strings', () => {
    const strings = mysqlEngine.connectionStrings({ host: '127.0.0.1', port: 13306, user: 'app_user', password: 'p@ss/w:rd', database: 'shop' });
    expect(strings.map((s) => s.label)).toEqual(['URI', 'mysql', 'JDBC']);
    expect(strings[0]!.value).toBe('mysql://app_user:p%40ss%2Fw%3Ard@127.0.0.1:13306/shop');
    expect(strings[1]!.value).toBe("mysql --host=127.0.0.1 --port=13306 --user=app_user --password=p@ss/w:rd shop");
    expect(strings[2]!.value).toBe('jdbc:mysql://127.0.0.1:13306/shop?user=app_user&password=p%40ss%2Fw%3Ard');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('a b;c')).toBe("'a b;c'");
    const v6 = mysqlEngine.connectionStrings({ host: '::1', port: 13306, user: 'root', password: 'Secret-pass.1' });
    expect(v6[0]!.value).toBe('mysql://root:Secret-pass.1@[::1]:13306');
    expect(v6[2]!.value).toBe('jdbc:mysql://[::1]:13306/?user=root&password=Secret-pass.1');
  });
});

describe('mysql backup', () => {
  it('dumps every database with the password in the environment only', () => {
    const dump = mysqlBackup.dumpCommand(context);
    expect(dump.argv[0]).toBe('mysqldump');
    expect(dump.argv).toEqual(expect.arrayContaining(['--single-transaction', '--routines', '--events', '--all-databases', '--flush-privileges', '--user=root']));
    expect(dump.env).toEqual({ MYSQL_PWD: 'Secret-pass.1' });
    expect(dump.argv.join(' ')).not.toContain('Secret-pass.1');
    const restore = mysqlBackup.restoreCommand(context);
    expect(restore.argv.slice(0, 2)).toEqual(['bash', '-c']);
    expect(restore.argv[2]).toMatch(/^set -o pipefail; \{ cat; printf .*ALTER USER IF EXISTS 'root'@'localhost'.*\| mysql --binary-mode --user=root$/);
    expect(restore.argv.join(' ')).not.toContain('Secret-pass.1');
    expect(restore.env).toEqual({ MYSQL_PWD: 'Secret-pass.1' });
    expect(mysqlBackup.fileExtension).toBe('sql');
    expect(() => mysqlBackup.restoreCommand({ ...context, rootPassword: "it's" })).toThrow(InvalidInputError);
    expect(() => mysqlBackup.dumpCommand({ ...context, rootUser: 'root; rm -rf /' })).toThrow(InvalidInputError);
  });

  it('accepts mysqldump files and refuses others with a reason', () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(checkMysqlDumpHeader(bytes('-- MySQL dump 10.13  Distrib 8.4.3, for Linux (x86_64)\n--\n'))).toBeNull();
    expect(checkMysqlDumpHeader(bytes('-- MariaDB dump 10.19-10.11.6-MariaDB, for debian-linux-gnu\n'))).toMatch(/MariaDB/);
    expect(checkMysqlDumpHeader(bytes('PGDMP\u0000\u0001'))).toMatch(/does not start like/);
  });
});

describe('mysql upgrade check', () => {
  it('allows same or newer and refuses downgrades with a reason', () => {
    expect(mysqlUpgrade.check('8.0', '8.4')).toBeNull();
    expect(mysqlUpgrade.check('8.4', '8.4')).toBeNull();
    expect(mysqlUpgrade.check('8.4', '8.0')).toMatch(/Downgrades are not supported/);
    expect(mysqlUpgrade.check('8.0', '9.9')).toMatch(/not offered/);
    expect(mysqlUpgrade.check('eight', '8.4')).toMatch(/not a MySQL version/);
    for (const version of MYSQL_VERSIONS) expect(mysqlUpgrade.check('8.0', version.version)).toBeNull();
  });
});

describe('console query limits', () => {
  it('adds MAX_EXECUTION_TIME to SELECTs only', () => {
    expect(mysqlDialect.limitStatement('  select * from t', 1500).text).toBe('  SELECT /*+ MAX_EXECUTION_TIME(1500) */ * from t');
    expect(mysqlDialect.limitStatement('/* note */ SELECT 1', 10).text).toBe('/* note */ SELECT /*+ MAX_EXECUTION_TIME(10) */ 1');
    expect(mysqlDialect.limitStatement('UPDATE t SET a = 1', 10).text).toBe('UPDATE t SET a = 1');
    expect(mysqlDialect.limitStatement('selection', 10).text).toBe('selection');
  });

  it('names the command and validates the limits', () => {
    expect(commandTag('-- hi\n  select 1')).toBe('SELECT');
    expect(commandTag('/* x */ insert into t values (1)')).toBe('INSERT');
    expect(() => checkQueryInput('  ', { rowLimit: 1, timeoutMs: 1 })).toThrow(/empty/);
    expect(() => checkQueryInput('select 1', { rowLimit: 0, timeoutMs: 1 })).toThrow(/row limit/);
    expect(() => checkQueryInput('select 1', { rowLimit: 1, timeoutMs: -5 })).toThrow(/time limit/);
    expect(() => checkQueryInput('x'.repeat(1_000_001), { rowLimit: 1, timeoutMs: 1 })).toThrow(/limit is/);
    expect(checkQueryInput('select 1', { rowLimit: 10_000_000, timeoutMs: 1e12 })).toEqual({ rowLimit: 100_000, timeoutMs: 900_000 });
  });
});

describe('grants from mysql.db', () => {
  const row = (granted: string[]): RowDataPacket =>
    Object.fromEntries(
      ['Select_priv', 'Insert_priv', 'Update_priv', 'Delete_priv', 'Create_priv', 'Drop_priv'].map((c) => [c, granted.includes(c) ? 'Y' : 'N']),
    ) as RowDataPacket;

  it('maps privilege sets to access levels', () => {
    expect(grantFromDbRow('u', 'app\\_db', row(['Select_priv']))).toEqual({ user: 'u', database: 'app_db', access: 'read', privileges: ['SELECT'] });
    expect(grantFromDbRow('u', 'shop', row(['Select_priv', 'Insert_priv', 'Update_priv', 'Delete_priv']))?.access).toBe('readwrite');
    expect(grantFromDbRow('u', 'shop', row(['Select_priv', 'Insert_priv', 'Update_priv', 'Delete_priv', 'Create_priv', 'Drop_priv']))?.access).toBe('all');
    expect(grantFromDbRow('u', 'shop', row(['Insert_priv']))).toBeNull();
    expect(grantFromDbRow('u', 'test\\_%', row(['Select_priv']))).toBeNull();
  });
});
