import { HubConnectionState } from '@microsoft/signalr';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, RawClient, startServer, waitFor, type TestServer } from './test-support.js';
import type { HubConnection as ClientConnection } from '@microsoft/signalr';

describe('invocations with the official client', () => {
  let server: TestServer;
  const clients: ClientConnection[] = [];
  const connect = async () => {
    const client = await connectClient(server.hubUrl);
    clients.push(client);
    return client;
  };
  beforeAll(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
  });
  afterAll(() => server.close());

  it('connects with the negotiated id and round-trips values', async () => {
    const client = await connect();
    expect(client.state).toBe(HubConnectionState.Connected);
    expect(client.connectionId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await waitFor(() => server.hub.connection(client.connectionId as string) !== undefined);
    const value = { a: [1, 'x', true], b: null, c: { nested: 'ünïcødé ✓' } };
    expect(await client.invoke('Echo', value)).toEqual(value);
    expect(await client.invoke('Add', 40, 2)).toBe(42);
    expect(await client.invoke('Echo', 0)).toBe(0);
    expect(await client.invoke('Echo', '')).toBe('');
  });

  it('resolves a void method to null, which is on the wire as result:null', async () => {
    const client = await connect();
    expect(await client.invoke('Void')).toBeNull();
    const { client: raw } = await RawClient.negotiated(server.hubUrl);
    await raw.handshake();
    raw.send('{"type":1,"invocationId":"v","target":"Void","arguments":[]}\u001e');
    expect(await raw.next()).toBe('{"type":3,"invocationId":"v","result":null}');
    raw.close();
  });

  it('never answers a fire-and-forget send, even one that fails', async () => {
    const client = await connect();
    await client.send('Count', 'sendKey');
    await client.send('Nope');
    await client.send('Throw');
    expect(await client.invoke('Count', 'sendKey')).toBe(2);
    const { client: raw } = await RawClient.negotiated(server.hubUrl);
    await raw.handshake();
    raw.send('{"type":1,"target":"Throw","arguments":[]}\u001e{"type":1,"target":"Echo","arguments":[1]}\u001e{"type":1,"invocationId":"x","target":"Echo","arguments":[2]}\u001e');
    expect(await raw.nextMessage()).toEqual({ type: 3, invocationId: 'x', result: 2 });
    raw.close();
  });

  it('rejects an unknown method with the exact ASP.NET Core text and stays usable', async () => {
    const client = await connect();
    await expect(client.invoke('Nope')).rejects.toThrow(
      /^Failed to invoke 'Nope' due to an error on the server\. HubException: Method does not exist\.$/,
    );
    expect(await client.invoke('Echo', 1)).toBe(1);
  });

  it('rejects the wrong number of arguments as a binding failure', async () => {
    const client = await connect();
    const text = /^Failed to invoke 'Add' due to an error on the server\.$/;
    await expect(client.invoke('Add', 1)).rejects.toThrow(text);
    await expect(client.invoke('Add', 1, 2, 3)).rejects.toThrow(text);
    expect(await client.invoke('Add', 1, 2)).toBe(3);
  });

  it('hides plain errors and shows HubError messages', async () => {
    const client = await connect();
    await expect(client.invoke('Throw')).rejects.toThrow(/^An unexpected error occurred invoking 'Throw' on the server\.$/);
    await expect(client.invoke('ThrowHub', 'nope')).rejects.toThrow(
      /^An unexpected error occurred invoking 'ThrowHub' on the server\. HubException: nope$/,
    );
  });

  it('matches method names without regard to case', async () => {
    const client = await connect();
    expect(await client.invoke('echo', 1)).toBe(1);
    expect(await client.invoke('ECHO', 2)).toBe(2);
  });

  it('runs 200 concurrent invocations, one at a time and in order by default', async () => {
    const client = await connect();
    server.log.orderStarted.length = 0;
    server.log.maxConcurrent = 0;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => client.invoke('Delay', i % 3, i)));
    expect(results).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(server.log.orderStarted).toEqual(results);
    expect(server.log.maxConcurrent).toBe(1);
  });

  it('keeps per-connection items apart', async () => {
    const [a, b] = [await connect(), await connect()];
    await a.invoke('SetItem', 'k', 'from a');
    expect(await a.invoke('GetItem', 'k')).toBe('from a');
    expect(await b.invoke('GetItem', 'k')).toBeNull();
  });
});

describe('parallel invocations', () => {
  it('runs up to maxParallelInvocationsPerClient at once', async () => {
    const server = await startServer({ maxParallelInvocationsPerClient: 8 });
    const client = await connectClient(server.hubUrl);
    try {
      const started = Date.now();
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => client.invoke('Delay', 20, i)));
      expect(results).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(server.log.maxConcurrent).toBe(8);
      // 200 × 20 ms in series would be 4 s.
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await client.stop();
      await server.close();
    }
  });

  it('adds exception details to error texts when detailedErrors is on', async () => {
    const server = await startServer({ detailedErrors: true });
    const client = await connectClient(server.hubUrl);
    try {
      await expect(client.invoke('Throw')).rejects.toThrow(
        /^An unexpected error occurred invoking 'Throw' on the server\. Error: secret internals$/,
      );
      await expect(client.invoke('Add', 1, 2, 3)).rejects.toThrow(
        "Failed to invoke 'Add' due to an error on the server. InvalidDataException: Invocation provides 3 argument(s) but target expects 2.",
      );
    } finally {
      await client.stop();
      await server.close();
    }
  });
});
