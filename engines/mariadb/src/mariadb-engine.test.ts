import { CAPABILITY_NAMES, describeInvalidEngine, EngineRegistry, InvalidInputError, resolveVersion } from '@krint/engine-sdk';
import { mysqlEngine } from '@krint/engine-mysql';
import { describe, expect, it } from 'vitest';
import { checkMariadbDumpHeader, mariadbBackup } from './mariadb-backup.js';
import { MARIADB_VERSIONS, mariadbEngine } from './mariadb-engine.js';
import { mariadbDialect } from './mariadb-session.js';
import { mariadbUpgrade } from './mariadb-upgrade.js';
import defaultExport, { mariadbEngine as namedExport } from './index.js';

const context = { version: '10.11', rootUser: 'root', rootPassword: 'Secret-pass.1', defaultDatabase: 'app', internalPort: 3306 };

describe('mariadb engine descriptor', () => {
  it('is a valid engine beside MySQL, exported both ways, with every capability', () => {
    expect(describeInvalidEngine(mariadbEngine)).toBeNull();
    expect(defaultExport).toBe(mariadbEngine);
    expect(namedExport).toBe(mariadbEngine);
    const registry = new EngineRegistry([mysqlEngine, mariadbEngine]);
    expect(registry.get('mariadb')).toBe(mariadbEngine);
    for (const name of CAPABILITY_NAMES) expect(mariadbEngine.capabilities[name]).toBe(true);
    expect(resolveVersion(mariadbEngine)?.image).toBe('mariadb:10.11');
    expect(mariadbEngine.versions.map((v) => v.image)).toEqual(['mariadb:11.4', 'mariadb:10.11']);
    const [low, high] = mariadbEngine.hostPortRange;
    const [mysqlLow, mysqlHigh] = mysqlEngine.hostPortRange;
    expect(high < mysqlLow || low > mysqlHigh).toBe(true);
    expect(high < 15432 || low > 15999).toBe(true);
    expect(mariadbEngine.readiness.ceilingMs).toBe(90_000);
  });

  it('describes the official image contract', () => {
    const spec = mariadbEngine.containerSpec({ version: MARIADB_VERSIONS[0]!, rootPassword: 'Secret-pass.1', defaultDatabase: 'shop', plugins: [] });
    expect(spec).toEqual({
      image: 'mariadb:11.4',
      env: { MARIADB_ROOT_PASSWORD: 'Secret-pass.1', MARIADB_DATABASE: 'shop' },
      cmd: ['--character-set-server=utf8mb4'],
      internalPort: 3306,
      dataPath: '/var/lib/mysql',
    });
    expect(() => mariadbEngine.containerSpec({ version: MARIADB_VERSIONS[0]!, rootPassword: 'short', defaultDatabase: 'app', plugins: [] })).toThrow(InvalidInputError);
  });

  it('builds mariadb connection strings', () => {
    const strings = mariadbEngine.connectionStrings({ host: 'db.local', port: 13600, user: 'root', password: 'a b#c' });
    expect(strings).toEqual([
      { label: 'URI', value: 'mariadb://root:a%20b%23c@db.local:13600' },
      { label: 'mariadb', value: "mariadb --host=db.local --port=13600 --user=root '--password=a b#c'" },
      { label: 'JDBC', value: 'jdbc:mariadb://db.local:13600/?user=root&password=a+b%23c' },
    ]);
  });
});

describe('mariadb backup', () => {
  it('dumps every database and the accounts as statements, password in the environment', () => {
    const dump = mariadbBackup.dumpCommand(context);
    expect(dump.argv).toEqual([
      'mariadb-dump',
      '--user=root',
      '--single-transaction',
      '--routines',
      '--events',
      '--triggers',
      '--hex-blob',
      '--all-databases',
      '--system=users',
      '--insert-ignore',
    ]);
    expect(dump.env).toEqual({ MYSQL_PWD: 'Secret-pass.1' });
    const restore = mariadbBackup.restoreCommand(context);
    expect(restore.argv[2]).toMatch(/\| mariadb --binary-mode --user=root$/);
    expect(restore.argv.join(' ')).not.toContain('Secret-pass.1');
  });

  it('accepts MariaDB dumps and refuses others with a reason', () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(checkMariadbDumpHeader(bytes('/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB\n'))).toBeNull();
    expect(checkMariadbDumpHeader(bytes('-- MariaDB dump 10.19  Distrib 10.11.6-MariaDB\n'))).toBeNull();
    expect(checkMariadbDumpHeader(bytes('-- MySQL dump 10.19  Distrib 10.6.12-MariaDB, for Linux\n'))).toBeNull();
    expect(checkMariadbDumpHeader(bytes('-- MySQL dump 10.13  Distrib 8.4.3, for Linux (x86_64)\n'))).toMatch(/MySQL dump/);
    expect(checkMariadbDumpHeader(bytes('\u0000\u0001binary'))).toMatch(/does not start like/);
  });
});

describe('mariadb upgrade and time limits', () => {
  it('allows same or newer and refuses downgrades with a reason', () => {
    expect(mariadbUpgrade.check('10.11', '11.4')).toBeNull();
    expect(mariadbUpgrade.check('10.11', '10.11')).toBeNull();
    expect(mariadbUpgrade.check('11.4', '10.11')).toMatch(/Downgrades are not supported/);
    expect(mariadbUpgrade.check('10.11', '12.0')).toMatch(/not offered/);
  });

  it('limits every statement with max_statement_time in seconds', () => {
    expect(mariadbDialect.limitStatement('UPDATE t SET a = 1', 1500)).toEqual({ before: ['SET SESSION max_statement_time = 1.500'], text: 'UPDATE t SET a = 1' });
  });
});
