import { shallowRef } from 'vue';

/** Who is signed in, as `GET /api/auth/me` reports it. */
export interface SignedInUser {
  readonly name: string;
  readonly role: string;
  readonly source: string;
  readonly canChangePassword?: boolean;
}

export interface AuthState {
  /** False when this server has no sign-in at all (every request is allowed). */
  readonly enabled: boolean;
  readonly user: SignedInUser | null;
  readonly methods: { password: boolean; oidc: boolean };
}

/** The current sign-in state; null until the first check. */
export const authState = shallowRef<AuthState | null>(null);

/** The CSRF cookie's names: `__Host-` prefixed when the control plane is served over https. */
const CSRF_COOKIES = ['__Host-krint_csrf', 'krint_csrf'];
export const CSRF_HEADER = 'x-krint-csrf';

/** The session's CSRF token (double-submit cookie), sent back on every API call. */
export function csrfToken(): string | null {
  const cookies = document.cookie.split(';').map((c) => c.trim());
  for (const name of CSRF_COOKIES) {
    const match = cookies.find((c) => c.startsWith(`${name}=`));
    if (match) return decodeURIComponent(match.slice(name.length + 1));
  }
  return null;
}

function errorMessage(body: unknown, fallback: string): string {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof message === 'string' ? message : fallback;
}

async function readBody(response: Response): Promise<unknown> {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/** Asks the server who is signed in. A server without the auth routes means sign-in is off. */
export async function checkAuth(): Promise<AuthState> {
  let state: AuthState;
  try {
    const response = await fetch('/api/auth/me', { credentials: 'include', headers: { accept: 'application/json' } });
    const body = (await readBody(response)) as { user?: SignedInUser; methods?: AuthState['methods'] } | null;
    if (response.status === 404 || !(response.headers.get('content-type') ?? '').includes('json')) state = { enabled: false, user: null, methods: { password: false, oidc: false } };
    else state = { enabled: true, user: response.ok ? (body?.user ?? null) : null, methods: body?.methods ?? { password: true, oidc: false } };
  } catch {
    // The server is unreachable; pages show their own errors. Do not lock the person out.
    state = { enabled: false, user: null, methods: { password: false, oidc: false } };
  }
  authState.value = state;
  return state;
}

/** Signs in with the built-in user name and password; throws the server's message on failure. */
export async function signIn(username: string, password: string): Promise<void> {
  const response = await fetch('/api/auth/login', {
    method: 'POST',
    credentials: 'include',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = await readBody(response);
  if (!response.ok) throw new Error(errorMessage(body, `Sign-in failed (HTTP ${response.status}).`));
  await checkAuth();
}

export async function signOut(): Promise<void> {
  const token = csrfToken();
  await fetch('/api/auth/logout', { method: 'POST', credentials: 'include', headers: token ? { [CSRF_HEADER]: token } : {} });
  await checkAuth();
}
