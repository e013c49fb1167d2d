import { Session, type AuthRole } from '../db/entities.js';
import type { KrintOrm } from '../db/orm.js';
import type { RevocationBus } from './revocations.js';
import { randomSecret, sha256Hex } from './secrets.js';

/** The names of Krint's cookies; see {@link cookieNames}. */
export interface CookieNames {
  /** The session id: HttpOnly. */
  readonly session: string;
  /** The session's CSRF token, readable by the page's script (double submit). */
  readonly csrf: string;
  /** The OIDC sign-in state, on the callback path only. */
  readonly oidcState: string;
}

/**
 * Served over https (an https `Krint__PublicUrl`), the cookies carry the `__Host-` prefix (the
 * OIDC state cookie, which has a path, `__Secure-`): a browser then accepts them only from this
 * exact host, over https, for the whole site, so a sibling subdomain cannot plant a session or a
 * CSRF token of its choosing. The names are fixed per server, never chosen per request: accepting
 * the plain name on some requests would let a planted cookie through again. Nothing but the
 * configured public URL says whether the server is reached over https (it serves plain HTTP
 * itself; a TLS proxy in front is not visible, and `X-Forwarded-Proto` is not trusted).
 */
export function cookieNames(secure: boolean): CookieNames {
  const host = secure ? '__Host-' : '';
  return { session: `${host}krint_session`, csrf: `${host}krint_csrf`, oidcState: `${secure ? '__Secure-' : ''}krint_oidc_state` };
}
export const CSRF_HEADER = 'x-krint-csrf';

/** How often `lastSeenAt` is written at most (every request would make reads into writes). */
const TOUCH_EVERY_MS = 60_000;

export interface NewSession {
  /** The cookie value: shown to the browser only, stored as its SHA-256. */
  readonly cookieValue: string;
  readonly session: Session;
}

/** Server-side sessions; the cookie is a random id, the table holds its hash and an expiry. */
export class SessionStore {
  constructor(
    private readonly orm: KrintOrm,
    private readonly lifetimeMs: number,
    private readonly revocations: RevocationBus,
  ) {}

  async create(owner: { userId: string | null; name: string; role: AuthRole; source: 'password' | 'oidc' }): Promise<NewSession> {
    const cookieValue = randomSecret();
    const em = this.orm.em.fork();
    const session = em.create(Session, {
      idHash: sha256Hex(cookieValue),
      userId: owner.userId,
      name: owner.name,
      role: owner.role,
      source: owner.source,
      csrfToken: randomSecret(),
      expiresAt: new Date(Date.now() + this.lifetimeMs),
    });
    await em.flush();
    return { cookieValue, session };
  }

  /** The live session for a cookie value; expired sessions are deleted and count as none. */
  async find(cookieValue: string): Promise<Session | null> {
    if (!cookieValue || cookieValue.length > 128) return null;
    const em = this.orm.em.fork();
    const session = await em.findOne(Session, { idHash: sha256Hex(cookieValue) });
    if (!session) return null;
    const now = Date.now();
    if (session.expiresAt.getTime() <= now) {
      await em.nativeDelete(Session, { id: session.id });
      return null;
    }
    if (now - session.lastSeenAt.getTime() > TOUCH_EVERY_MS) {
      session.lastSeenAt = new Date(now);
      await em.flush();
    }
    return session;
  }

  /** Signs one browser out; its open subscriptions end. */
  async delete(cookieValue: string): Promise<void> {
    const em = this.orm.em.fork();
    const session = await em.findOne(Session, { idHash: sha256Hex(cookieValue) });
    if (!session) return;
    await em.nativeDelete(Session, { id: session.id });
    this.revocations.publish({ kind: 'session', sessionId: session.id });
  }

  /** Signs a user out everywhere except (optionally) one session: after a password change or deletion. */
  async deleteForUser(userId: string, keepSessionId: string | null = null): Promise<void> {
    await this.orm.em.fork().nativeDelete(Session, keepSessionId ? { userId, id: { $ne: keepSessionId } } : { userId });
    this.revocations.publish({ kind: 'user', userId, exceptSessionId: keepSessionId });
  }

  /**
   * The role of a built-in user's sessions follows the user (a demoted admin is a viewer at once).
   * Subscriptions started under the old role end; the browser starts them again with the new one.
   */
  async setRoleForUser(userId: string, role: AuthRole): Promise<void> {
    await this.orm.em.fork().nativeUpdate(Session, { userId }, { role });
    this.revocations.publish({ kind: 'user', userId });
  }

  async deleteExpired(): Promise<number> {
    return this.orm.em.fork().nativeDelete(Session, { expiresAt: { $lte: new Date() } });
  }
}
