import type { KrintConfig } from '../config.js';
import type { KrintOrm } from '../db/orm.js';
import { API_TOKEN_PREFIX, ApiTokenStore } from './api-tokens.js';
import { readCookie } from './cookies.js';
import { OidcClient, type OidcOptions } from './oidc.js';
import { DEFAULT_LOGIN_LIMITS, SignInThrottle, type LoginLimits } from './rate-limit.js';
import { InMemoryRevocationBus, LiveCredentials, type RevocationBus } from './revocations.js';
import { safeEqual } from './secrets.js';
import { cookieNames, CSRF_HEADER, SessionStore, type CookieNames } from './sessions.js';
import { AuthError, type Caller } from './types.js';
import { UserStore } from './users.js';

/** What a request presents, whatever its transport (HTTP, SSE, graphql-ws). */
export interface PresentedCredentials {
  /** HTTP method; `WS` for a graphql-ws operation (treated as state-changing). */
  readonly method: string;
  /** A request header, lower-case name; null when absent. */
  readonly header: (name: string) => string | null;
  /** graphql-ws `connectionParams` (`authorization`, `x-krint-csrf`). */
  readonly connectionParams?: Readonly<Record<string, unknown>> | null;
}

export { DEFAULT_LOGIN_LIMITS, type LoginLimits };

export interface AuthOptions {
  readonly config: Pick<KrintConfig, 'auth' | 'publicUrl'>;
  readonly orm: KrintOrm;
  readonly log: (message: string) => void;
  readonly oidc?: OidcOptions;
  /** Sign-in limits; each one left out keeps its default. */
  readonly loginLimits?: Partial<LoginLimits>;
  /** Where revocations are announced (in memory by default: this process only). */
  readonly revocations?: RevocationBus;
  /**
   * How often an open graphql-ws socket re-checks its credentials (default 30 s). Revocations
   * through the bus end it at once; the re-check catches changes made past it (another process
   * sharing the database).
   */
  readonly socketRecheckMs?: number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Who is calling: the one place every transport asks. A bearer token (a Krint API token or, with
 * OIDC configured, a provider JWT) wins over the session cookie; a cookie-authenticated request
 * that can change state must echo the session's CSRF token.
 */
export class Auth {
  readonly users: UserStore;
  readonly sessions: SessionStore;
  readonly apiTokens: ApiTokenStore;
  readonly oidc: OidcClient | null;
  readonly signInThrottle: SignInThrottle;
  readonly revocations: RevocationBus;
  /** Open subscriptions and sockets by credential: ended when it is revoked or expires. */
  readonly live: LiveCredentials;
  /** Cookies get `Secure` when the public URL is https. */
  readonly secureCookies: boolean;
  /** `__Host-` names when {@link secureCookies}. */
  readonly cookies: CookieNames;
  readonly sessionLifetimeMs: number;

  constructor(readonly options: AuthOptions) {
    const { config, orm } = options;
    this.sessionLifetimeMs = config.auth.sessionHours * 3_600_000;
    this.users = new UserStore(orm);
    this.revocations = options.revocations ?? new InMemoryRevocationBus();
    this.live = new LiveCredentials(this.revocations);
    this.sessions = new SessionStore(orm, this.sessionLifetimeMs, this.revocations);
    this.apiTokens = new ApiTokenStore(orm, this.revocations);
    this.oidc = config.auth.oidc ? new OidcClient(config.auth.oidc, options.oidc) : null;
    this.signInThrottle = new SignInThrottle({ ...DEFAULT_LOGIN_LIMITS, ...options.loginLimits });
    this.secureCookies = config.publicUrl?.startsWith('https://') ?? false;
    this.cookies = cookieNames(this.secureCookies);
  }

  /** First-start admin and removal of expired sessions. */
  async start(): Promise<void> {
    await this.users.ensureAdmin(this.options.config.auth.adminPassword, this.options.log);
    await this.sessions.deleteExpired();
  }

  /**
   * The caller, or null for an anonymous request. Throws {@link AuthError} for credentials that
   * are present but wrong (an unknown token, a bad JWT, a missing CSRF token): those are refused
   * outright rather than treated as anonymous, so a client learns why.
   */
  async authenticate(credentials: PresentedCredentials): Promise<Caller | null> {
    const bearer = bearerToken(credentials);
    if (bearer !== null) return this.authenticateBearer(bearer);

    const cookie = readCookie(credentials.header('cookie'), this.cookies.session);
    if (!cookie) return null;
    const session = await this.sessions.find(cookie);
    if (!session) return null;
    if (!SAFE_METHODS.has(credentials.method.toUpperCase())) {
      const presented = credentials.header(CSRF_HEADER) ?? stringParam(credentials.connectionParams, CSRF_HEADER);
      if (!presented || !safeEqual(presented, session.csrfToken)) {
        throw new AuthError(`This request is signed in by cookie and must carry the session's CSRF token in the ${CSRF_HEADER} header (connectionParams for WebSockets); see GET /api/auth/me.`, 403, 'CSRF');
      }
    }
    return { name: session.name, role: session.role, source: 'session', userId: session.userId, sessionId: session.id, apiTokenId: null, expiresAt: session.expiresAt };
  }

  private async authenticateBearer(token: string): Promise<Caller> {
    if (token.startsWith(API_TOKEN_PREFIX)) {
      const record = await this.apiTokens.verify(token);
      if (!record) throw new AuthError('The API token is not valid: unknown, revoked or expired.', 401, 'UNAUTHENTICATED');
      return { name: `token:${record.name}`, role: record.role, source: 'api-token', userId: null, sessionId: null, apiTokenId: record.id, expiresAt: record.expiresAt };
    }
    if (this.oidc && token.split('.').length === 3) {
      const identity = await this.oidc.verifyBearer(token);
      return { name: identity.name, role: identity.role, source: 'oidc-jwt', userId: null, sessionId: null, apiTokenId: null, expiresAt: identity.expiresAt };
    }
    throw new AuthError(this.oidc ? 'The bearer token is neither a Krint API token nor a JWT.' : 'The bearer token is not a Krint API token.', 401, 'UNAUTHENTICATED');
  }
}

/** `Authorization: Bearer …` or graphql-ws `connectionParams.authorization` (with or without `Bearer `). */
function bearerToken(credentials: PresentedCredentials): string | null {
  const raw = credentials.header('authorization') ?? stringParam(credentials.connectionParams, 'authorization') ?? stringParam(credentials.connectionParams, 'Authorization');
  if (raw === null) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(raw);
  if (match) return match[1]!;
  if (credentials.header('authorization') === null && /^\S+$/.test(raw)) return raw;
  throw new AuthError('The Authorization header must be "Bearer <token>".', 401, 'UNAUTHENTICATED');
}

function stringParam(params: Readonly<Record<string, unknown>> | null | undefined, key: string): string | null {
  const value = params?.[key];
  return typeof value === 'string' && value.length > 0 ? value : null;
}
