import { PASSWORD_MIN_LENGTH } from './password-policy.js';

/**
 * Authentication settings, read from `Auth__*` and `Oidc__*` environment variables:
 *
 * - `Auth__AdminPassword`: password of the `admin` user created on the first start (otherwise one
 *   is generated and printed once).
 * - `Auth__SessionHours`: lifetime of a sign-in (default 12).
 * - `Oidc__Authority`, `Oidc__ClientId`: turn on OIDC (both required together).
 * - `Oidc__ClientSecret` (confidential clients), `Oidc__Audience` (expected `aud` of bearer JWTs;
 *   the client id by default), `Oidc__RoleClaim` (default `roles`), `Oidc__AdminRole` /
 *   `Oidc__ViewerRole` (claim values, default `admin` / `viewer`), `Oidc__Scopes` (default
 *   `openid profile email`).
 */
export interface AuthConfig {
  readonly adminPassword: string | null;
  readonly sessionHours: number;
  readonly oidc: OidcConfig | null;
}

export interface OidcConfig {
  readonly authority: string;
  readonly clientId: string;
  readonly clientSecret: string | null;
  readonly audience: string;
  readonly roleClaim: string;
  readonly adminRole: string;
  readonly viewerRole: string;
  readonly scopes: string;
}

function read(env: NodeJS.ProcessEnv, key: string): string | null {
  const value = env[key]?.trim();
  return value ? value : null;
}

/** Validates the auth settings, adding each problem to `problems` in words a person can act on. */
export function loadAuthConfig(env: NodeJS.ProcessEnv, problems: string[]): AuthConfig {
  const adminPassword = env.Auth__AdminPassword && env.Auth__AdminPassword.length > 0 ? env.Auth__AdminPassword : null;
  // Only the length here; the whole password policy applies when the admin is created (first start).
  if (adminPassword !== null && adminPassword.length < PASSWORD_MIN_LENGTH) problems.push(`Auth__AdminPassword must have at least ${PASSWORD_MIN_LENGTH} characters.`);

  const hoursRaw = read(env, 'Auth__SessionHours') ?? '12';
  const sessionHours = Number(hoursRaw);
  if (!Number.isFinite(sessionHours) || sessionHours <= 0 || sessionHours > 24 * 30) {
    problems.push(`Auth__SessionHours must be a number of hours from 0 to 720, not "${hoursRaw}".`);
  }

  const authority = read(env, 'Oidc__Authority');
  const clientId = read(env, 'Oidc__ClientId');
  let oidc: OidcConfig | null = null;
  if ((authority === null) !== (clientId === null)) {
    problems.push('OIDC needs both Oidc__Authority and Oidc__ClientId (or neither, for built-in users only).');
  } else if (authority !== null && clientId !== null) {
    const authorityProblem = checkAuthority(authority);
    if (authorityProblem) problems.push(authorityProblem);
    oidc = {
      authority: authority.replace(/\/+$/, ''),
      clientId,
      clientSecret: read(env, 'Oidc__ClientSecret'),
      audience: read(env, 'Oidc__Audience') ?? clientId,
      roleClaim: read(env, 'Oidc__RoleClaim') ?? 'roles',
      adminRole: read(env, 'Oidc__AdminRole') ?? 'admin',
      viewerRole: read(env, 'Oidc__ViewerRole') ?? 'viewer',
      scopes: read(env, 'Oidc__Scopes') ?? 'openid profile email',
    };
  }
  return { adminPassword, sessionHours: Number.isFinite(sessionHours) && sessionHours > 0 ? sessionHours : 12, oidc };
}

/** The authority must be https, except on the loopback interface (a provider on this machine). */
function checkAuthority(authority: string): string | null {
  let url: URL;
  try {
    url = new URL(authority);
  } catch {
    return `Oidc__Authority must be a URL, not "${authority}".`;
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return null;
  return `Oidc__Authority must be an https:// URL (plain http only for a provider on localhost), not "${authority}".`;
}
