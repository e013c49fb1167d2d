import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { parse } from 'graphql/index.js';
import { boundedParserCache, DEFAULT_GRAPHQL_LIMITS, PARSE_CACHE_LIMITS } from '../auth/index.js';
import { startTestKrint } from '../auth/testing.js';
import { startServerProcess, type ServerProcess } from '../testing/server-process.js';
import { REQUEST_TIMEOUTS } from './edge.js';

/**
 * A hostile client against the control plane running as its own process (`src/main.ts`), so that
 * its memory is the process's RSS and a crash is a dead process. Every probe ends by checking the
 * process is alive and answering.
 */

/** The process starts at about 200 MB (tsx compiles the sources in it); this leaves room for work, not for documents. */
const RSS_CEILING_MB = 360;
const ADMIN_PASSWORD = 'Vq7-harbor-lantern-88';
/** A page on another port of the same host: the attacker of the cross-origin findings. */
const FOREIGN = 'http://127.0.0.1:9';
const ALLOWED = 'http://tools.example.test:8080';
const NODE_TOKEN = 'krn_edge-test-node-token-0123456789';

let server: ServerProcess;
let session: { cookie: string; csrf: string };

beforeAll(async () => {
  server = await startServerProcess({ Auth__AdminPassword: ADMIN_PASSWORD, Krint__AllowedOrigins: ALLOWED, Node__Tokens__0: NODE_TOKEN });
  const response = await fetch(`${server.base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
  expect(response.status).toBe(200);
  const cookies = response.headers.getSetCookie().map((line) => line.split(';')[0]!);
  session = { cookie: cookies.join('; '), csrf: ((await response.json()) as { csrfToken: string }).csrfToken };
});

afterAll(async () => {
  await server?.stop();
});

afterEach(async () => {
  expect(await server.alive(), `the control plane process died; its output:\n${server.output().slice(-4000)}`).toBe(true);
});

/** `{ a0:__typename … a56499:__typename } #n`: just over 1 MB, and distinct for every `n`. */
function megabyteDocument(n: number): string {
  return `{ ${Array.from({ length: 56_500 }, (_, i) => `a${i}:__typename`).join(' ')} } #${n}`;
}

async function postGraphQL(query: string, headers: Record<string, string> = {}): Promise<{ status: number; body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } }> {
  const response = await fetch(`${server.base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  return { status: response.status, body: (await response.json()) as never };
}

const signedIn = () => ({ cookie: session.cookie, 'x-krint-csrf': session.csrf });

describe('memory under hostile documents', () => {
  it('stays under the ceiling through 200 distinct 1 MB anonymous documents, each refused before it is parsed', async () => {
    expect(megabyteDocument(0).length).toBeGreaterThan(1_000_000);
    let peak = 0;
    for (let n = 0; n < 200; n++) {
      const { status, body } = await postGraphQL(megabyteDocument(n));
      expect(status).toBe(401);
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      peak = Math.max(peak, server.rssMb());
      expect(peak, `RSS after ${n + 1} documents`).toBeLessThan(RSS_CEILING_MB);
    }
    expect(server.peakRssMb()).toBeLessThan(RSS_CEILING_MB);
  });

  it('stays under the ceiling through distinct 1 MB documents from a signed-in caller: the parser stops at its token limit', async () => {
    for (let n = 0; n < 40; n++) {
      const { body } = await postGraphQL(megabyteDocument(1000 + n), signedIn());
      expect(body.errors?.[0]?.message).toMatch(new RegExp(`contains more th\\w+ ${DEFAULT_GRAPHQL_LIMITS.maxTokens} tokens`));
      expect(server.rssMb(), `RSS after ${n + 1} documents`).toBeLessThan(RSS_CEILING_MB);
    }
  });

  it('answers a signed-in socket sending distinct 1 MB documents with the token-limit error, and stays under the ceiling', async () => {
    const client = createClient({
      url: `${server.base.replace('http', 'ws')}/graphql`,
      webSocketImpl: class extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers: { cookie: session.cookie } });
        }
      },
      connectionParams: { 'x-krint-csrf': session.csrf },
      retryAttempts: 0,
    });
    try {
      for (let n = 0; n < 20; n++) {
        const outcome = await new Promise<string>((resolve) => {
          client.subscribe({ query: megabyteDocument(2000 + n) }, { next: () => resolve('data'), error: (error) => resolve(JSON.stringify(error)), complete: () => resolve('complete') });
        });
        expect(outcome).toMatch(new RegExp(`contains more th\\w+ ${DEFAULT_GRAPHQL_LIMITS.maxTokens} tokens`));
        expect(server.rssMb(), `RSS after ${n + 1} documents`).toBeLessThan(RSS_CEILING_MB);
      }
    } finally {
      await client.dispose();
    }
  });

  it('keeps the parse cache bounded by text: 400 distinct 14 KiB documents leave at most its byte budget, a larger one is not kept', () => {
    // In-process: RSS cannot tell documents held from garbage not yet collected at this scale.
    const cache = boundedParserCache().documentCache;
    const fields = Array.from({ length: 1000 }, (_, i) => `b${i}:__typename`).join(' ');
    for (let n = 0; n < 400; n++) {
      const source = `{ ${fields} } #${n}`;
      cache.set(source, parse(source));
    }
    expect(cache.calculatedSize).toBeLessThanOrEqual(PARSE_CACHE_LIMITS.totalBytes);
    expect(cache.size).toBe(Math.floor(PARSE_CACHE_LIMITS.totalBytes / `{ ${fields} } #399`.length));
    const large = `{ ${fields} ${fields.replaceAll('b', 'c')} }`;
    cache.set(large, parse(large));
    expect(cache.has(large)).toBe(false);
  });
});

/** One request on a connection of its own: status and headers of the answer, and its body. */
function rawRequest(method: string, path: string, headers: Record<string, string>, body = ''): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${server.base}${path}`, { method, headers, agent: false }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

function webSocketAnswer(origin: string | null): Promise<{ opened: boolean; status: number | null }> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { cookie: session.cookie };
    if (origin) headers.origin = origin;
    const socket = new WebSocket(`${server.base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', { headers });
    socket.once('open', () => {
      socket.close();
      resolve({ opened: true, status: 101 });
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve({ opened: false, status: response.statusCode ?? null });
      socket.terminate();
    });
    socket.once('error', () => resolve({ opened: false, status: null }));
  });
}

describe('cross-origin requests', () => {
  it('grant a foreign origin no CORS and refuse its preflight, its requests and its sign-in check, cookies or not', async () => {
    const preflight = await rawRequest('OPTIONS', '/graphql', { origin: FOREIGN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-krint-csrf' });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    expect(preflight.headers['access-control-allow-headers']).toBeUndefined();
    const query = JSON.stringify({ query: '{ me { name role } }' });
    const post = await rawRequest('POST', '/graphql', { origin: FOREIGN, 'content-type': 'application/json', 'content-length': String(query.length), ...signedIn() }, query);
    expect(post.status).toBe(403);
    expect(post.body).not.toContain('admin');
    expect(post.headers['access-control-allow-origin']).toBeUndefined();
    const me = await rawRequest('GET', '/api/auth/me', { origin: FOREIGN, cookie: session.cookie });
    expect(me.status).toBe(403);
    expect(me.body).not.toContain(session.csrf);
    // A subdomain, a sandboxed frame (`null`) and the same host on another port are all foreign.
    for (const origin of [`http://evil.127.0.0.1.nip.io:${server.port}`, 'null', `http://localhost:${server.port + 1}`]) {
      expect((await rawRequest('POST', '/graphql', { origin, 'content-type': 'application/json', 'content-length': String(query.length), ...signedIn() }, query)).status, origin).toBe(403);
    }
  });

  it('grant an origin of Krint__AllowedOrigins credentialed CORS with the CSRF header, and the own origin needs none', async () => {
    const preflight = await rawRequest('OPTIONS', '/graphql', { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, x-krint-csrf' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    expect(preflight.headers['access-control-allow-headers']).toContain('x-krint-csrf');
    const query = JSON.stringify({ query: '{ me { name } }' });
    const allowed = await rawRequest('POST', '/graphql', { origin: ALLOWED, 'content-type': 'application/json', 'content-length': String(query.length), ...signedIn() }, query);
    expect(allowed.status).toBe(200);
    expect(JSON.parse(allowed.body)).toEqual({ data: { me: { name: 'admin' } } });
    expect(allowed.headers['access-control-allow-origin']).toBe(ALLOWED);
    const own = await rawRequest('POST', '/graphql', { origin: server.base, 'content-type': 'application/json', 'content-length': String(query.length), ...signedIn() }, query);
    expect(JSON.parse(own.body)).toEqual({ data: { me: { name: 'admin' } } });
    expect(own.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuse a WebSocket upgrade and an SSE subscription from a foreign origin, and allow them from the own one', async () => {
    expect(await webSocketAnswer(FOREIGN)).toEqual({ opened: false, status: 403 });
    expect(await webSocketAnswer(server.base)).toEqual({ opened: true, status: 101 });
    expect(await webSocketAnswer(null)).toEqual({ opened: true, status: 101 });
    const subscription = `/graphql?query=${encodeURIComponent('subscription { activity { id } }')}`;
    const sse = await rawRequest('GET', subscription, { origin: FOREIGN, accept: 'text/event-stream', cookie: session.cookie });
    expect(sse.status).toBe(403);
    expect(sse.headers['content-type']).not.toContain('event-stream');
  });

  it('let nodes reach the hub without an Origin, and refuse a present foreign one', async () => {
    const negotiate = (headers: Record<string, string>) => rawRequest('POST', '/hubs/node/negotiate?negotiateVersion=1', { authorization: `Bearer ${NODE_TOKEN}`, ...headers });
    expect((await negotiate({})).status).toBe(200);
    const foreign = await negotiate({ origin: FOREIGN });
    expect(foreign.status).toBe(401);
    expect(foreign.body).not.toContain('connectionToken');
  });

  it('serve GraphiQL without any CSRF token in the page, allowing exactly its own inline scripts', async () => {
    const page = await rawRequest('GET', '/graphql', { accept: 'text/html', cookie: session.cookie });
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/graphiql/i);
    expect(page.body).not.toContain(session.csrf);
    expect(page.body).toContain('krintCsrfHeaders()');
    const policy = String(page.headers['content-security-policy']);
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toMatch(/script-src[^;]*'unsafe-inline'/);
    const scripts = [...page.body.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`);
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const hash of scripts) expect(policy).toContain(hash);
    const anonymous = await rawRequest('GET', '/graphql', { accept: 'text/html' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).not.toMatch(/graphiql/i);
  });

  it('name the cookies __Host- (Secure, Path=/, no Domain) when served over https, and accept only those names', async () => {
    const test = await startTestKrint({ Auth__AdminPassword: ADMIN_PASSWORD, Krint__PublicUrl: 'https://krint.example.test' });
    try {
      const base = `http://127.0.0.1:${await test.krint.listen(0)}`;
      const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
      expect(login.status).toBe(200);
      const lines = login.headers.getSetCookie();
      expect(lines.map((line) => line.split('=')[0]).sort()).toEqual(['__Host-krint_csrf', '__Host-krint_session']);
      for (const line of lines) {
        expect(line).toMatch(/; Secure/);
        expect(line).toMatch(/Path=\/;/);
        expect(line).not.toMatch(/Domain=/i);
      }
      const value = lines.find((line) => line.startsWith('__Host-krint_session='))!.split(';')[0]!.split('=')[1]!;
      const me = async (cookie: string) => (await fetch(`${base}/api/auth/me`, { headers: { cookie } })).status;
      expect(await me(`__Host-krint_session=${value}`)).toBe(200);
      expect(await me(`krint_session=${value}`)).toBe(401);
    } finally {
      await test.krint.close();
    }
  });
});

describe('request hygiene', () => {
  it('answers malformed %-escapes with 400 and one log line, no stack trace, on every kind of path', async () => {
    const before = server.output().length;
    for (const path of ['/%E0%A4%A', '/assets/%zz.js', '/graphql/%', '/api/backups/%C0%AF', '/api/auth/%ff']) {
      const answer = await rawRequest('GET', path, {});
      expect(answer.status, path).toBe(400);
      expect(answer.body, path).toMatch(/malformed/);
    }
    expect(server.output().slice(before)).not.toMatch(/\n\s+at /);
  });

  it('closes the connection of a request it answered before reading its body soon after, instead of waiting for the body', async () => {
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.write('POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"query":"');
      });
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1.1 401/);
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUTS.lingerMs + 3_000);
  });

  it('ends a signed-in request whose body trickles in after the small-body deadline (408), and a header trickle after the header deadline', async () => {
    const trickle = (head: string, drop: string) =>
      new Promise<{ answer: string; ms: number }>((resolve) => {
        const started = Date.now();
        const socket = connect(server.port, '127.0.0.1', () => socket.write(head));
        // One byte a second: never idle, never done.
        const drip = setInterval(() => socket.write(drop), 1_000);
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString()));
        socket.on('close', () => {
          clearInterval(drip);
          resolve({ answer, ms: Date.now() - started });
        });
        socket.on('error', () => undefined);
      });
    const [body, headers] = await Promise.all([
      trickle(`POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nCookie: ${session.cookie}\r\nx-krint-csrf: ${session.csrf}\r\nContent-Length: 100000\r\n\r\n{"query":"`, ' '),
      trickle('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ', 'x'),
    ]);
    expect(body.answer).toMatch(/^HTTP\/1.1 408/);
    expect(body.ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUTS.smallBodyMs - 500);
    expect(body.ms).toBeLessThan(REQUEST_TIMEOUTS.smallBodyMs + 5_000);
    expect(headers.ms).toBeLessThan(REQUEST_TIMEOUTS.headersMs + REQUEST_TIMEOUTS.checkEveryMs + 3_000);
  }, 40_000);

  it('sends the security headers on the web client, the API and refusals', async () => {
    const probes: [string, string, Record<string, string>, string][] = [
      ['GET', '/', {}, ''],
      ['GET', '/some/client/route', {}, ''],
      ['POST', '/graphql', { 'content-type': 'application/json', 'content-length': '2' }, '{}'],
      ['GET', '/api/auth/me', {}, ''],
      ['POST', '/nowhere', {}, ''],
    ];
    for (const [method, path, headers, body] of probes) {
      const answer = await rawRequest(method, path, headers, body);
      expect(answer.headers['content-security-policy'], path).toMatch(/frame-ancestors 'none'/);
      expect(answer.headers['x-content-type-options'], path).toBe('nosniff');
      expect(answer.headers['referrer-policy'], path).toBe('no-referrer');
    }
    const app = await rawRequest('GET', '/', {});
    expect(app.headers['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
  });

  it('listens on Krint__BindAddress when it is set, and on every interface when not', async () => {
    // Every interface is `::` with IPv6, `0.0.0.0` without.
    for (const [env, expected] of [[{ Krint__BindAddress: '127.0.0.1' }, ['127.0.0.1']], [{}, ['::', '0.0.0.0']]] as const) {
      const test = await startTestKrint({ Auth__AdminPassword: ADMIN_PASSWORD, ...env });
      try {
        await test.krint.listen(0);
        expect(expected).toContain((test.krint.server.address() as AddressInfo).address);
      } finally {
        await test.krint.close();
      }
    }
  });

  it('shows an anonymous caller no field suggestions', async () => {
    const { status, body } = await postGraphQL('{ instancez { id } }');
    expect(status).toBe(401);
    expect(JSON.stringify(body)).not.toMatch(/Did you mean/i);
    const signedInAnswer = await postGraphQL('{ instancez { id } }', signedIn());
    expect(signedInAnswer.body.errors?.[0]?.message).toMatch(/Cannot query field "instancez"/);
  });
});
