import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EngineRegistry, describeInvalidEngine, resolveVersion } from '@krint/engine-sdk';
import { redisEngine } from './redis-engine.js';

const input = { version: resolveVersion(redisEngine)!, rootPassword: 'Root-pass.word~1', defaultDatabase: '0', plugins: [] };

describe('redis engine description', () => {
  it('is a valid engine with redis:7 as the default version', () => {
    expect(describeInvalidEngine(redisEngine)).toBeNull();
    expect(new EngineRegistry([redisEngine]).get('redis')).toBe(redisEngine);
    expect(resolveVersion(redisEngine)?.image).toBe('redis:7');
    expect(redisEngine.versions.filter((v) => v.isDefault)).toHaveLength(1);
    expect(redisEngine.terms).toEqual({ database: 'DB number', table: 'key pattern', row: 'key', queryLanguage: 'redis' });
    expect(redisEngine.capabilities).toMatchObject({ browse: true, editRows: true, query: true, users: true, backup: true, upgrade: true, createDatabase: false, dropTable: false });
    expect(redisEngine.readiness.ceilingMs).toBe(30_000);
  });

  it('starts the server with an ACL file seeded from the password hash, never the password', () => {
    const spec = redisEngine.containerSpec(input);
    expect(spec).toMatchObject({ image: 'redis:7', internalPort: 6379, dataPath: '/data' });
    expect(spec.env.KRINT_ROOT_PASSWORD_SHA256).toBe(createHash('sha256').update(input.rootPassword).digest('hex'));
    expect(JSON.stringify(spec)).not.toContain(input.rootPassword);
    const script = spec.cmd?.[2] ?? '';
    expect(script).toContain('redis-server --aclfile /data/users.acl --appendonly yes');
    expect(redisEngine.containerSpec(input)).toEqual(spec);
  });

  it('builds escaped connection strings', () => {
    const target = { host: '127.0.0.1', port: 16400, user: 'default', password: 'a-b_c.d~e', database: '3' };
    const strings = redisEngine.connectionStrings(target);
    expect(strings).toEqual([
      { label: 'URI', value: 'redis://default:a-b_c.d~e@127.0.0.1:16400/3' },
      { label: 'redis-cli', value: 'REDISCLI_AUTH=a-b_c.d~e redis-cli -h 127.0.0.1 -p 16400 --user default -n 3' },
    ]);
    expect(new URL(strings[0]!.value).password).toBe(target.password);
  });

  it('allows same-or-newer upgrades only', () => {
    const upgrade = redisEngine.upgrade!;
    expect(upgrade.check('7', '7.4')).toBeNull();
    expect(upgrade.check('7.2', '8')).toBeNull();
    expect(upgrade.check('7.4', '7.4')).toBeNull();
    expect(upgrade.check('8', '7.4')).toMatch(/Downgrades are not supported/);
    expect(upgrade.check('7.4', '7.2')).toMatch(/cannot load the data files/);
    expect(upgrade.check('latest', '8')).toMatch(/not a Redis version/);
  });

  it('recognises RDB files by their header', () => {
    const check = redisEngine.backup!.checkDumpHeader!;
    expect(check(Buffer.from('REDIS0011\xfa', 'latin1'))).toBeNull();
    expect(check(Buffer.from('PGDMP'))).toMatch(/not an RDB dump/);
    expect(check(Buffer.from('REDISxx11'))).toMatch(/four digits/);
  });

  it('passes the password to dump and restore through the environment only', () => {
    const context = { version: '7', rootUser: 'default', rootPassword: 'Secret-pass-1', defaultDatabase: '0', internalPort: 6379 };
    for (const command of [redisEngine.backup!.dumpCommand(context), redisEngine.backup!.restoreCommand(context)]) {
      expect(command.argv.join(' ')).not.toContain(context.rootPassword);
      expect(command.env?.REDISCLI_AUTH).toBe(context.rootPassword);
    }
  });
});
