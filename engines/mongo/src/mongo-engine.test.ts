import { describe, expect, it } from 'vitest';
import { EngineError, describeInvalidEngine, resolveVersion } from '@krint/engine-sdk';
import { mongoEngine } from './mongo-engine.js';
import { assertCollectionName, assertCreatableDatabase, assertDatabaseName } from './mongo-names.js';
import { UserCommands, grantsFromRoles } from './mongo-users.js';

describe('mongo engine description', () => {
  it('is a valid engine with documents, collections and a JSON console', () => {
    expect(describeInvalidEngine(mongoEngine)).toBeNull();
    expect(resolveVersion(mongoEngine)?.image).toBe('mongo:8');
    expect(mongoEngine.terms).toEqual({ database: 'database', table: 'collection', row: 'document', queryLanguage: 'json' });
    expect(mongoEngine.capabilities).toMatchObject({ createDatabase: true, browse: true, editRows: true, dropTable: true, query: true, users: true, backup: true, upgrade: true, keysetPaging: true, bulkUpdate: false });
  });

  it('describes the container the official image expects', () => {
    const spec = mongoEngine.containerSpec({ version: resolveVersion(mongoEngine, '7')!, rootPassword: 'Mongo-root-1', defaultDatabase: 'app', plugins: [] });
    expect(spec).toEqual({
      image: 'mongo:7',
      env: { MONGO_INITDB_ROOT_USERNAME: 'root', MONGO_INITDB_ROOT_PASSWORD: 'Mongo-root-1' },
      internalPort: 27017,
      dataPath: '/data/db',
    });
  });

  it('builds connection strings with authSource=admin and escaped credentials', () => {
    const strings = mongoEngine.connectionStrings({ host: 'db.local', port: 27100, user: 'root', password: 'p-1_2.3~4', database: 'shop' });
    expect(strings).toEqual([
      { label: 'URI', value: 'mongodb://root:p-1_2.3~4@db.local:27100/shop?authSource=admin' },
      { label: 'mongosh', value: 'mongosh "mongodb://root:p-1_2.3~4@db.local:27100/shop?authSource=admin"' },
    ]);
  });

  it('upgrades one major version at a time, never down', () => {
    const upgrade = mongoEngine.upgrade!;
    expect(upgrade.check('7', '8')).toBeNull();
    expect(upgrade.check('8', '8')).toBeNull();
    expect(upgrade.check('6', '8')).toBe('MongoDB upgrades one major version at a time: upgrade 6 → 7 first, then 7 → 8.');
    expect(upgrade.check('8', '7')).toMatch(/Downgrades are not supported/);
    expect(upgrade.check('eight', '8')).toMatch(/not a MongoDB version/);
  });

  it('keeps the password out of dump and restore argv and recognises archives', () => {
    const backup = mongoEngine.backup!;
    const context = { version: '8', rootUser: 'root', rootPassword: 'Secret-pass-1', defaultDatabase: 'app', internalPort: 27017 };
    const dump = backup.dumpCommand(context);
    const restore = backup.restoreCommand(context);
    for (const command of [dump, restore]) {
      expect(command.argv.join(' ')).not.toContain(context.rootPassword);
      expect(command.env?.KRINT_PASSWORD).toBe(context.rootPassword);
      expect(command.argv[2]).toContain('--config "$config"');
    }
    expect(dump.argv[2]).toContain('mongodump');
    expect(restore.argv[2]).toMatch(/mongorestore .*--archive.*--drop --nsExclude 'admin.system.users'/);
    expect(backup.fileExtension).toBe('archive');
    expect(backup.checkDumpHeader!(Uint8Array.from([0x6d, 0xe2, 0x99, 0x81, 0, 0]))).toBeNull();
    expect(backup.checkDumpHeader!(Buffer.from('REDIS0011'))).toMatch(/not a mongodump archive/);
  });

  it('fails to connect with a clear error that names the address and not the password', async () => {
    const target = { host: '127.0.0.1', port: 1, user: 'root', password: 'Never-shown-pw1' };
    const started = Date.now();
    const error = await mongoEngine.connect(target).then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(EngineError);
    expect(error?.message).toMatch(/Could not reach the MongoDB server at 127.0.0.1:1/);
    expect(error?.message).not.toContain(target.password);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});

describe('mongo names', () => {
  it('validates database and collection names', () => {
    expect(assertDatabaseName('shop_1')).toBe('shop_1');
    expect(() => assertDatabaseName('a.b')).toThrow(/cannot contain/);
    expect(() => assertDatabaseName('x'.repeat(64))).toThrow(/63 bytes/);
    expect(() => assertCreatableDatabase('admin')).toThrow(/system database/);
    expect(() => assertCreatableDatabase('1shop')).toThrow(/must not start with a digit/);
    expect(assertCollectionName('orders.2024')).toBe('orders.2024');
    expect(() => assertCollectionName('a$b')).toThrow(/"\$"/);
    expect(() => assertCollectionName('system.users', 'write')).toThrow(/system collection/);
    expect(assertCollectionName('system.views', 'read')).toBe('system.views');
    expect(() => assertCollectionName('')).toThrow(/must not be empty/);
  });
});

describe('mongo user commands', () => {
  it('creates users without roles and validates names and passwords first', () => {
    expect(UserCommands.create('report_user', 'Good-pass-1')).toEqual({ createUser: 'report_user', pwd: 'Good-pass-1', roles: [] });
    expect(() => UserCommands.create('bad name', 'Good-pass-1')).toThrow(/letters, digits and underscores/);
    expect(() => UserCommands.create('ok_name', 'short')).toThrow(/at least 8/);
    expect(() => UserCommands.create('ok_name', 'has space in it')).toThrow(/may contain only/);
  });

  it('replaces the Krint role on a database with exactly one level', () => {
    expect(UserCommands.regrant('app_user', 'shop', 'readwrite')).toEqual([
      { revokeRolesFromUser: 'app_user', roles: [{ role: 'read', db: 'shop' }, { role: 'readWrite', db: 'shop' }, { role: 'dbOwner', db: 'shop' }] },
      { grantRolesToUser: 'app_user', roles: [{ role: 'readWrite', db: 'shop' }] },
    ]);
    expect(UserCommands.regrant('app_user', 'shop', null)).toHaveLength(1);
    expect(() => UserCommands.regrant('app_user', 'bad.db', 'read')).toThrow(/cannot contain/);
  });

  it('reads grants back from roles, ignoring roles Krint does not manage', () => {
    expect(
      grantsFromRoles('u', [
        { role: 'readWrite', db: 'shop' },
        { role: 'dbOwner', db: 'crm' },
        { role: 'clusterMonitor', db: 'admin' },
      ]),
    ).toEqual([
      { user: 'u', database: 'shop', access: 'readwrite', privileges: ['readWrite'] },
      { user: 'u', database: 'crm', access: 'all', privileges: ['dbOwner'] },
    ]);
  });
});
