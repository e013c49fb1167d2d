import { describe, expect, it } from 'vitest';
import { describeInvalidEngine, resolveVersion } from '@krint/engine-sdk';
import { redisEngine } from '@krint/engine-redis';
import { valkeyEngine } from './valkey-engine.js';

describe('valkey engine description', () => {
  it('is a valid engine of its own, with the Redis capabilities and terms', () => {
    expect(describeInvalidEngine(valkeyEngine)).toBeNull();
    expect(valkeyEngine.id).toBe('valkey');
    expect(resolveVersion(valkeyEngine)?.image).toBe('valkey/valkey:8');
    expect(valkeyEngine.capabilities).toEqual(redisEngine.capabilities);
    expect(valkeyEngine.terms).toEqual(redisEngine.terms);
    const [low, high] = valkeyEngine.hostPortRange;
    const [redisLow, redisHigh] = redisEngine.hostPortRange;
    expect(high < redisLow || low > redisHigh).toBe(true);
  });

  it('starts valkey-server with the ACL file and append-only persistence', () => {
    const spec = valkeyEngine.containerSpec({ version: resolveVersion(valkeyEngine)!, rootPassword: 'Valkey-root-1', defaultDatabase: '0', plugins: [] });
    expect(spec.image).toBe('valkey/valkey:8');
    expect(spec.cmd?.[2]).toContain('exec docker-entrypoint.sh valkey-server --aclfile /data/users.acl --appendonly yes');
    expect(JSON.stringify(spec)).not.toContain('Valkey-root-1');
  });

  it('names valkey-cli in connection strings and backup scripts', () => {
    const strings = valkeyEngine.connectionStrings({ host: 'localhost', port: 16700, user: 'default', password: 'p-1_2.3~4' });
    expect(strings.map((s) => s.label)).toEqual(['URI', 'valkey-cli']);
    expect(strings[0]?.value).toBe('redis://default:p-1_2.3~4@localhost:16700/0');
    const context = { version: '8', rootUser: 'default', rootPassword: 'p-1_2.3~4', defaultDatabase: '0', internalPort: 6379 };
    expect(valkeyEngine.backup!.dumpCommand(context).argv[2]).toContain('command -v valkey-cli || command -v redis-cli');
    expect(valkeyEngine.backup!.restoreCommand(context).argv[2]).toContain('command -v valkey-server || command -v redis-server');
    expect(valkeyEngine.upgrade!.check('8', '7.2')).toMatch(/Valkey 7.2 cannot load/);
  });
});
