import { InvalidInputError, NotFoundError } from '../errors.js';
import { ApiToken, type AuthRole } from '../db/entities.js';
import type { KrintOrm } from '../db/orm.js';
import { randomSecret, sha256Hex } from './secrets.js';

export const API_TOKEN_PREFIX = 'krint_at_';
/** Tokens live at most this long; automation renews them. */
export const API_TOKEN_MAX_DAYS = 730;
const TOUCH_EVERY_MS = 60_000;

/** API tokens for automation: shown once at creation, stored as SHA-256, with a name and an expiry. */
export class ApiTokenStore {
  constructor(private readonly orm: KrintOrm) {}

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
    const em = this.orm.em.fork();
    const record = await em.findOne(ApiToken, { hash: sha256Hex(token) });
    if (!record) return null;
    const now = Date.now();
    if (record.expiresAt && record.expiresAt.getTime() <= now) return null;
    if (!record.lastUsedAt || now - record.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
      record.lastUsedAt = new Date(now);
      await em.flush();
    }
    return record;
  }

  async list(): Promise<ApiToken[]> {
    return this.orm.em.fork().find(ApiToken, {}, { orderBy: { createdAt: 'desc' } });
  }

  /** Deletes the token: the next request that presents it is refused. */
  async revoke(id: string): Promise<ApiToken> {
    const em = this.orm.em.fork();
    const record = await em.findOne(ApiToken, { id });
    if (!record) throw new NotFoundError(`No API token with id "${id}".`);
    em.remove(record);
    await em.flush();
    return record;
  }
}
