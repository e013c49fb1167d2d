import type { IncomingMessage, ServerResponse } from 'node:http';
import { DOMAIN_ERRORS, InvalidInputError } from '../errors.js';
import type { Auth, PresentedCredentials } from './authenticator.js';
import { readCookie, serializeCookie } from './cookies.js';
import type { LimitedBy } from './rate-limit.js';
import { AuthError, type Caller } from './types.js';

const OIDC_COOKIE_PATH = '/api/auth/oidc';
const MAX_JSON_BODY = 16 * 1024;

/** The credentials of a Node request, for {@link Auth.authenticate}. */
export function nodeCredentials(request: IncomingMessage): PresentedCredentials {
  return {
    method: request.method ?? 'GET',
    header: (name) => {
      const value = request.headers[name];
      return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
    },
  };
}

/**
 * The sign-in API for the web client (see README.md): `/api/auth/login`, `/logout`, `/me`,
 * `/password` and the OIDC redirect pair. Returns false for other paths.
 */
export async function handleAuthRoutes(auth: Auth, request: IncomingMessage, response: ServerResponse, publicUrl: string | null): Promise<boolean> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  if (!url.pathname.startsWith('/api/auth/')) return false;
  const route = `${request.method ?? 'GET'} ${url.pathname}`;
  try {
    switch (route) {
      case 'POST /api/auth/login':
        await login(auth, request, response);
        return true;
      case 'POST /api/auth/logout':
        await logout(auth, request, response);
        return true;
      case 'GET /api/auth/me':
        await me(auth, request, response);
        return true;
      case 'POST /api/auth/password':
        await changePassword(auth, request, response);
        return true;
      case 'GET /api/auth/oidc/login':
        await oidcLogin(auth, request, response, url, publicUrl);
        return true;
      case 'GET /api/auth/oidc/callback':
        await oidcCallback(auth, request, response, url);
        return true;
      default:
        sendJson(response, 404, { error: { type: 'NotFound', message: `No auth route ${route}.` } });
        return true;
    }
  } catch (error) {
    sendError(response, error);
    return true;
  }
}

/** Refuses unless the request is authenticated (and admin when `admin`); used by the backup routes. */
export async function requireCaller(auth: Auth, request: IncomingMessage, response: ServerResponse, role: 'admin' | 'viewer'): Promise<Caller | null> {
  try {
    const caller = await auth.authenticate(nodeCredentials(request));
    if (!caller) throw new AuthError('Sign in first, or send an API token as "Authorization: Bearer <token>".', 401, 'UNAUTHENTICATED');
    if (role === 'admin' && caller.role !== 'admin') throw new AuthError('This needs the admin role.', 403, 'FORBIDDEN');
    return caller;
  } catch (error) {
    sendError(response, error);
    return null;
  }
}

function clientAddress(request: IncomingMessage): string {
  return request.socket.remoteAddress ?? 'unknown';
}

const LIMITED_BY_WORDS: Record<LimitedBy, string> = {
  'user-and-address': 'for this user name from this address',
  address: 'from this address',
  user: 'for this user name',
};

function waitInWords(seconds: number): string {
  return seconds < 90 ? `${seconds} second(s)` : `${Math.ceil(seconds / 60)} minute(s)`;
}

async function login(auth: Auth, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readJson(request);
  const username = typeof body.username === 'string' ? body.username.trim() : '';
  const password = typeof body.password === 'string' ? body.password : '';
  if (!username || !password) throw new InvalidInputError('Send {"username": "...", "password": "..."}.', 'username');
  const attempt = await auth.signInThrottle.begin(username, clientAddress(request));
  if (!attempt.allowed) {
    throw new AuthError(`Too many sign-in attempts ${LIMITED_BY_WORDS[attempt.limitedBy]}; try again in ${waitInWords(attempt.retryAfterSeconds)}.`, 429, 'RATE_LIMITED', attempt.retryAfterSeconds);
  }
  const user = await auth.users.verify(username, password);
  if (!user) {
    await attempt.failed();
    throw new AuthError('Wrong user name or password.', 401, 'UNAUTHENTICATED');
  }
  await attempt.succeeded();
  const { cookieValue, session } = await auth.sessions.create({ userId: user.id, name: user.name, role: user.role, source: 'password' });
  setSessionCookies(auth, response, cookieValue, session.csrfToken);
  sendJson(response, 200, { user: { name: user.name, role: user.role, source: 'session' }, csrfToken: session.csrfToken });
}

async function logout(auth: Auth, request: IncomingMessage, response: ServerResponse): Promise<void> {
  // A cookie logout is state-changing: authenticate() checks the CSRF token.
  const caller = await auth.authenticate(nodeCredentials(request));
  const cookie = readCookie(request.headers.cookie, auth.cookies.session);
  if (caller?.source === 'session' && cookie) await auth.sessions.delete(cookie);
  clearSessionCookies(auth, response);
  response.writeHead(204).end();
}

async function me(auth: Auth, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const methods = { password: true, oidc: auth.oidc !== null };
  const caller = await auth.authenticate(nodeCredentials(request));
  if (!caller) {
    sendJson(response, 401, { error: { type: 'UNAUTHENTICATED', message: 'Not signed in.' }, methods });
    return;
  }
  const cookie = caller.source === 'session' ? readCookie(request.headers.cookie, auth.cookies.session) : null;
  const session = cookie ? await auth.sessions.find(cookie) : null;
  sendJson(response, 200, { user: { name: caller.name, role: caller.role, source: caller.source, canChangePassword: caller.userId !== null }, csrfToken: session?.csrfToken ?? null, methods });
}

async function changePassword(auth: Auth, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const caller = await auth.authenticate(nodeCredentials(request));
  if (!caller) throw new AuthError('Sign in first.', 401, 'UNAUTHENTICATED');
  if (caller.userId === null) throw new AuthError('Only built-in users have a Krint password; change it at your identity provider.', 403, 'FORBIDDEN');
  const body = await readJson(request);
  const current = typeof body.currentPassword === 'string' ? body.currentPassword : '';
  const next = typeof body.newPassword === 'string' ? body.newPassword : '';
  await auth.users.changePassword(caller.userId, current, next);
  // Other browsers signed in as this user are signed out; this one stays.
  await auth.sessions.deleteForUser(caller.userId, caller.sessionId);
  response.writeHead(204).end();
}

async function oidcLogin(auth: Auth, request: IncomingMessage, response: ServerResponse, url: URL, publicUrl: string | null): Promise<void> {
  if (!auth.oidc) throw new AuthError('OIDC is not configured on this server (set Oidc__Authority and Oidc__ClientId).', 403, 'FORBIDDEN');
  const returnTo = safeReturnPath(url.searchParams.get('returnTo'));
  const { url: target, state } = await auth.oidc.beginLogin(`${baseUrl(request, publicUrl)}/api/auth/oidc/callback`, returnTo);
  // Lax: the provider's redirect back is a cross-site top-level navigation.
  response.writeHead(302, {
    location: target,
    'set-cookie': serializeCookie(auth.cookies.oidcState, state, { httpOnly: true, sameSite: 'Lax', secure: auth.secureCookies, maxAge: 600, path: OIDC_COOKIE_PATH }),
    'cache-control': 'no-store',
  });
  response.end();
}

async function oidcCallback(auth: Auth, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  if (!auth.oidc) throw new AuthError('OIDC is not configured on this server.', 403, 'FORBIDDEN');
  const identity = await auth.oidc.completeLogin(url.searchParams, readCookie(request.headers.cookie, auth.cookies.oidcState));
  const { cookieValue, session } = await auth.sessions.create({ userId: null, name: identity.name, role: identity.role, source: 'oidc' });
  setSessionCookies(auth, response, cookieValue, session.csrfToken, [serializeCookie(auth.cookies.oidcState, '', { httpOnly: true, sameSite: 'Lax', secure: auth.secureCookies, maxAge: 0, path: OIDC_COOKIE_PATH })]);
  response.writeHead(302, { location: identity.returnTo, 'cache-control': 'no-store' }).end();
}

/** Only a same-origin path: `/x`, never `//host` or `/\host` (open redirects). */
function safeReturnPath(value: string | null): string {
  if (!value || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\') || /[\u0000-\u001f]/.test(value)) return '/';
  return value;
}

function baseUrl(request: IncomingMessage, publicUrl: string | null): string {
  if (publicUrl) return publicUrl;
  // Without Krint__PublicUrl the Host header is used; the provider still checks the redirect URI
  // against the ones registered for the client, so a forged Host cannot steal a code.
  return `http://${request.headers.host ?? 'localhost'}`;
}

function setSessionCookies(auth: Auth, response: ServerResponse, cookieValue: string, csrfToken: string, extra: string[] = []): void {
  const maxAge = auth.sessionLifetimeMs / 1000;
  response.setHeader('set-cookie', [
    serializeCookie(auth.cookies.session, cookieValue, { httpOnly: true, sameSite: 'Strict', secure: auth.secureCookies, maxAge }),
    // Readable by the page's script (double-submit): it sends the value back in x-krint-csrf.
    serializeCookie(auth.cookies.csrf, csrfToken, { httpOnly: false, sameSite: 'Strict', secure: auth.secureCookies, maxAge }),
    ...extra,
  ]);
}

function clearSessionCookies(auth: Auth, response: ServerResponse): void {
  response.setHeader('set-cookie', [
    serializeCookie(auth.cookies.session, '', { httpOnly: true, sameSite: 'Strict', secure: auth.secureCookies, maxAge: 0 }),
    serializeCookie(auth.cookies.csrf, '', { httpOnly: false, sameSite: 'Strict', secure: auth.secureCookies, maxAge: 0 }),
  ]);
}

/** A small JSON object body; other content types are refused (a cross-site form cannot send JSON). */
async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) throw new InvalidInputError('Send the body as application/json.', 'body');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BODY) throw new InvalidInputError(`The body is larger than ${MAX_JSON_BODY} bytes.`, 'body');
    chunks.push(chunk);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new InvalidInputError('The body is not valid JSON.', 'body');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new InvalidInputError('The body must be a JSON object.', 'body');
  return parsed as Record<string, unknown>;
}

function sendError(response: ServerResponse, error: unknown): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  if (error instanceof AuthError) {
    if (error.retryAfterSeconds) response.setHeader('retry-after', String(error.retryAfterSeconds));
    sendJson(response, error.status, { error: { type: error.code, message: error.message } });
    return;
  }
  const typed = DOMAIN_ERRORS.find((type) => error instanceof type);
  if (typed) {
    sendJson(response, error instanceof InvalidInputError ? 400 : 409, { error: { type: (error as Error).name, message: (error as Error).message, field: (error as { field?: string }).field ?? null } });
    return;
  }
  // The message may come from a library; it is not shown, and the log gets only its first line.
  console.error('Auth route failed:', error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : 'unknown error');
  sendJson(response, 500, { error: { type: 'InternalError', message: 'Unexpected error; see the server log.' } });
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}
