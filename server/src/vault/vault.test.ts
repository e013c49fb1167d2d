import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveVault } from './key-file.js';
import { Vault, VaultError } from './vault.js';

describe('Vault', () => {
  const vault = new Vault(Buffer.alloc(32, 1));

  it('round-trips and uses a fresh IV for every seal', () => {
    const a = vault.seal('s3cret-Passw0rd');
    const b = vault.seal('s3cret-Passw0rd');
    expect(a).not.toBe(b);
    expect(a).not.toContain('s3cret');
    expect(vault.open(a)).toBe('s3cret-Passw0rd');
  });

  it('refuses a wrong key and tampered data instead of returning garbage', () => {
    const sealed = vault.seal('hello-world');
    expect(() => new Vault(Buffer.alloc(32, 2)).open(sealed)).toThrow(VaultError);
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    expect(() => vault.open(`v1:${raw.toString('base64')}`)).toThrow(/cannot be decrypted/);
    expect(() => vault.open('plain')).toThrow(/unknown format/);
  });

  it('detects a different master key through the check value', () => {
    const check = vault.createCheckValue();
    expect(() => vault.verifyCheckValue(check)).not.toThrow();
    expect(() => new Vault(Buffer.alloc(32, 3)).verifyCheckValue(check)).toThrow(/does not match the key this database was created with/);
  });

  it('rejects keys that are not 32 bytes', () => {
    expect(() => new Vault(Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});

describe('resolveVault', () => {
  it('generates a 0600 key file on first start, logs without the key, and reuses it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'krint-vault-'));
    const keyFile = path.join(dir, 'nested', 'vault.key');
    const messages: string[] = [];
    const first = resolveVault({ masterKey: null, keyFile }, (m) => messages.push(m));
    expect(first.origin).toBe('generated');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8').trim();
    expect(messages.join('\n')).toContain(keyFile);
    expect(messages.join('\n')).not.toContain(key);
    const second = resolveVault({ masterKey: null, keyFile });
    expect(second.origin).toBe('key-file');
    expect(second.vault.open(first.vault.seal('abcdefgh'))).toBe('abcdefgh');
  });

  it('prefers the environment key and never writes a file then', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'krint-vault-'));
    const keyFile = path.join(dir, 'vault.key');
    const resolved = resolveVault({ masterKey: Vault.generateKey(), keyFile });
    expect(resolved.origin).toBe('environment');
    expect(existsSync(keyFile)).toBe(false);
  });

  it('fails clearly on a broken key file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'krint-vault-'));
    const keyFile = path.join(dir, 'vault.key');
    writeFileSync(keyFile, 'not-a-key', { mode: 0o600 });
    expect(() => resolveVault({ masterKey: null, keyFile })).toThrow(/does not hold a 32-byte base64 key/);
  });
});
