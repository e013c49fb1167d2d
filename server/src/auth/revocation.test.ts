import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { bearerFor, startTestKrint, type TestKrint } from './testing.js';

/**
 * Revoking a credential ends its open subscriptions on both transports (SSE and graphql-ws)
 * within a second, against the real server. The socket re-check keeps its 30 s default here, so
 * only the revocation itself can end them in time.
 */
const ADMIN_PASSWORD = 'revocation-Pw7-first-krint';
const USER_PASSWORD = 'revoke-Me-9-password';
const SUBSCRIPTION = 'subscription { activity { action } }';
const WITHIN_MS = 1_000;
let test: TestKrint;
let base: string;
let admin: string;

beforeAll(async () => {
  test = await startTestKrint({ Auth__AdminPassword: ADMIN_PASSWORD });
  base = `http://127.0.0.1:${await test.krint.listen(0)}`;
  admin = await bearerFor(test.krint, 'admin');
});

afterAll(async () => {
  await test?.krint.close();
});

/** A running subscription: when it ended (ms since the epoch) and its last event. */
interface Live {
  readonly ended: Promise<number>;
  readonly events: unknown[];
  stop(): void;
}

async function openSse(headers: Record<string, string>): Promise<Live> {
  const controller = new AbortController();
  const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers }, body: JSON.stringify({ query: SUBSCRIPTION }), signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
  const events: unknown[] = [];
  const ended = (async () => {
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffered.indexOf('\n\n')) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (/^event: next$/m.test(block) && data) events.push(JSON.parse(data));
        }
      }
    } catch {
      // aborted by stop()
    }
    return Date.now();
  })();
  return { ended, events, stop: () => controller.abort() };
}

function openWs(params: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Live> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', { headers });
    const events: unknown[] = [];
    let markEnded: (at: number) => void = () => undefined;
    const ended = new Promise<number>((done) => (markEnded = done));
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: params })));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; payload?: unknown };
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION } }));
        resolve({ ended, events, stop: () => socket.close() });
      } else if (message.type === 'next') events.push(message.payload);
    });
    socket.on('close', (code) => {
      events.push({ closed: code });
      markEnded(Date.now());
      reject(new Error(`closed ${code} before the subscription started`));
    });
    socket.on('error', () => undefined);
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until `count` more streams are tracked than before, so the cut happens while they run. */
async function tracked(count: number): Promise<void> {
  await until(() => test.krint.auth.live.size >= count, `${count} tracked streams`);
}

async function gql(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) });
  return (await response.json()) as { data?: Record<string, any>; errors?: unknown[] };
}

async function signIn(username: string, password: string): Promise<Record<string, string>> {
  const response = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  expect(response.status).toBe(200);
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  const cookie = response.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
  return { cookie, 'x-krint-csrf': csrfToken };
}

/** Runs `cut` and expects every stream in `ending` to end within a second and the others to keep running. */
async function expectCutEnds(cut: () => Promise<void>, ending: Live[], staying: Live[]): Promise<void> {
  const startedAt = Date.now();
  await cut();
  const endedAt = await Promise.all(ending.map((live) => Promise.race([live.ended, new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), WITHIN_MS + 2_000))])));
  for (const at of endedAt) expect(at - startedAt).toBeLessThan(WITHIN_MS);
  const stillOpen = await Promise.race([Promise.race(staying.map((live) => live.ended)).then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 300))]);
  expect(stillOpen).toBe(true);
}

describe('revocation ends live subscriptions within a second', () => {
  it('of a revoked API token, on SSE and graphql-ws; another token keeps streaming', async () => {
    const before = test.krint.auth.live.size;
    const created = await gql('mutation($e: DateTime!) { createApiToken(name: "watcher", role: VIEWER, expiresAt: $e) { ... on CreatedApiToken { token apiToken { id } } } }', { e: new Date(Date.now() + 3_600_000).toISOString() }, { authorization: admin });
    const { token, apiToken } = created.data?.createApiToken as { token: string; apiToken: { id: string } };
    const other = await bearerFor(test.krint, 'viewer', 'bystander');
    const sse = await openSse({ authorization: `Bearer ${token}` });
    const ws = await openWs({ authorization: `Bearer ${token}` });
    const bystander = await openSse({ authorization: other });
    // One per SSE subscription, two for the socket (the connection and its subscription).
    await tracked(before + 4);

    await expectCutEnds(async () => void (await gql('mutation($id: ID!) { revokeApiToken(id: $id) { __typename } }', { id: apiToken.id }, { authorization: admin })), [sse, ws], [bystander]);
    expect(sse.events.at(-1)).toMatchObject({ errors: [{ message: expect.stringMatching(/revoked/), extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(ws.events.at(-1)).toEqual({ closed: 4403 });
    bystander.stop();
    await bystander.ended;
    await until(() => test.krint.auth.live.size === before, 'every stream to be untracked');
  });

  it('of a signed-out session, on SSE and graphql-ws; the same user signed in elsewhere keeps streaming', async () => {
    const before = test.krint.auth.live.size;
    const session = await signIn('admin', ADMIN_PASSWORD);
    const elsewhere = await signIn('admin', ADMIN_PASSWORD);
    const sse = await openSse(session);
    const ws = await openWs({ 'x-krint-csrf': session['x-krint-csrf'] }, { cookie: session.cookie! });
    const other = await openSse(elsewhere);
    await tracked(before + 4);

    await expectCutEnds(async () => expect((await fetch(`${base}/api/auth/logout`, { method: 'POST', headers: session })).status).toBe(204), [sse, ws], [other]);
    expect(sse.events.at(-1)).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(ws.events.at(-1)).toEqual({ closed: 4403 });
    other.stop();
    await other.ended;
    await until(() => test.krint.auth.live.size === before, 'every stream to be untracked');
  });

  it('of a user whose role changes or who is deleted', async () => {
    const created = await gql('mutation { createKrintUser(name: "rolf", password: "revoke-Me-9-password", role: ADMIN) { ... on KrintUser { id } } }', {}, { authorization: admin });
    const id = (created.data?.createKrintUser as { id: string }).id;
    const first = await openSse(await signIn('rolf', USER_PASSWORD));
    await tracked(1);
    await expectCutEnds(async () => void (await gql('mutation($id: ID!) { setKrintUserRole(id: $id, role: VIEWER) { __typename } }', { id }, { authorization: admin })), [first], []);
    const second = await openSse(await signIn('rolf', USER_PASSWORD));
    await tracked(1);
    await expectCutEnds(async () => void (await gql('mutation($id: ID!) { deleteKrintUser(id: $id) { __typename } }', { id }, { authorization: admin })), [second], []);
  });

  it('of a token when it expires', async () => {
    const expiresAt = Date.now() + 1_500;
    const { token } = await test.krint.auth.apiTokens.create({ name: 'brief', role: 'viewer', expiresAt: new Date(expiresAt), createdBy: 'test' });
    const sse = await openSse({ authorization: `Bearer ${token}` });
    const endedAt = await sse.ended;
    expect(endedAt).toBeGreaterThanOrEqual(expiresAt);
    expect(endedAt - expiresAt).toBeLessThan(WITHIN_MS);
    expect(sse.events.at(-1)).toMatchObject({ errors: [{ message: expect.stringMatching(/expired/), extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('forgets a stream the client leaves', async () => {
    const before = test.krint.auth.live.size;
    const sse = await openSse({ authorization: admin });
    await tracked(before + 1);
    sse.stop();
    await until(() => test.krint.auth.live.size === before, 'the stream to be untracked');
  });
});
