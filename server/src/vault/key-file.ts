import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Vault, VaultError } from './vault.js';

export interface MasterKeySource {
  /** `Vault__MasterKey`, when set. */
  readonly masterKey: string | null;
  /** Where the embedded default keeps a generated key. */
  readonly keyFile: string;
}

export interface ResolvedVault {
  readonly vault: Vault;
  /** Where the key came from, for the start-up log (never the key itself). */
  readonly origin: 'environment' | 'key-file' | 'generated';
}

/**
 * The vault key from the environment, else from the key file, else a new key written to the key
 * file with mode 0600 (the embedded default for a first start).
 */
export function resolveVault(source: MasterKeySource, log: (message: string) => void = () => undefined): ResolvedVault {
  if (source.masterKey) return { vault: Vault.fromBase64(source.masterKey), origin: 'environment' };
  if (existsSync(source.keyFile)) {
    const text = readFileSync(source.keyFile, 'utf8').trim();
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length !== 32) throw new VaultError(`The vault key file ${source.keyFile} does not hold a 32-byte base64 key.`);
    if ((statSync(source.keyFile).mode & 0o077) !== 0) log(`Warning: ${source.keyFile} is readable by other users; run chmod 600 on it.`);
    return { vault: new Vault(bytes), origin: 'key-file' };
  }
  mkdirSync(path.dirname(source.keyFile), { recursive: true });
  const key = Vault.generateKey();
  writeFileSync(source.keyFile, `${key}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(source.keyFile, 0o600);
  log(`Generated a new vault master key in ${source.keyFile} (mode 0600). Back it up: without it stored passwords cannot be read. Set Vault__MasterKey to manage it yourself.`);
  return { vault: Vault.fromBase64(key), origin: 'generated' };
}
