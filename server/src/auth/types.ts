import type { AuthRole } from '../db/entities.js';

export type { AuthRole };

/** How a caller proved who they are. */
export type CallerSource = 'session' | 'api-token' | 'oidc-jwt';

/**
 * The authenticated caller of a request. `name` is what the activity log records as the actor
 * (API tokens are recorded as `token:<name>`).
 */
export interface Caller {
  readonly name: string;
  readonly role: AuthRole;
  readonly source: CallerSource;
  /** The built-in user's id; null for OIDC and API-token callers. */
  readonly userId: string | null;
  /** The session's id (not the cookie value); null unless `source` is `session`. */
  readonly sessionId: string | null;
  /** The API token's id (not its value); null unless `source` is `api-token`. */
  readonly apiTokenId: string | null;
  /** When the credential stops being valid on its own (session or token expiry); null when unknown. */
  readonly expiresAt: Date | null;
}

export const ROLES: readonly AuthRole[] = ['admin', 'viewer'];

export function isRole(value: unknown): value is AuthRole {
  return value === 'admin' || value === 'viewer';
}

/** Authentication failed in a way the caller is told about (HTTP status and a clear message). */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    message: string,
    readonly status: 401 | 403 | 429,
    readonly code: 'UNAUTHENTICATED' | 'FORBIDDEN' | 'CSRF' | 'RATE_LIMITED',
    /** Seconds until a rate-limited caller may try again. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
