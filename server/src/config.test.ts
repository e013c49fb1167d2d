import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKUP_DEFAULTS, ConfigError, loadConfig } from './config.js';

function folder(yaml?: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'krint-config-'));
  if (yaml !== undefined) writeFileSync(path.join(dir, 'krint.yaml'), yaml);
  return dir;
}

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('starts on the embedded defaults with an empty environment', () => {
    const cwd = folder();
    const config = loadConfig({ env: {}, cwd });
    expect(config.port).toBe(5000);
    expect(config.dataDir).toBe(path.join(cwd, '.data'));
    expect(config.database).toEqual({ kind: 'sqlite', file: path.join(cwd, '.data', 'krint.db') });
    expect(config.vault.keyFile).toBe(path.join(cwd, '.data', 'vault.key'));
    expect(config.backups.directory).toBe(path.join(cwd, '.data', 'backups'));
    expect(config.storage).toEqual({ mode: 'volume', hostPath: null });
    expect(config.configFile).toBeNull();
  });

  it('reads krint.yaml and lets the environment win', () => {
    const cwd = folder(
      ['krint:', '  port: 6000', '  public_url: https://db.example.test/', '  storage:', '    mode: host', '    host_path: ./data', '  port_ranges:', '    postgres: 31000-31010', '  backups:', '    directory: ./dumps'].join('\n'),
    );
    const config = loadConfig({ env: { Krint__Port: '7000', Backups__Directory: '/srv/backups' }, cwd });
    expect(config.port).toBe(7000);
    expect(config.publicUrl).toBe('https://db.example.test');
    expect(config.storage).toEqual({ mode: 'host', hostPath: path.join(cwd, 'data') });
    expect(config.portRanges).toEqual({ postgres: [31000, 31010] });
    expect(config.backups.directory).toBe('/srv/backups');
    expect(config.configFile).toBe(path.join(cwd, 'krint.yaml'));
  });

  it('reads the backup limits, with defaults, and refuses values that are not whole numbers', () => {
    const cwd = folder(['krint:', '  backups:', '    max_upload_bytes: 2048', '    min_schedule_interval_seconds: 300'].join('\n'));
    expect(loadConfig({ env: {}, cwd: folder() }).backups).toMatchObject({ maxUploadBytes: BACKUP_DEFAULTS.maxUploadBytes, minScheduleIntervalSeconds: BACKUP_DEFAULTS.minScheduleIntervalSeconds });
    expect(loadConfig({ env: {}, cwd }).backups).toMatchObject({ maxUploadBytes: 2048, minScheduleIntervalSeconds: 300 });
    expect(loadConfig({ env: { Backups__MaxUploadBytes: '4096', Backups__MinScheduleIntervalSeconds: '1' }, cwd }).backups).toMatchObject({ maxUploadBytes: 4096, minScheduleIntervalSeconds: 1 });
    const problems = problemsOf(() => loadConfig({ env: { Backups__MaxUploadBytes: '1.5e3', Backups__MinScheduleIntervalSeconds: '0' }, cwd }));
    expect(problems).toEqual([
      expect.stringMatching(/^Backups__MaxUploadBytes .* whole number of at least 1, not "1\.5e3"/),
      expect.stringMatching(/^Backups__MinScheduleIntervalSeconds .* whole number of at least 1, not "0"/),
    ]);
  });

  it('picks PostgreSQL for a postgres:// connection string and SQLite otherwise', () => {
    const cwd = folder();
    expect(loadConfig({ env: { Database__ConnectionString: 'postgresql://k:p@127.0.0.1:5432/krint' }, cwd }).database.kind).toBe('postgresql');
    expect(loadConfig({ env: { Database__ConnectionString: 'state.sqlite' }, cwd }).database).toEqual({ kind: 'sqlite', file: path.join(cwd, '.data', 'state.sqlite') });
  });

  it('reports every problem at once, naming the setting', () => {
    const cwd = folder(['krint:', '  colour: blue', '  port_ranges:', '    redis: 40000-30000', '  storage:', '    mode: host'].join('\n'));
    const problems = problemsOf(() => loadConfig({ env: { Krint__Port: '70000', Vault__MasterKey: 'short', Krint__PublicUrl: 'ftp://x' }, cwd }));
    expect(problems).toHaveLength(6);
    expect(problems.join('\n')).toMatch(/Krint__Port.*1 to 65535/);
    expect(problems.join('\n')).toMatch(/Vault__MasterKey must be 32 random bytes/);
    expect(problems.join('\n')).toMatch(/unknown key "krint.colour"/);
    expect(problems.join('\n')).toMatch(/port_ranges.redis/);
    expect(problems.join('\n')).toMatch(/Storage__HostPath/);
    expect(problems.join('\n')).toMatch(/Krint__PublicUrl/);
  });

  it('refuses a krint.yaml that is not YAML', () => {
    const cwd = folder('krint: [unclosed');
    expect(problemsOf(() => loadConfig({ env: {}, cwd }))[0]).toMatch(/is not valid YAML/);
  });

  it('accepts a valid master key', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ env: { Vault__MasterKey: key }, cwd: folder() }).vault.masterKey).toBe(key);
  });

  it('reads the allowed origins and the bind address, refusing what is not an origin or an address', () => {
    const cwd = folder();
    const defaults = loadConfig({ env: {}, cwd });
    expect(defaults.allowedOrigins).toEqual([]);
    expect(defaults.bindAddress).toBeNull();
    const set = loadConfig({ env: { Krint__AllowedOrigins: 'https://tools.example.test:8443, http://LOCALHOST:5173/', Krint__BindAddress: '127.0.0.1' }, cwd });
    expect(set.allowedOrigins).toEqual(['https://tools.example.test:8443', 'http://localhost:5173']);
    expect(set.bindAddress).toBe('127.0.0.1');
    const problems = problemsOf(() => loadConfig({ env: { Krint__AllowedOrigins: 'https://ok.example.test,https://x.example.test/path,*,ftp://f.example.test', Krint__BindAddress: 'all' }, cwd }));
    expect(problems.filter((p) => p.startsWith('Krint__AllowedOrigins'))).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/"https:\/\/x.example.test\/path" is not an origin/);
    expect(problems.join('\n')).toMatch(/Krint__BindAddress must be an IP address/);
  });

  it('takes Docker__Network for the instances the control plane reaches, and refuses a malformed one', () => {
    const cwd = folder();
    expect(loadConfig({ env: { Docker__Network: 'krint' }, cwd }).dockerNetwork).toBe('krint');
    expect(loadConfig({ env: {}, cwd }).dockerNetwork).toBeUndefined();
    expect(problemsOf(() => loadConfig({ env: { Docker__Network: 'no spaces; please' }, cwd })).join('\n')).toMatch(/Docker__Network must be a Docker network name/);
  });

  it('in a container, wants Storage__HostPath named as the Docker host sees it', () => {
    const cwd = folder();
    const env = { Storage__Mode: 'host', Storage__HostPath: './data' };
    expect(loadConfig({ env, cwd, inContainer: false }).storage.hostPath).toBe(path.join(cwd, 'data'));
    expect(problemsOf(() => loadConfig({ env, cwd, inContainer: true })).join('\n')).toMatch(/Storage__HostPath must be an absolute folder on the Docker host/);
    expect(loadConfig({ env: { ...env, Storage__HostPath: '/srv/krint' }, cwd, inContainer: true }).storage.hostPath).toBe('/srv/krint');
  });
});
