import { ExpiringCache } from '@krint/engine-sdk';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { ApiToken, type AuthRole } from '../db/entities.js';
import type { KrintOrm } from '../db/orm.js';
import type { RevocationBus } from './revocations.js';
import { randomSecret, sha256Hex } from './secrets.js';

export const API_TOKEN_PREFIX = 'krint_at_';
/** Tokens live at most this long; automation renews them. */
export const API_TOKEN_MAX_DAYS = 730;
const TOUCH_EVERY_MS = 60_000;
/**
 * How long a verified token is trusted without reading the database again. Revoking through this
 * process takes effect at once and expiry is checked on every use; only a token deleted by another
 * process sharing the database stays usable for up to this long.
 */
export const VERIFIED_TOKEN_TTL_MS = 5_000;
/** Verified tokens remembered at most; the oldest is forgotten beyond this. */
const MAX_VERIFIED_TOKENS = 1_000;

/** API tokens for automation: shown once at creation, stored as SHA-256, with a name and an expiry. */
export class ApiTokenStore {
  /** Recently verified tokens by hash: every request of a client would otherwise read the database. */
  readonly #verified = new ExpiringCache<ApiToken>(VERIFIED_TOKEN_TTL_MS, MAX_VERIFIED_TOKENS);
  /** Bumped by every revocation, so a lookup that raced with one is not remembered. */
  #revocations = 0;

  constructor(
    private readonly orm: KrintOrm,
    private readonly revocations: RevocationBus,
  ) {}

  async create(input: { name: string; role: AuthRole; expiresAt: Date; createdBy: string }): Promise<{ token: string; record: ApiToken }> {
    const name = input.name.trim();
    if (name.length < 1 || name.length > 128 || /[\u0000-\u001f\u007f]/.test(name)) {
      throw new InvalidInputError('A token name has 1 to 128 characters and no control characters.', 'name');
    }
    const now = Date.now();
    if (!(input.expiresAt.getTime() > now)) throw new InvalidInputError('The expiry must be in the future.', 'expiresAt');
    if (input.expiresAt.getTime() > now + API_TOKEN_MAX_DAYS * 86_400_000) {
      throw new InvalidInputError(`A token may live at most ${API_TOKEN_MAX_DAYS} days.`, 'expiresAt');
    }
    const token = randomSecret(API_TOKEN_PREFIX);
    const em = this.orm.em.fork();
    const record = em.create(ApiToken, { name, hash: sha256Hex(token), role: input.role, createdBy: input.createdBy, expiresAt: input.expiresAt });
    await em.flush();
    return { token, record };
  }

  /** The token's record when it exists and has not expired; null otherwise. */
  async verify(token: string): Promise<ApiToken | null> {
    if (!token.startsWith(API_TOKEN_PREFIX) || token.length > 128) return null;
    const hash = sha256Hex(token);
    const now = Date.now();
    const cached = this.#verified.get(hash);
    if (cached && !hasExpired(cached, now)) return cached;
    this.#verified.delete(hash);
    const revocations = this.#revocations;
    const em = this.orm.em.fork();
    const record = await em.findOne(ApiToken, { hash });
    if (!record) return null;
    if (hasExpired(record, now)) return null;
    if (!record.lastUsedAt || now - record.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
      record.lastUsedAt = new Date(now);
      await em.flush();
    }
    if (revocations !== this.#revocations) return record;
    // Trusted until the TTL or the token's expiry, whichever comes first (the TTL is shorter than
    // TOUCH_EVERY_MS, so lastUsedAt is still kept current by the reads in between).
    this.#verified.set(hash, record);
    return record;
  }

  async list(): Promise<ApiToken[]> {
    return this.orm.em.fork().find(ApiToken, {}, { orderBy: { createdAt: 'desc' } });
  }

  /** Deletes the token: the next request that presents it is refused, and its open subscriptions end. */
  async revoke(id: string): Promise<ApiToken> {
    const em = this.orm.em.fork();
    const record = await em.findOne(ApiToken, { id });
    if (!record) throw new NotFoundError(`No API token with id "${id}".`);
    em.remove(record);
    // Before and after the delete: a lookup running meanwhile may have read the row still there.
    this.#revocations += 1;
    await em.flush();
    this.#revocations += 1;
    this.#verified.delete(record.hash);
    this.revocations.publish({ kind: 'api-token', tokenId: record.id });
    return record;
  }
}

function hasExpired(record: ApiToken, now: number): boolean {
  return record.expiresAt !== null && record.expiresAt.getTime() <= now;
}
