import { HubConnectionState, type HubConnection as ClientConnection } from '@microsoft/signalr';
import { afterEach, describe, expect, it } from 'vitest';
import {
  buildStatefulClient,
  captureClose,
  CLIENT_PROTOCOLS,
  RawClient,
  startServer,
  waitFor,
  type ClientSetup,
  type NegotiateBody,
  type StatefulSetup,
  type TestServer,
} from './test-support.js';

const servers: TestServer[] = [];
const clients: ClientConnection[] = [];
async function server(options: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const started = await startServer({ statefulReconnect: true, ...options });
  servers.push(started);
  return started;
}
async function statefulClient(url: string, stateful: StatefulSetup = {}, setup: ClientSetup = {}): Promise<ClientConnection> {
  const client = buildStatefulClient(url, stateful, setup);
  clients.push(client);
  await client.start();
  return client;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.stop()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('stateful reconnect', () => {
  it('is offered only when asked for and allowed, and uses handshake version 2', async () => {
    const s = await server();
    const asked = (await (await fetch(`${s.hubUrl}/negotiate?negotiateVersion=1&useStatefulReconnect=true`, { method: 'POST' })).json()) as NegotiateBody;
    expect(asked.useStatefulReconnect).toBe(true);
    const notAsked = (await (await fetch(`${s.hubUrl}/negotiate?negotiateVersion=1`, { method: 'POST' })).json()) as NegotiateBody;
    expect(notAsked.useStatefulReconnect).toBe(false);
    const off = await startServer();
    servers.push(off);
    const refused = (await (await fetch(`${off.hubUrl}/negotiate?negotiateVersion=1&useStatefulReconnect=true`, { method: 'POST' })).json()) as NegotiateBody;
    expect(refused.useStatefulReconnect).toBe(false);
    // Without it on the server the official client still connects, with version 1.
    const client = await statefulClient(off.hubUrl);
    expect(await client.invoke('Echo', 1)).toBe(1);
  });

  it('acknowledges what the client sends, on the wire', async () => {
    const s = await server();
    const { client } = await RawClient.negotiated(s.hubUrl, 'negotiateVersion=1&useStatefulReconnect=true');
    await client.handshake(2);
    client.send('{"type":1,"invocationId":"1","target":"Echo","arguments":[1]}\u001e{"type":1,"target":"Echo","arguments":[2]}\u001e');
    expect(await client.nextMessage()).toEqual({ type: 3, invocationId: '1', result: 1 });
    expect(await client.nextMessage()).toEqual({ type: 8, sequenceId: 2 });
    client.close();
  });

  it('resumes a dropped socket on the same connection and loses no message either way', async () => {
    const s = await server();
    const client = await statefulClient(s.hubUrl);
    const id = client.connectionId as string;
    let reconnecting = false;
    client.onreconnecting(() => (reconnecting = true));
    const pushes: string[] = [];
    client.on('push', (value: string) => void pushes.push(value));
    await client.invoke('JoinGroup', 'kept');

    let resumes = 0;
    s.http.on('upgrade', () => resumes++);
    const invocations: Array<Promise<unknown>> = [];
    for (let i = 0; i < 25; i++) invocations.push(client.invoke('Count', 'flight'));
    s.dropSockets();
    // Sent while the socket is down: both directions must be replayed.
    for (let i = 0; i < 25; i++) invocations.push(client.invoke('Count', 'flight'));
    await s.hub.clients.client(id).send('push', 'during outage');
    const results = await Promise.all(invocations);

    expect([...results].sort((a, b) => (a as number) - (b as number))).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(s.log.calls.get('flight')).toBe(50);
    await waitFor(() => pushes.length === 1);
    await s.hub.clients.group('kept').send('push', 'group survived');
    await waitFor(() => pushes.length === 2);
    expect(pushes).toEqual(['during outage', 'group survived']);
    expect(resumes).toBe(1);
    expect(reconnecting).toBe(false);
    expect(client.connectionId).toBe(id);
    expect(client.state).toBe(HubConnectionState.Connected);
    expect(s.log.connected).toEqual([id]);
    expect(s.log.disconnected).toEqual([]);
  });

  it('refuses a resume after the window; the client falls back to a new connection', async () => {
    const s = await server({ statefulReconnectWindowMs: 100 });
    const client = await statefulClient(s.hubUrl, { reconnect: true });
    const id = client.connectionId as string;
    const reconnected = new Promise<string | undefined>((resolve) => client.onreconnected(resolve));
    // Cut the TCP connection and hold the resume back until the window is over.
    const http = s.http;
    const holdUpgrades = () => {
      const listeners = http.listeners('upgrade');
      http.removeAllListeners('upgrade');
      http.on('upgrade', (request, socket, head) =>
        setTimeout(() => listeners.forEach((listener) => (listener as (...args: unknown[]) => void).call(http, request, socket, head)), 300),
      );
    };
    holdUpgrades();
    s.dropSockets();
    const newId = await reconnected;
    expect(newId).not.toBe(id);
    await waitFor(() => s.log.disconnected.some((entry) => entry.id === id));
    expect(s.log.disconnected.find((entry) => entry.id === id)?.error).toBe('The client did not resume the connection in time.');
    expect(await client.invoke('Echo', 'new connection')).toBe('new connection');
  });

  it('answers the resume attempt after a server Close with 404, so the client stops', async () => {
    const s = await server();
    const client = await statefulClient(s.hubUrl);
    const closed = captureClose(client);
    s.hub.connection(client.connectionId as string)?.close({ error: 'done here' });
    expect((await closed)?.message).toBe('Server returned an error on close: done here');
    expect(client.state).toBe(HubConnectionState.Disconnected);
  });
});

// What stateful reconnect replays is whole records, whichever protocol frames them.
describe.each(CLIENT_PROTOCOLS)('stateful reconnect over $protocol', ({ configure }) => {
  it('keeps a server stream going across a drop, every item exactly once', async () => {
    const s = await server();
    const client = await statefulClient(s.hubUrl, {}, { configure });
    const items: number[] = [];
    const done = new Promise<void>((resolve, reject) =>
      client.stream<number>('Counter', 60, 5).subscribe({ next: (item) => void items.push(item), complete: resolve, error: reject }),
    );
    await waitFor(() => items.length >= 10);
    s.dropSockets();
    await done;
    expect(items).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it('acks often enough for a small client buffer not to stall', async () => {
    const s = await server();
    const client = await statefulClient(s.hubUrl, { bufferSize: 1_000 }, { configure });
    const started = Date.now();
    for (let i = 0; i < 50; i++) await client.send('Echo', 'x'.repeat(100));
    expect(await client.invoke('Echo', 'done')).toBe('done');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
