import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** The format prefix of sealed values, so a future key rotation or algorithm can coexist. */
const PREFIX = 'v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CHECK_PLAINTEXT = 'krint-vault-key-check';
/** Opened values kept in memory at most (see `Vault.open`). */
const MAX_OPENED = 256;

/** A sealed value could not be opened: wrong key or tampered data. Never carries the secret. */
export class VaultError extends Error {
  override readonly name = 'VaultError';
}

/**
 * AES-256-GCM for every password Krint stores. Sealed values are `v1:` + base64(iv | tag |
 * ciphertext); each seal uses a fresh random IV, and GCM's tag makes a wrong key or an altered
 * value fail loudly instead of decrypting to garbage.
 */
export class Vault {
  readonly #key: Buffer;
  /**
   * Values opened recently, by sealed text: an instance's root password is opened on every data
   * request. A sealed value always opens to the same plaintext, so this never goes stale.
   */
  readonly #opened = new Map<string, string>();

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new VaultError(`The vault key must be 32 bytes, not ${key.length}.`);
    this.#key = Buffer.from(key);
  }

  /** Builds a vault from a base64 master key (as in `Vault__MasterKey`). */
  static fromBase64(masterKey: string): Vault {
    return new Vault(Buffer.from(masterKey, 'base64'));
  }

  /** A new random master key in base64. */
  static generateKey(): string {
    return randomBytes(32).toString('base64');
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
  }

  open(sealed: string): string {
    const known = this.#opened.get(sealed);
    if (known !== undefined) {
      // Kept as the most recently used, so a burst of other values (listing many users) does not
      // push out the root passwords every data request opens.
      this.#opened.delete(sealed);
      this.#opened.set(sealed, known);
      return known;
    }
    const opened = this.#decrypt(sealed);
    if (this.#opened.size >= MAX_OPENED) this.#opened.delete(this.#opened.keys().next().value!);
    this.#opened.set(sealed, opened);
    return opened;
  }

  #decrypt(sealed: string): string {
    if (!sealed.startsWith(PREFIX)) throw new VaultError('A stored secret has an unknown format.');
    const raw = Buffer.from(sealed.slice(PREFIX.length), 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new VaultError('A stored secret is truncated.');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new VaultError('A stored secret cannot be decrypted with the current vault key.');
    }
  }

  /** A value stored once per database; {@link verifyCheckValue} proves later that the key is the same. */
  createCheckValue(): string {
    return this.seal(CHECK_PLAINTEXT);
  }

  /** Throws a start-up error a person can act on when this key did not create `checkValue`. */
  verifyCheckValue(checkValue: string): void {
    let opened: string;
    try {
      opened = this.open(checkValue);
    } catch {
      throw new VaultError(
        'The vault master key does not match the key this database was created with, so stored passwords cannot be read. ' +
          'Start Krint with the original Vault__MasterKey (or the original vault.key file beside the database).',
      );
    }
    if (opened !== CHECK_PLAINTEXT) throw new VaultError('The vault check value is corrupt.');
  }
}
