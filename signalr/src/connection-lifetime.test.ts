import { HubConnectionState } from '@microsoft/signalr';
import { afterEach, describe, expect, it } from 'vitest';
import { buildClient, captureClose, connectClient, RawClient, startServer, waitFor, type TestServer } from './test-support.js';

const servers: TestServer[] = [];
async function server(options: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const started = await startServer(options);
  servers.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('keep-alive and timeouts', () => {
  it('pings an idle client so it stays connected past its server timeout', async () => {
    const s = await server({ keepAliveIntervalMs: 100 });
    const client = buildClient(s.hubUrl, { configure: (b) => b.withServerTimeout(500).withKeepAliveInterval(100) });
    let closed = false;
    client.onclose(() => (closed = true));
    await client.start();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(closed).toBe(false);
    expect(client.state).toBe(HubConnectionState.Connected);
    await client.stop();

    const { client: raw } = await RawClient.negotiated(s.hubUrl);
    await raw.handshake();
    const first = raw.records.length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    const pings = raw.records.slice(first).filter((record) => record === '{"type":6}').length;
    expect(pings).toBeGreaterThanOrEqual(3);
    expect(pings).toBeLessThanOrEqual(8);
    raw.close();
  });

  it('lets the client report a silent server with its own timeout text', async () => {
    const s = await server({ keepAliveIntervalMs: 0 });
    const client = buildClient(s.hubUrl, { configure: (b) => b.withServerTimeout(500).withKeepAliveInterval(100) });
    const closed = captureClose(client);
    await client.start();
    expect((await closed)?.message).toBe('Server timeout elapsed without receiving a message from the server.');
  });

  it('drops a client that pinged once and then went silent, with Close allowReconnect', async () => {
    const s = await server({ clientTimeoutMs: 500, keepAliveIntervalMs: 100 });
    const { client: raw } = await RawClient.negotiated(s.hubUrl);
    await raw.handshake();
    raw.send('{"type":6}\u001e');
    const sent = Date.now();
    expect(await raw.nextMessage(2_000)).toEqual({ type: 7, error: 'Connection closed with an error.', allowReconnect: true });
    const elapsed = Date.now() - sent;
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(900);
    await raw.closed;
    // A real client pinging every 100 ms is never dropped.
    const client = await connectClient(s.hubUrl, { configure: (b) => b.withKeepAliveInterval(100) });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(client.state).toBe(HubConnectionState.Connected);
    await client.stop();
  });
});

describe('closing', () => {
  it('closes for good with the error the server gives, even with automatic reconnect', async () => {
    const s = await server();
    const client = await connectClient(s.hubUrl, { configure: (b) => b.withAutomaticReconnect([0]) });
    let reconnecting = false;
    client.onreconnecting(() => (reconnecting = true));
    const closed = captureClose(client);
    s.hub.connection(client.connectionId as string)?.close({ error: 'bye' });
    expect((await closed)?.message).toBe('Server returned an error on close: bye');
    expect(reconnecting).toBe(false);
    await waitFor(() => s.log.disconnected.length === 1);
    expect(s.log.disconnected[0]?.error).toBe('bye');
  });

  it('reconnects as a new connection after Close with allowReconnect; the hub sees both, old groups are gone', async () => {
    const s = await server();
    const client = await connectClient(s.hubUrl, { configure: (b) => b.withAutomaticReconnect([0]) });
    const oldId = client.connectionId as string;
    await client.invoke('JoinGroup', 'g');
    expect(s.hub.groups && s.hub.connection(oldId)).toBeDefined();
    const reconnecting = new Promise<Error | undefined>((resolve) => client.onreconnecting(resolve));
    const reconnected = new Promise<string | undefined>((resolve) => client.onreconnected(resolve));
    s.hub.connection(oldId)?.close({ error: 'restarting', allowReconnect: true });
    expect((await reconnecting)?.message).toBe('Server returned an error on close: restarting');
    const newId = await reconnected;
    expect(newId).toBeDefined();
    expect(newId).not.toBe(oldId);
    expect(s.log.connected).toEqual([oldId, newId]);
    expect(s.log.disconnected.map((d) => d.id)).toEqual([oldId]);
    const received: string[] = [];
    client.on('groupMessage', (message: string) => void received.push(message));
    await s.hub.clients.group('g').send('groupMessage', 'to old group');
    expect(await client.invoke('Echo', 'works')).toBe('works');
    expect(received).toEqual([]);
    await client.stop();
  });

  it('fails a pending invoke on an abrupt drop and reconnects through a new negotiate', async () => {
    const s = await server();
    const client = await connectClient(s.hubUrl, { configure: (b) => b.withAutomaticReconnect([0]) });
    const oldId = client.connectionId;
    const reconnected = new Promise<string | undefined>((resolve) => client.onreconnected(resolve));
    const pending = client.invoke('Delay', 1_000, 'late');
    await new Promise((resolve) => setTimeout(resolve, 50));
    s.dropSockets();
    await expect(pending).rejects.toThrow();
    const newId = await reconnected;
    expect(newId).not.toBe(oldId);
    expect(await client.invoke('Echo', 1)).toBe(1);
    await waitFor(() => s.log.disconnected.some((d) => d.id === oldId));
    await client.stop();
  });

  it('runs onDisconnected once without error when the client stops, and empties its groups', async () => {
    const s = await server();
    const client = await connectClient(s.hubUrl);
    const id = client.connectionId as string;
    await client.invoke('JoinGroup', 'room');
    await client.stop();
    await waitFor(() => s.log.disconnected.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(s.log.disconnected).toEqual([{ id, error: undefined }]);
    expect(s.hub.connection(id)).toBeUndefined();
    expect(s.hub.connections()).toEqual([]);
  });

  it('closes a connection whose onConnected throws, without allowing reconnect', async () => {
    const { Hub } = await import('./hub.js');
    const { HubServer } = await import('./hub-server.js');
    const { createServer } = await import('node:http');
    const hubs = new HubServer();
    hubs.mapHub('/hub', new Hub().onConnected(() => {
      throw new Error('no');
    }));
    const http = createServer();
    hubs.attach(http);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as { port: number }).port;
    try {
      const client = buildClient(`http://127.0.0.1:${port}/hub`, { configure: (b) => b.withAutomaticReconnect([0]) });
      let reconnecting = false;
      client.onreconnecting(() => (reconnecting = true));
      const closed = captureClose(client);
      // The Close can beat start()'s own continuation, in which case start() rejects with it.
      const startError = await client.start().then(() => closed, (error: Error) => error);
      expect(startError?.message).toBe('Server returned an error on close: Connection closed with an error.');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(reconnecting).toBe(false);
      expect(client.state).toBe(HubConnectionState.Disconnected);
    } finally {
      await hubs.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('shuts down gracefully: clients are told to reconnect, new connections are refused', async () => {
    const s = await server();
    const client = await connectClient(s.hubUrl, { configure: (b) => b.withAutomaticReconnect([60_000]) });
    const reconnecting = new Promise<Error | undefined>((resolve) => client.onreconnecting(resolve));
    await s.hubs.close();
    expect(await reconnecting).toBeUndefined();
    expect(s.log.disconnected).toHaveLength(1);
    const response = await fetch(`${s.hubUrl}/negotiate?negotiateVersion=1`, { method: 'POST' });
    // The server gave the listeners back: the plain handler answers now.
    expect(await response.text()).toBe('other handler');
    await client.stop();
  });
});
