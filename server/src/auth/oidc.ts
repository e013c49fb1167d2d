import { createHash } from 'node:crypto';
import type { createRemoteJWKSet, errors as JoseErrors, JWTPayload } from 'jose';
import type { OidcConfig } from './config.js';
import { randomSecret, safeEqual } from './secrets.js';
import { AuthError, type AuthRole } from './types.js';

interface Discovery {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
  readonly end_session_endpoint?: string;
}

interface PendingLogin {
  readonly verifier: string;
  readonly nonce: string;
  readonly returnTo: string;
  readonly redirectUri: string;
  readonly expiresAt: number;
}

export interface OidcIdentity {
  readonly name: string;
  readonly role: AuthRole;
  /** The token's `exp`: a bearer JWT's subscriptions end then. */
  readonly expiresAt: Date | null;
}

export interface OidcOptions {
  /** Minimum time between two JWKS downloads (jose's cooldown); a new `kid` triggers one after it. */
  readonly jwksCooldownMs?: number;
  /** Clock skew accepted on `exp`/`nbf`, in seconds. */
  readonly clockToleranceSeconds?: number;
}

const LOGIN_TTL_MS = 10 * 60_000;
const MAX_PENDING_LOGINS = 1000;
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/**
 * OpenID Connect against the configured provider: discovery, JWT validation against its JWKS
 * (issuer, audience, expiry, signature; keys re-fetched when an unknown `kid` appears, so a key
 * rotation needs no restart) and the Authorization Code + PKCE flow handled on the server.
 */
export class OidcClient {
  private discovery: Promise<Discovery> | null = null;
  private jwks: ReturnType<typeof createRemoteJWKSet> | null = null;
  private readonly pending = new Map<string, PendingLogin>();

  constructor(
    readonly config: OidcConfig,
    private readonly options: OidcOptions = {},
  ) {}

  private discover(): Promise<Discovery> {
    this.discovery ??= (async () => {
      const url = `${this.config.authority}/.well-known/openid-configuration`;
      const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (!response.ok) throw new Error(`the OIDC discovery document at ${url} answered HTTP ${response.status}`);
      const document = (await response.json()) as Partial<Discovery>;
      for (const key of ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
        if (typeof document[key] !== 'string') throw new Error(`the OIDC discovery document at ${url} has no ${key}`);
      }
      const discovered = document as Discovery;
      if (discovered.issuer.replace(/\/+$/, '') !== this.config.authority) {
        throw new Error(`the provider's issuer "${discovered.issuer}" is not Oidc__Authority "${this.config.authority}"`);
      }
      // jose is imported here, on first use: a control plane without OIDC never loads it.
      const { createRemoteJWKSet } = await import('jose');
      this.jwks = createRemoteJWKSet(new URL(discovered.jwks_uri), { cooldownDuration: this.options.jwksCooldownMs ?? 30_000, timeoutDuration: 10_000 });
      return discovered;
    })();
    // A provider that was down is asked again next time instead of failing forever.
    this.discovery.catch(() => {
      this.discovery = null;
    });
    return this.discovery;
  }

  private async verify(token: string, audience: string): Promise<JWTPayload> {
    let discovery: Discovery;
    try {
      discovery = await this.discover();
    } catch (error) {
      throw new AuthError(`The identity provider cannot be reached: ${error instanceof Error ? error.message : String(error)}.`, 401, 'UNAUTHENTICATED');
    }
    // Loaded by discover() already; this import only hands out the cached module.
    const jose = await import('jose');
    try {
      const { payload } = await jose.jwtVerify(token, this.jwks!, {
        issuer: discovery.issuer,
        audience,
        algorithms: ALGORITHMS,
        clockTolerance: this.options.clockToleranceSeconds ?? 30,
        requiredClaims: ['exp', 'sub'],
      });
      return payload;
    } catch (error) {
      throw new AuthError(`The token was refused: ${describeJoseError(error, jose.errors)}.`, 401, 'UNAUTHENTICATED');
    }
  }

  /** Validates a bearer JWT (audience `Oidc__Audience`) and maps its role claim. */
  async verifyBearer(token: string): Promise<OidcIdentity> {
    return this.identity(await this.verify(token, this.config.audience));
  }

  /** Maps the configured role claim (a list, a string or a dotted path like `realm_access.roles`). */
  identity(claims: JWTPayload): OidcIdentity {
    let value: unknown = claims;
    for (const part of this.config.roleClaim.split('.')) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined;
    const values = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(/[\s,]+/) : [];
    const role: AuthRole | null = values.includes(this.config.adminRole) ? 'admin' : values.includes(this.config.viewerRole) ? 'viewer' : null;
    const name = [claims.preferred_username, claims.email, claims.sub].find((v): v is string => typeof v === 'string' && v.length > 0) ?? 'unknown';
    if (!role) {
      throw new AuthError(`"${name}" has no Krint role: the "${this.config.roleClaim}" claim must contain "${this.config.adminRole}" or "${this.config.viewerRole}".`, 403, 'FORBIDDEN');
    }
    return { name: name.slice(0, 120), role, expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null };
  }

  /** Starts a sign-in: the provider URL to redirect to and the state to bind to the browser. */
  async beginLogin(redirectUri: string, returnTo: string): Promise<{ url: string; state: string }> {
    const discovery = await this.discover();
    const now = Date.now();
    for (const [state, login] of this.pending) if (login.expiresAt <= now) this.pending.delete(state);
    if (this.pending.size >= MAX_PENDING_LOGINS) this.pending.delete(this.pending.keys().next().value!);
    const state = randomSecret();
    const login: PendingLogin = { verifier: randomSecret(), nonce: randomSecret(), returnTo, redirectUri, expiresAt: now + LOGIN_TTL_MS };
    this.pending.set(state, login);
    const url = new URL(discovery.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.config.clientId,
      redirect_uri: redirectUri,
      scope: this.config.scopes,
      state,
      nonce: login.nonce,
      code_challenge: createHash('sha256').update(login.verifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    return { url: url.toString(), state };
  }

  /**
   * Finishes a sign-in: the state must match the browser's cookie and a pending login; the code is
   * exchanged with the PKCE verifier and the ID token is validated (including the nonce).
   */
  async completeLogin(query: URLSearchParams, stateCookie: string | null): Promise<OidcIdentity & { returnTo: string }> {
    const providerError = query.get('error');
    if (providerError) throw new AuthError(`The identity provider refused the sign-in: ${providerError}${query.get('error_description') ? ` (${query.get('error_description')})` : ''}.`, 401, 'UNAUTHENTICATED');
    const state = query.get('state') ?? '';
    const code = query.get('code');
    const login = this.pending.get(state);
    if (!code || !login || !stateCookie || !safeEqual(state, stateCookie) || login.expiresAt <= Date.now()) {
      throw new AuthError('This sign-in link is not valid any more (state mismatch or expired); start the sign-in again.', 401, 'UNAUTHENTICATED');
    }
    this.pending.delete(state);
    const discovery = await this.discover();
    const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: login.redirectUri, client_id: this.config.clientId, code_verifier: login.verifier });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (this.config.clientSecret) {
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(this.config.clientId)}:${encodeURIComponent(this.config.clientSecret)}`).toString('base64')}`;
    }
    const response = await fetch(discovery.token_endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
    const tokens = (await response.json().catch(() => ({}))) as { id_token?: unknown; error?: unknown; error_description?: unknown };
    if (!response.ok || typeof tokens.id_token !== 'string') {
      const reason = typeof tokens.error === 'string' ? `${tokens.error}${typeof tokens.error_description === 'string' ? ` (${tokens.error_description})` : ''}` : `HTTP ${response.status}`;
      throw new AuthError(`The identity provider did not issue an ID token: ${reason}.`, 401, 'UNAUTHENTICATED');
    }
    const claims = await this.verify(tokens.id_token, this.config.clientId);
    if (typeof claims.nonce !== 'string' || !safeEqual(claims.nonce, login.nonce)) {
      throw new AuthError('The ID token does not belong to this sign-in (nonce mismatch).', 401, 'UNAUTHENTICATED');
    }
    return { ...this.identity(claims), returnTo: login.returnTo };
  }
}

function describeJoseError(error: unknown, joseErrors: typeof JoseErrors): string {
  if (error instanceof joseErrors.JWTExpired) return 'it has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim "${error.claim}" is not acceptable (${error.reason})`;
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'it is signed with a key the provider does not publish';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (error instanceof joseErrors.JOSEError) return error.code.toLowerCase().replace(/_/g, ' ');
  return 'it is not a valid JWT';
}
