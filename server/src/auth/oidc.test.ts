import { exportJWK, generateKeyPair } from 'jose';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestKrint, type TestKrint } from './testing.js';

/**
 * OIDC against a real OpenID provider (`oidc-provider`) on 127.0.0.1: the browser sign-in through
 * Krint's redirect endpoints (Authorization Code + PKCE, the provider's own login and consent
 * forms), role mapping, and bearer JWTs: a good one, one for the wrong audience, an expired one,
 * and one signed after the provider rotated its key.
 */
const CLIENT_ID = 'krint-web';
const API_AUDIENCE = 'urn:krint:api';
const ROLES: Record<string, string[]> = { alice: ['admin'], victor: ['viewer'], nora: [] };

let providerServer: Server;
let handler: (request: IncomingMessage, response: ServerResponse) => void = (_q, s) => void s.writeHead(503).end();
let issuer: string;
let test: TestKrint;
let krintBase: string;
let accessTokenTtl = 600;
const consoleLines: string[] = [];

async function signingKey(kid: string) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}

/** (Re)starts the provider on the same address with the given signing keys (a key rotation). */
function startProvider(keys: Record<string, unknown>[]): void {
  const provider = new Provider(issuer, {
    clients: [
      { client_id: CLIENT_ID, redirect_uris: [`${krintBase}/api/auth/oidc/callback`, 'http://127.0.0.1:9/test-callback'], response_types: ['code'], grant_types: ['authorization_code'], token_endpoint_auth_method: 'none' },
    ],
    jwks: { keys },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    findAccount: async (_ctx: unknown, sub: string) => ({
      accountId: sub,
      claims: async () => ({ sub, preferred_username: sub, roles: ROLES[sub] ?? [] }),
    }),
    claims: { openid: ['sub'], profile: ['preferred_username'], roles: ['roles'] },
    scopes: ['openid', 'profile', 'roles'],
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'openid profile roles', audience: API_AUDIENCE, accessTokenFormat: 'jwt', accessTokenTTL: accessTokenTtl }),
      },
    },
    extraTokenClaims: async (_ctx: unknown, token: { accountId?: string }) => ({ roles: ROLES[token.accountId ?? ''] ?? [], preferred_username: token.accountId }),
    pkce: { required: () => true },
  });
  handler = provider.callback();
}

beforeAll(async () => {
  for (const method of ['log', 'error', 'warn', 'info'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void consoleLines.push(args.map(String).join(' ')));
  }
  providerServer = createServer((request, response) => handler(request, response));
  await new Promise<void>((resolve) => providerServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(providerServer.address() as AddressInfo).port}`;
  test = await startTestKrint(
    { Oidc__Authority: issuer, Oidc__ClientId: CLIENT_ID, Oidc__Audience: API_AUDIENCE, Oidc__Scopes: 'openid profile roles' },
    { localExecutor: null, authOptions: { oidc: { jwksCooldownMs: 500, clockToleranceSeconds: 0 } } },
  );
  krintBase = `http://127.0.0.1:${await test.krint.listen(0)}`;
  startProvider([await signingKey('key-1')]);
});

afterAll(async () => {
  await test?.krint.close();
  providerServer?.closeAllConnections();
  await new Promise<void>((resolve) => (providerServer ? providerServer.close(() => resolve()) : resolve()));
  vi.restoreAllMocks();
});

/** A browser's cookie jar for one origin (the provider and Krint share 127.0.0.1, so one jar per port is fine). */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index);
      const value = pair!.slice(index + 1);
      if (/max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  get(name: string): string | undefined {
    return this.cookies.get(name);
  }
}

/**
 * Drives the provider like a browser: follows redirects, fills its login form with `user` and
 * confirms consent, until a redirect leaves the provider; returns that URL.
 */
async function browseProvider(start: string, user: string, jar: CookieJar): Promise<URL> {
  let url = new URL(start);
  let method = 'GET';
  let body: URLSearchParams | undefined;
  for (let step = 0; step < 20; step++) {
    if (url.origin !== issuer) return url;
    const response = await fetch(url, { method, redirect: 'manual', headers: { cookie: jar.header(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) }, ...(body ? { body } : {}) });
    jar.store(response);
    if (response.status >= 300 && response.status < 400) {
      url = new URL(response.headers.get('location')!, url);
      method = 'GET';
      body = undefined;
      continue;
    }
    const html = await response.text();
    expect(response.status, html.slice(0, 500)).toBe(200);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    expect(action, 'the provider page has a form').toBeTruthy();
    const fields = new URLSearchParams();
    for (const match of html.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/g)) fields.set(match[1]!, match[2]!);
    if (/name="login"/.test(html)) {
      fields.set('login', user);
      fields.set('password', 'any-password');
    }
    url = new URL(action!.replace(/&amp;/g, '&'), url);
    method = 'POST';
    body = fields;
  }
  throw new Error('The provider flow did not finish in 20 steps');
}

/** A client of our own (PKCE) asking the provider directly, for bearer tokens. */
async function tokensFor(user: string): Promise<{ access_token: string; id_token: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const redirectUri = 'http://127.0.0.1:9/test-callback';
  const authorize = new URL(`${issuer}/auth`);
  authorize.search = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: 'code',
    scope: 'openid profile roles',
    redirect_uri: redirectUri,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    resource: API_AUDIENCE,
    nonce: 'n',
  }).toString();
  const back = await browseProvider(authorize.toString(), user, new CookieJar());
  const code = back.searchParams.get('code');
  expect(code, back.toString()).toBeTruthy();
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: code!, redirect_uri: redirectUri, client_id: CLIENT_ID, code_verifier: verifier, resource: API_AUDIENCE }),
  });
  const tokens = (await response.json()) as { access_token: string; id_token: string };
  expect(response.status, JSON.stringify(tokens)).toBe(200);
  return tokens;
}

async function me(headers: Record<string, string>) {
  const response = await fetch(`${krintBase}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ me { name role source } }' }) });
  return (await response.json()) as { data?: { me: { name: string; role: string; source: string } }; errors?: { message: string; extensions?: { code?: string } }[] };
}

/** Signs in through Krint's redirect endpoints like a browser; returns Krint's final response and cookies. */
async function browserSignIn(user: string): Promise<{ status: number; location: string | null; jar: CookieJar; body: string }> {
  const krintJar = new CookieJar();
  const start = await fetch(`${krintBase}/api/auth/oidc/login?returnTo=/instances`, { redirect: 'manual' });
  krintJar.store(start);
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get('location')!);
  expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
  const callback = await browseProvider(authorize.toString(), user, new CookieJar());
  expect(callback.toString()).toContain(`${krintBase}/api/auth/oidc/callback?`);
  const done = await fetch(callback, { redirect: 'manual', headers: { cookie: krintJar.header() } });
  krintJar.store(done);
  return { status: done.status, location: done.headers.get('location'), jar: krintJar, body: done.status === 302 ? '' : await done.text() };
}

describe('OIDC with a real provider', () => {
  it('signs an admin in through the browser flow (code + PKCE) into a session cookie', async () => {
    const result = await browserSignIn('alice');
    expect(result.status).toBe(302);
    expect(result.location).toBe('/instances');
    const session = result.jar.get('krint_session');
    expect(session).toBeTruthy();
    const answer = await me({ cookie: `krint_session=${session}`, 'x-krint-csrf': result.jar.get('krint_csrf')! });
    expect(answer.data?.me).toEqual({ name: 'alice', role: 'ADMIN', source: 'SESSION' });
    const status = await fetch(`${krintBase}/api/auth/me`, { headers: { cookie: `krint_session=${session}` } });
    expect(await status.json()).toMatchObject({ user: { name: 'alice', role: 'admin', canChangePassword: false }, methods: { oidc: true } });
  });

  it('maps the viewer role and refuses an account without a Krint role', async () => {
    const viewer = await browserSignIn('victor');
    expect((await me({ cookie: `krint_session=${viewer.jar.get('krint_session')}`, 'x-krint-csrf': viewer.jar.get('krint_csrf')! })).data?.me.role).toBe('VIEWER');
    const none = await browserSignIn('nora');
    expect(none.status).toBe(403);
    expect((JSON.parse(none.body) as { error: { message: string } }).error.message).toMatch(/"nora" has no Krint role: the "roles" claim must contain "admin" or "viewer"/);
    expect(none.jar.get('krint_session')).toBeUndefined();
  });

  it('refuses a callback with a forged state', async () => {
    const forged = await fetch(`${krintBase}/api/auth/oidc/callback?code=abc&state=forged`, { redirect: 'manual', headers: { cookie: 'krint_oidc_state=forged' } });
    expect(forged.status).toBe(401);
    expect(await forged.text()).toMatch(/state mismatch or expired/);
  });

  it('accepts a bearer access token for the API audience and refuses an ID token (wrong audience)', async () => {
    const tokens = await tokensFor('alice');
    expect((await me({ authorization: `Bearer ${tokens.access_token}` })).data?.me).toEqual({ name: 'alice', role: 'ADMIN', source: 'OIDC_JWT' });
    const wrongAudience = await me({ authorization: `Bearer ${tokens.id_token}` });
    expect(wrongAudience.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(wrongAudience.errors?.[0]?.message).toMatch(/claim "aud" is not acceptable/);
    const tampered = `${tokens.access_token.slice(0, -6)}AAAAAA`;
    expect((await me({ authorization: `Bearer ${tampered}` })).errors?.[0]?.message).toMatch(/refused/);
  });

  it('refuses an expired access token', async () => {
    accessTokenTtl = 1;
    const tokens = await tokensFor('alice');
    accessTokenTtl = 600;
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    const expired = await me({ authorization: `Bearer ${tokens.access_token}` });
    expect(expired.errors?.[0]?.message).toMatch(/it has expired/);
  });

  it('ends a subscription started with an access token when the token expires', async () => {
    accessTokenTtl = 3;
    const tokens = await tokensFor('alice');
    accessTokenTtl = 600;
    const expiresAt = (JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;
    const response = await fetch(`${krintBase}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${tokens.access_token}` }, body: JSON.stringify({ query: 'subscription { activity { action } }' }) });
    expect(response.status).toBe(200);
    const text = await response.text(); // the stream ends when the token does
    const endedAt = Date.now();
    expect(endedAt).toBeGreaterThanOrEqual(expiresAt);
    expect(endedAt - expiresAt).toBeLessThan(1_000);
    expect(text).toMatch(/The credentials of this subscription expired/);
  });

  it('follows a key rotation: tokens from the new key work without a restart, the removed key stops working', async () => {
    const before = await tokensFor('alice');
    expect((await me({ authorization: `Bearer ${before.access_token}` })).data?.me.name).toBe('alice');
    startProvider([await signingKey('key-2')]);
    const after = await tokensFor('victor');
    expect(JSON.parse(Buffer.from(after.access_token.split('.')[0]!, 'base64url').toString()).kid).toBe('key-2');
    await new Promise((resolve) => setTimeout(resolve, 600)); // past the JWKS cooldown
    expect((await me({ authorization: `Bearer ${after.access_token}` })).data?.me).toEqual({ name: 'victor', role: 'VIEWER', source: 'OIDC_JWT' });
    const old = await me({ authorization: `Bearer ${before.access_token}` });
    expect(old.errors?.[0]?.message).toMatch(/refused/);
  }, 20_000);

  it('never logs a token', () => {
    expect([...test.logs, ...consoleLines].join('\n')).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });
});
