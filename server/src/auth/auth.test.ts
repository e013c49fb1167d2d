import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import { Instance } from '../db/entities.js';
import { bearerFor, startTestKrint, type TestKrint } from './testing.js';

/**
 * The sign-in surface over real HTTP (ephemeral port): sessions, CSRF, logout, password change,
 * rate limits, API tokens on every transport (GraphQL, SSE, graphql-ws, backup download), GraphQL
 * hardening and secrets that never reach the log or an error message.
 */
const ADMIN_PASSWORD = 'first-Start-pw-9-krint';
let test: TestKrint;
let base: string;
/** Every password and token the tests create; none may appear in any log line. */
const secrets: string[] = [ADMIN_PASSWORD];
const consoleLines: string[] = [];

beforeAll(async () => {
  for (const method of ['log', 'error', 'warn', 'info'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void consoleLines.push(args.map(String).join(' ')));
  }
  test = await startTestKrint({ Auth__AdminPassword: ADMIN_PASSWORD, Krint__PublicUrl: 'http://127.0.0.1:5999' }, { localExecutor: null, authOptions: { loginLimits: { perUserAndAddress: 3 }, socketRecheckMs: 300 } });
  base = `http://127.0.0.1:${await test.krint.listen(0)}`;
});

afterAll(async () => {
  await test?.krint.close();
  vi.restoreAllMocks();
});

interface Session {
  cookie: string;
  csrf: string;
}

function cookiesOf(response: Response): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const index = pair!.indexOf('=');
    cookies[pair!.slice(0, index)] = decodeURIComponent(pair!.slice(index + 1));
  }
  return cookies;
}

async function login(username: string, password: string): Promise<Response> {
  return fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
}

async function signIn(username: string, password: string): Promise<Session> {
  const response = await login(username, password);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { csrfToken: string; user: { name: string; role: string } };
  const cookies = cookiesOf(response);
  expect(cookies.krint_csrf).toBe(body.csrfToken);
  return { cookie: `krint_session=${cookies.krint_session}; krint_csrf=${cookies.krint_csrf}`, csrf: body.csrfToken };
}

async function gql(query: string, headers: Record<string, string>, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return { status: response.status, body: (await response.json()) as { data?: Record<string, any>; errors?: { message: string; extensions?: { code?: string } }[] } };
}

function codes(body: { errors?: { extensions?: { code?: string } }[] }): (string | undefined)[] {
  return (body.errors ?? []).map((e) => e.extensions?.code);
}

const CREATE_TOKEN = 'mutation($name: String!, $role: Role!, $expiresAt: DateTime!) { createApiToken(name: $name, role: $role, expiresAt: $expiresAt) { __typename ... on CreatedApiToken { token apiToken { id name role } } ... on Error { message } } }';

describe('built-in sign-in with session cookies', () => {
  it('sets HttpOnly SameSite cookies and reports the caller on /api/auth/me', async () => {
    const response = await login('admin', ADMIN_PASSWORD);
    expect(response.status).toBe(200);
    const lines = response.headers.getSetCookie();
    const session = lines.find((l) => l.startsWith('krint_session='))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/SameSite=Strict/);
    expect(session).not.toMatch(/Secure/); // the public URL is not https here
    expect(lines.find((l) => l.startsWith('krint_csrf='))).not.toMatch(/HttpOnly/);
    const cookies = cookiesOf(response);
    const me = await fetch(`${base}/api/auth/me`, { headers: { cookie: `krint_session=${cookies.krint_session}` } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { name: 'admin', role: 'admin', source: 'session', canChangePassword: true }, csrfToken: cookies.krint_csrf, methods: { password: true, oidc: false } });
    const anonymous = await fetch(`${base}/api/auth/me`);
    expect(anonymous.status).toBe(401);
  });

  it('refuses a wrong password with one message for unknown users and wrong passwords', async () => {
    const wrong = await login('admin', 'not-the-password');
    const unknown = await login('nobody', 'not-the-password');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect((await wrong.json()).error.message).toBe((await unknown.json()).error.message);
  });

  it('refuses a mutation with the cookie but without the CSRF token, and runs it with the token', async () => {
    const session = await signIn('admin', ADMIN_PASSWORD);
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const withoutToken = await gql(CREATE_TOKEN, { cookie: session.cookie }, { name: 'csrf-check', role: 'VIEWER', expiresAt });
    expect(withoutToken.status).toBe(403);
    expect(codes(withoutToken.body)).toContain('CSRF');
    expect(await test.krint.auth.apiTokens.list()).toHaveLength(0);
    const wrongToken = await gql(CREATE_TOKEN, { cookie: session.cookie, 'x-krint-csrf': 'forged' }, { name: 'csrf-check', role: 'VIEWER', expiresAt });
    expect(codes(wrongToken.body)).toContain('CSRF');
    const withToken = await gql(CREATE_TOKEN, { cookie: session.cookie, 'x-krint-csrf': session.csrf }, { name: 'csrf-check', role: 'VIEWER', expiresAt });
    expect(withToken.body.data?.createApiToken.__typename).toBe('CreatedApiToken');
    secrets.push(withToken.body.data?.createApiToken.token);
    await test.krint.auth.apiTokens.revoke(withToken.body.data?.createApiToken.apiToken.id);
    // A GET query needs no token (it cannot change anything).
    const get = await fetch(`${base}/graphql?query=${encodeURIComponent('{ me { name role } }')}`, { headers: { cookie: session.cookie, accept: 'application/json' } });
    expect(((await get.json()) as { data: unknown }).data).toEqual({ me: { name: 'admin', role: 'ADMIN' } });
  });

  it('signs out: the cookie stops working', async () => {
    const session = await signIn('admin', ADMIN_PASSWORD);
    expect((await fetch(`${base}/api/auth/logout`, { method: 'POST', headers: { cookie: session.cookie } })).status).toBe(403);
    expect((await fetch(`${base}/api/auth/logout`, { method: 'POST', headers: { cookie: session.cookie, 'x-krint-csrf': session.csrf } })).status).toBe(204);
    const after = await gql('{ me { name } }', { cookie: session.cookie, 'x-krint-csrf': session.csrf });
    expect(codes(after.body)).toContain('UNAUTHENTICATED');
  });

  it('changes a password, signs other browsers out, and the old password stops working', async () => {
    const admin = await bearerFor(test.krint, 'admin');
    const created = await gql('mutation { createKrintUser(name: "olga", password: "Kx7-first-pass-word", role: VIEWER) { __typename ... on KrintUser { id role } } }', { authorization: admin });
    expect(created.body.data?.createKrintUser).toMatchObject({ __typename: 'KrintUser', role: 'VIEWER' });
    secrets.push('Kx7-first-pass-word', 'Kx7-second-pass-word');
    const first = await signIn('olga', 'Kx7-first-pass-word');
    const second = await signIn('olga', 'Kx7-first-pass-word');
    const change = (current: string, next: string) =>
      fetch(`${base}/api/auth/password`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: first.cookie, 'x-krint-csrf': first.csrf }, body: JSON.stringify({ currentPassword: current, newPassword: next }) });
    const wrongCurrent = await change('not-my-password', 'Kx7-second-pass-word');
    expect(wrongCurrent.status).toBe(400);
    expect(JSON.stringify(await wrongCurrent.json())).not.toContain('Kx7-second-pass-word');
    expect((await change('Kx7-first-pass-word', 'short')).status).toBe(400);
    expect((await change('Kx7-first-pass-word', 'Kx7-second-pass-word')).status).toBe(204);
    expect((await login('olga', 'Kx7-first-pass-word')).status).toBe(401);
    expect((await login('olga', 'Kx7-second-pass-word')).status).toBe(200);
    expect(codes((await gql('{ me { name } }', { cookie: second.cookie, 'x-krint-csrf': second.csrf })).body)).toContain('UNAUTHENTICATED');
    expect((await gql('{ me { name } }', { cookie: first.cookie, 'x-krint-csrf': first.csrf })).body.data).toEqual({ me: { name: 'olga' } });
    // A viewer session cannot change anything either.
    expect(codes((await gql(CREATE_TOKEN, { cookie: first.cookie, 'x-krint-csrf': first.csrf }, { name: 'x', role: 'ADMIN', expiresAt: '2030-01-01T00:00:00Z' })).body)).toContain('FORBIDDEN');
  });

  it('rate-limits failed sign-ins per user name and address with a clear error, even for the right password', async () => {
    const admin = await bearerFor(test.krint, 'admin');
    await gql('mutation { createKrintUser(name: "rita", password: "Qm4-ritas-pass-word", role: VIEWER) { __typename } }', { authorization: admin });
    secrets.push('Qm4-ritas-pass-word');
    for (let i = 0; i < 3; i++) expect((await login('rita', `wrong-${i}`)).status).toBe(401);
    const limited = await login('rita', 'Qm4-ritas-pass-word');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.json()).error.message).toMatch(/Too many sign-in attempts for this user name from this address; try again in \d+ second/);
    // Another user from the same address is not locked out by rita's failures.
    expect((await login('admin', ADMIN_PASSWORD)).status).toBe(200);
  });
});

describe('API tokens', () => {
  it('are created once, used as bearer tokens, expire and can be revoked', async () => {
    const admin = await signIn('admin', ADMIN_PASSWORD);
    const headers = { cookie: admin.cookie, 'x-krint-csrf': admin.csrf };
    const soon = new Date(Date.now() + 1_500).toISOString();
    const created = await gql(CREATE_TOKEN, headers, { name: 'ci-viewer', role: 'VIEWER', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    const short = await gql(CREATE_TOKEN, headers, { name: 'short-lived', role: 'ADMIN', expiresAt: soon });
    const token: string = created.body.data?.createApiToken.token;
    const shortToken: string = short.body.data?.createApiToken.token;
    secrets.push(token, shortToken);
    expect(token).toMatch(/^krint_at_/);

    const listed = await gql('{ apiTokens { name role createdBy } }', headers);
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect(listed.body.data?.apiTokens).toEqual(expect.arrayContaining([{ name: 'ci-viewer', role: 'VIEWER', createdBy: 'admin' }]));

    const asViewer = await gql('{ me { name role source } }', { authorization: `Bearer ${token}` });
    expect(asViewer.body.data?.me).toEqual({ name: 'token:ci-viewer', role: 'VIEWER', source: 'API_TOKEN' });
    expect(codes((await gql(CREATE_TOKEN, { authorization: `Bearer ${token}` }, { name: 'x', role: 'ADMIN', expiresAt: '2030-01-01T00:00:00Z' })).body)).toContain('FORBIDDEN');
    expect((await gql('{ me { name } }', { authorization: `Bearer ${shortToken}` })).body.data?.me.name).toBe('token:short-lived');

    await new Promise((resolve) => setTimeout(resolve, 1_700));
    const expired = await gql('{ me { name } }', { authorization: `Bearer ${shortToken}` });
    expect(expired.status).toBe(401);
    expect(expired.body.errors?.[0]?.message).toMatch(/unknown, revoked or expired/);

    const revoke = await gql('mutation($id: ID!) { revokeApiToken(id: $id) { __typename } }', headers, { id: created.body.data?.createApiToken.apiToken.id });
    expect(revoke.body.data?.revokeApiToken.__typename).toBe('Removed');
    expect(codes((await gql('{ me { name } }', { authorization: `Bearer ${token}` })).body)).toContain('UNAUTHENTICATED');
    expect(codes((await gql('{ me { name } }', { authorization: 'Bearer krint_at_made-up' })).body)).toContain('UNAUTHENTICATED');
    expect(codes((await gql('{ me { name } }', { authorization: 'Basic YWRtaW46YWRtaW4=' })).body)).toContain('UNAUTHENTICATED');

    const past = await gql(CREATE_TOKEN, headers, { name: 'past', role: 'VIEWER', expiresAt: '2001-01-01T00:00:00Z' });
    expect(past.body.data?.createApiToken).toMatchObject({ __typename: 'InvalidInputError' });
  }, 20_000);

  it('authenticate graphql-ws connections (connectionParams) and refuse sockets without credentials', async () => {
    const admin = await bearerFor(test.krint, 'admin');
    secrets.push(admin);
    const session = await signIn('admin', ADMIN_PASSWORD);
    const connect = (params: Record<string, unknown>, headers: Record<string, string> = {}) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', { headers });
        const timer = setTimeout(() => {
          socket.terminate();
          resolve('timeout');
        }, 5_000);
        socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: params })));
        socket.on('message', (data) => {
          if (JSON.parse(String(data)).type === 'connection_ack') {
            clearTimeout(timer);
            socket.close();
            resolve('ack');
          }
        });
        socket.on('close', (code) => {
          clearTimeout(timer);
          resolve(`closed ${code}`);
        });
        socket.on('error', () => undefined);
      });
    expect(await connect({})).toBe('closed 4403');
    expect(await connect({ authorization: 'Bearer krint_at_made-up' })).toBe('closed 4403');
    expect(await connect({ authorization: admin })).toBe('ack');
    // A cookie alone is not enough on a WebSocket (cross-site WebSocket hijacking): the CSRF token must come too.
    expect(await connect({}, { cookie: session.cookie })).toBe('closed 4403');
    expect(await connect({ 'x-krint-csrf': session.csrf }, { cookie: session.cookie })).toBe('ack');
  });

  it('end running graphql-ws subscriptions when the token is revoked or the session signs out', async () => {
    /** Opens a socket, starts `activity`, then runs `cut` and reports how the socket ended. */
    const subscribeThenCut = (params: Record<string, unknown>, headers: Record<string, string>, cut: () => Promise<void>) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', { headers });
        const timer = setTimeout(() => {
          socket.terminate();
          resolve('still open');
        }, 2_500);
        socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: params })));
        socket.on('message', (data) => {
          if (JSON.parse(String(data)).type !== 'connection_ack') return;
          socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { activity { action } }' } }));
          setTimeout(() => void cut(), 200);
        });
        socket.on('close', (code) => {
          clearTimeout(timer);
          resolve(`closed ${code}`);
        });
        socket.on('error', () => undefined);
      });
    const { token, record } = await test.krint.auth.apiTokens.create({ name: 'short-watch', role: 'viewer', expiresAt: new Date(Date.now() + 3_600_000), createdBy: 'test' });
    secrets.push(token);
    // Control: while the token is valid, the socket stays open past several re-checks.
    expect(await subscribeThenCut({ authorization: `Bearer ${token}` }, {}, async () => undefined)).toBe('still open');
    expect(await subscribeThenCut({ authorization: `Bearer ${token}` }, {}, async () => void (await test.krint.auth.apiTokens.revoke(record.id)))).toBe('closed 4403');
    const session = await signIn('admin', ADMIN_PASSWORD);
    const logout = async () => {
      expect((await fetch(`${base}/api/auth/logout`, { method: 'POST', headers: { cookie: session.cookie, 'x-krint-csrf': session.csrf } })).status).toBe(204);
    };
    expect(await subscribeThenCut({ 'x-krint-csrf': session.csrf }, { cookie: session.cookie }, logout)).toBe('closed 4403');
  });

  it('protect the backup download route (admin only)', async () => {
    const url = `${base}/api/backups/00000000-0000-0000-0000-000000000000/download`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: await bearerFor(test.krint, 'viewer') } })).status).toBe(403);
    const admin = await fetch(url, { headers: { authorization: await bearerFor(test.krint, 'admin') } });
    expect(admin.status).toBe(404); // past authentication: the backup does not exist
    expect((await fetch(`${base}/api/backups/upload?instanceId=x`, { method: 'POST' })).status).toBe(401);
  });
});

describe('credentials stay in their lane', () => {
  it('the node hub refuses user sessions and API tokens; the API refuses node tokens', async () => {
    const session = await signIn('admin', ADMIN_PASSWORD);
    const adminToken = await bearerFor(test.krint, 'admin');
    const negotiate = (headers: Record<string, string>) => fetch(`${base}/hubs/node/negotiate?negotiateVersion=1`, { method: 'POST', headers });
    expect((await negotiate({ cookie: session.cookie, 'x-krint-csrf': session.csrf })).status).toBe(401);
    expect((await negotiate({ authorization: adminToken })).status).toBe(401);
    expect((await fetch(`${base}/hubs/node/negotiate?negotiateVersion=1&access_token=${encodeURIComponent(adminToken.slice(7))}`, { method: 'POST' })).status).toBe(401);
    const nodeToken = await gql('mutation { addNode(name: "lane-check") { __typename ... on AddedNode { token } ... on Error { message } } }', { authorization: adminToken });
    const token: string = nodeToken.body.data?.addNode.token;
    expect(String(token), JSON.stringify(nodeToken.body)).toMatch(/^krn_/);
    secrets.push(token);
    expect(codes((await gql('{ me { name } }', { authorization: `Bearer ${token}` })).body)).toContain('UNAUTHENTICATED');
    expect((await negotiate({ authorization: `Bearer ${token}` })).status).toBe(200);
  });
});

describe('secrets by role', () => {
  it('shows connection passwords to admins only', async () => {
    const { orm, vault } = test.krint.services.deps;
    const em = orm.em.fork();
    const rootPassword = 'rootpass-AbCdEf123456';
    secrets.push(rootPassword);
    em.create(Instance, { engine: 'postgres', version: '15', name: 'secret holder', slug: 'secret-holder', containerId: 'c1', hostPort: 45432, defaultDatabase: 'app', rootUser: 'postgres', rootPasswordSealed: vault.seal(rootPassword), status: 'ready' });
    await em.flush();
    const query = '{ instances { name rootUser connection { host password strings { value } } } }';
    const viewer = await gql(query, { authorization: await bearerFor(test.krint, 'viewer') });
    expect(viewer.body.data?.instances[0]).toMatchObject({ name: 'secret holder', rootUser: 'postgres', connection: null });
    expect(codes(viewer.body)).toContain('FORBIDDEN');
    expect(JSON.stringify(viewer.body)).not.toContain(rootPassword);
    const admin = await gql(query, { authorization: await bearerFor(test.krint, 'admin') });
    expect(admin.body.data?.instances[0].connection.password).toBe(rootPassword);
  });
});

describe('GraphQL hardening', () => {
  it('allows introspection and GraphiQL only to signed-in callers', async () => {
    const anonymous = await gql('{ __schema { queryType { name } } }', {});
    expect(codes(anonymous.body)).toContain('UNAUTHENTICATED');
    expect(anonymous.body.data ?? null).toBeNull();
    const nested = await gql('query { ... on Query { __type(name: "Query") { name } } }', {});
    expect(codes(nested.body)).toContain('UNAUTHENTICATED');
    const viewer = await gql('{ __schema { queryType { name } } }', { authorization: await bearerFor(test.krint, 'viewer') });
    expect(viewer.body.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const page = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/graphiql/i);
    const adminPage = await fetch(`${base}/graphql`, { headers: { accept: 'text/html', authorization: await bearerFor(test.krint, 'admin') } });
    expect(await adminPage.text()).toMatch(/graphiql/i);
  });

  it('refuses too deep, too wide and too large requests', async () => {
    const admin = await bearerFor(test.krint, 'admin');
    const deep = await gql(`{ __schema { types { fields { type { ${'ofType { '.repeat(8)}name${' }'.repeat(8)} } } } } }`, { authorization: admin });
    expect(deep.body.errors?.[0]?.message).toMatch(/nested 13 levels deep; the limit is 12/);
    const wide = await gql(`{ ${Array.from({ length: 1600 }, (_, i) => `a${i}: me { name }`).join(' ')} }`, { authorization: admin });
    expect(wide.body.errors?.[0]?.message).toMatch(/more than 1500 fields/);
    const cyclic = await gql('query { ...A } fragment A on Query { me { name } ...B } fragment B on Query { ...A }', { authorization: admin });
    expect(cyclic.body.errors?.length).toBeGreaterThan(0);
    expect(cyclic.body.data ?? null).toBeNull();
    const huge = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: admin }, body: JSON.stringify({ query: `{ me { name } } # ${'x'.repeat(2 * 1024 * 1024)}` }) });
    expect(huge.status).toBe(413);
    // The server's own size check is the only one (yoga's is off): a body streamed without a
    // declared length is refused before it is read.
    const chunked = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: admin, 'transfer-encoding': 'chunked' } }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      request.write('{"query":"{ me { name } }"');
      request.end('}');
    });
    expect(chunked).toBe(411);
  });
});

describe('logs', () => {
  it('never contain a password or token the tests created', () => {
    const everything = [...test.logs, ...consoleLines].join('\n');
    expect(test.logs.join('\n')).toMatch(/Created the built-in user "admin" with the password from Auth__AdminPassword/);
    expect(secrets.length).toBeGreaterThan(8);
    for (const secret of secrets) expect(everything.includes(secret.replace(/^Bearer /, '')), `a secret reached the log`).toBe(false);
  });
});
