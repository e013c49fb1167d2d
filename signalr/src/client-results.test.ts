import type { HubConnection as ClientConnection } from '@microsoft/signalr';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClientResultError } from './errors/client-result.error.js';
import { ClientResultTimeoutError } from './errors/client-result-timeout.error.js';
import { ConnectionLostError } from './errors/connection-lost.error.js';
import { connectClient, RawClient, startServer, waitFor, type TestServer } from './test-support.js';

describe('client results', () => {
  let server: TestServer;
  const clients: ClientConnection[] = [];
  const connect = async (register?: (client: ClientConnection) => void) => {
    const { buildClient } = await import('./test-support.js');
    const client = buildClient(server.hubUrl);
    register?.(client);
    await client.start();
    clients.push(client);
    await waitFor(() => server.hub.connection(client.connectionId as string) !== undefined);
    return { client, proxy: server.hub.clients.client(client.connectionId as string) };
  };
  beforeAll(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
  });
  afterAll(() => server.close());

  it('returns what the client handler returns, sync or async, null included', async () => {
    const { proxy } = await connect((client) => {
      client.on('double', (x: number) => x * 2);
      client.on('wrap', async (x: number) => ({ y: x }));
      client.on('nothing', () => null);
    });
    expect(await proxy.invoke<number>('double', [21])).toBe(42);
    expect(await proxy.invoke('Wrap', [21])).toEqual({ y: 21 });
    expect(await proxy.invoke('nothing')).toBeNull();
  });

  it('puts an invocation id on the request it sends', async () => {
    const { client: raw } = await RawClient.negotiated(server.hubUrl);
    await raw.handshake();
    await waitFor(() => server.hub.connections().length >= 1);
    const id = server.hub.connections().at(-1)?.connectionId as string;
    const answer = server.hub.clients.client(id).invoke('getAnswer', [21]);
    const request = await raw.nextMessage();
    expect(request).toMatchObject({ type: 1, target: 'getAnswer', arguments: [21] });
    expect(request['invocationId']).toMatch(/^s\d+$/);
    raw.send(JSON.stringify({ type: 3, invocationId: request['invocationId'], result: 'yes' }) + '\u001e');
    expect(await answer).toBe('yes');
    raw.close();
  });

  it('rejects with the client error text when its handler fails or gives nothing', async () => {
    const { proxy } = await connect((client) => {
      client.on('boom', () => {
        throw new Error('boom');
      });
      client.on('undefinedResult', () => undefined);
      client.on('twice', () => 1);
      client.on('twice', () => 2);
    });
    const boom = proxy.invoke('boom');
    await expect(boom).rejects.toBeInstanceOf(ClientResultError);
    await expect(boom).rejects.toThrow('Error: boom');
    await expect(proxy.invoke('missingHandler')).rejects.toThrow("Client didn't provide a result.");
    await expect(proxy.invoke('undefinedResult')).rejects.toThrow("Client didn't provide a result.");
    await expect(proxy.invoke('twice')).rejects.toThrow('Client provided multiple results.');
  });

  it('times out, ignores the late answer and keeps the connection usable', async () => {
    let release: (value: string) => void = () => undefined;
    const { client, proxy } = await connect((c) => c.on('slow', () => new Promise<string>((resolve) => (release = resolve))));
    const started = Date.now();
    const slow = proxy.invoke('slow', [], { timeoutMs: 200 });
    await expect(slow).rejects.toBeInstanceOf(ClientResultTimeoutError);
    await expect(slow).rejects.toThrow(`Client '${client.connectionId}' did not return a result for 'slow' within 200 ms.`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    release('too late');
    expect(await client.invoke('Echo', 1)).toBe(1);
  });

  it('stops waiting when the server aborts, with the ASP.NET Core text', async () => {
    const { proxy } = await connect((c) => c.on('never', () => new Promise(() => undefined)));
    const controller = new AbortController();
    const waiting = proxy.invoke('never', [], { signal: controller.signal, timeoutMs: 0 });
    controller.abort();
    await expect(waiting).rejects.toThrow('Invocation canceled by the server.');
  });

  it('works from inside a hub method with one invocation slot, without deadlock', async () => {
    const { client } = await connect((c) => c.on('getAnswer', (x: number) => x * 2));
    expect(await client.invoke('AskClient', 'getAnswer', 5, 2_000)).toBe(10);
    // Other invocations are served while the method waits for its client.
    let answer: (value: number) => void = () => undefined;
    client.on('later', () => new Promise<number>((resolve) => (answer = resolve)));
    const asking = client.invoke('AskClient', 'later', 0, 5_000);
    expect(await client.invoke('Add', 1, 1)).toBe(2);
    answer(7);
    expect(await asking).toBe(7);
  });

  it('rejects at once when the client disconnects, naming the connection', async () => {
    const { client, proxy } = await connect((c) => c.on('never', () => new Promise(() => undefined)));
    const id = client.connectionId as string;
    const waiting = proxy.invoke('never', [], { timeoutMs: 10_000 });
    const stoppedAt = Date.now();
    await client.stop();
    await expect(waiting).rejects.toBeInstanceOf(ConnectionLostError);
    await expect(waiting).rejects.toThrow(`Connection '${id}' disconnected.`);
    expect(Date.now() - stoppedAt).toBeLessThan(1_000);
    await expect(server.hub.clients.client(id).invoke('never')).rejects.toThrow(`Connection '${id}' disconnected.`);
  });

  it('serves many client results in flight at once', async () => {
    const { proxy } = await connect((c) => c.on('square', async (x: number) => x * x));
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => proxy.invoke<number>('square', [i])));
    expect(results).toEqual(Array.from({ length: 200 }, (_, i) => i * i));
  });
});
