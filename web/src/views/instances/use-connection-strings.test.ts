import { describe, expect, it } from 'vitest';
import { clientSnippets, connectionUrl, connectionYaml, shellQuote, yamlScalar } from './use-connection-strings.js';

const parts = { host: '127.0.0.1', port: 15432, user: 'postgres', password: 'p@ss:w/rd', database: 'app db' };

describe('connection strings', () => {
  it('percent-encodes user, password and database in URLs', () => {
    expect(connectionUrl('postgresql', parts)).toBe('postgresql://postgres:p%40ss%3Aw%2Frd@127.0.0.1:15432/app%20db');
    expect(connectionUrl('redis', { ...parts, user: '', password: 'x' }, '')).toBe('redis://:x@127.0.0.1:15432');
  });

  it('brackets IPv6 hosts', () => {
    expect(connectionUrl('mysql', { ...parts, host: '::1', database: 'd' })).toBe('mysql://postgres:p%40ss%3Aw%2Frd@[::1]:15432/d');
  });

  it('quotes shell arguments only when needed', () => {
    expect(shellQuote('simple-1.2')).toBe('simple-1.2');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('a b')).toBe(`'a b'`);
  });

  it('gives each engine its own client command', () => {
    const pg = clientSnippets('postgres', parts);
    expect(pg.map((s) => s.label)).toEqual(['psql', '.env', 'JDBC']);
    expect(pg[0]!.value).toBe(`PGPASSWORD=p@ss:w/rd psql -h 127.0.0.1 -p 15432 -U postgres -d 'app db'`);
    const redis = clientSnippets('redis', { ...parts, user: 'default', password: 'secret-1', database: '0' });
    expect(redis[0]!.value).toBe('redis-cli -h 127.0.0.1 -p 15432 --pass secret-1 --no-auth-warning');
    expect(clientSnippets('mariadb', parts)[0]!.label).toBe('mariadb');
    expect(clientSnippets('unknown', parts)).toEqual([]);
  });

  it('writes YAML that quotes what YAML would misread', () => {
    expect(yamlScalar('yes')).toBe('"yes"');
    expect(yamlScalar('p@ss')).toBe('"p@ss"');
    expect(yamlScalar('plain')).toBe('plain');
    const yaml = connectionYaml('orders db', 'postgres', '15', parts, [{ label: 'URI', value: 'postgresql://x' }]);
    expect(yaml).toBe(
      ['orders_db:', '  engine: postgres', '  version: "15"', '  host: "127.0.0.1"', '  port: 15432', '  user: postgres', '  password: "p@ss:w/rd"', '  database: "app db"', '  connectionStrings:', '    URI: "postgresql://x"', ''].join('\n'),
    );
  });
});
