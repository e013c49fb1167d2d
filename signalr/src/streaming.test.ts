import { Subject, type HubConnection as ClientConnection } from '@microsoft/signalr';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collect, connectClient, RawClient, startServer, waitFor, type TestServer } from './test-support.js';

describe('streaming', () => {
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

  it('streams items to the client and completes', async () => {
    const client = await connect();
    expect(await collect<number>(client, 'Counter', 5, 5)).toEqual({ items: [0, 1, 2, 3, 4] });
  });

  it('ends a server stream with a Completion that has no result', async () => {
    const { client } = await RawClient.negotiated(server.hubUrl);
    await client.handshake();
    client.send('{"type":4,"invocationId":"s","target":"Counter","arguments":[2,0]}\u001e');
    expect(await client.nextMessage()).toEqual({ type: 2, invocationId: 's', item: 0 });
    expect(await client.nextMessage()).toEqual({ type: 2, invocationId: 's', item: 1 });
    expect(await client.nextMessage()).toEqual({ type: 3, invocationId: 's' });
    client.close();
  });

  it('delivers items sent before a producer failure, then the error text', async () => {
    const client = await connect();
    const plain = await collect<number>(client, 'FailAfter', 2);
    expect(plain.items).toEqual([0, 1]);
    expect(plain.error?.message).toBe('An error occurred on the server while streaming results.');
    const hub = await collect<number>(client, 'FailAfterHub', 1);
    expect(hub.items).toEqual([0]);
    expect(hub.error?.message).toBe('An error occurred on the server while streaming results. HubException: no more items');
  });

  it('stops the producer promptly when the client disposes the subscription', async () => {
    const client = await connect();
    const items: number[] = [];
    const subscription = client.stream<number>('Counter', 1_000, 20).subscribe({
      next: (item) => void items.push(item),
      complete: () => undefined,
      error: () => undefined,
    });
    await waitFor(() => items.length >= 2);
    const before = server.log.streamAborted.length;
    subscription.dispose();
    const disposedAt = Date.now();
    await waitFor(() => server.log.streamAborted.length > before, 1_000, 'producer abort');
    expect(Date.now() - disposedAt).toBeLessThan(200);
    const seen = items.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(items.length).toBe(seen);
    expect(await client.invoke('Echo', 'after cancel')).toBe('after cancel');
  });

  it('sends a clean Completion after a CancelInvocation on the wire', async () => {
    const { client } = await RawClient.negotiated(server.hubUrl);
    await client.handshake();
    client.send('{"type":4,"invocationId":"c","target":"Counter","arguments":[1000,20]}\u001e');
    expect(await client.nextMessage()).toEqual({ type: 2, invocationId: 'c', item: 0 });
    client.send('{"type":5,"invocationId":"c"}\u001e');
    for (;;) {
      const message = await client.nextMessage();
      if (message['type'] === 2) continue;
      expect(message).toEqual({ type: 3, invocationId: 'c' });
      break;
    }
    client.close();
  });

  it('refuses to mix up streaming and non-streaming methods', async () => {
    const client = await connect();
    await expect(client.invoke('Counter', 1, 0)).rejects.toThrow(
      "The client attempted to invoke the streaming 'Counter' method with a non-streaming invocation.",
    );
    const result = await collect(client, 'Echo', 1);
    expect(result.error?.message).toBe("The client attempted to invoke the non-streaming 'Echo' method with a streaming invocation.");
  });

  it('passes an upload to the hub method as an async iterable', async () => {
    const client = await connect();
    const subject = new Subject<number>();
    const sum = client.invoke<number>('Sum', subject);
    for (const value of [1, 2, 3]) await subject.next(value);
    subject.complete();
    expect(await sum).toBe(6);
  });

  it('binds two uploads in order next to ordinary arguments', async () => {
    const client = await connect();
    const first = new Subject<string>();
    const second = new Subject<string>();
    // Not side by side: the client's scan for subjects skips the one right after another.
    const joined = client.invoke<string>('Concat', first, '-', second);
    await second.next('c');
    await first.next('a');
    await first.next('b');
    first.complete();
    second.complete();
    expect(await joined).toBe('a-b-c');
  });

  it('makes the method see an upload error the client raised', async () => {
    const client = await connect();
    const subject = new Subject<number>();
    const sum = client.invoke<number>('Sum', subject);
    await subject.next(1);
    subject.error(new Error('bad'));
    await expect(sum).rejects.toThrow("An unexpected error occurred invoking 'Sum' on the server.");
    await waitFor(() => server.log.uploadErrors.includes('bad'));
  });

  it('refuses a call with the wrong number of uploads', async () => {
    const { client } = await RawClient.negotiated(server.hubUrl);
    await client.handshake();
    client.send('{"type":1,"invocationId":"w","target":"Concat","arguments":["-"],"streamIds":["1"]}\u001e');
    expect(await client.nextMessage()).toEqual({
      type: 3,
      invocationId: 'w',
      error: "An unexpected error occurred invoking 'Concat' on the server. HubException: Client sent 1 stream(s), Hub method expects 2.",
    });
    client.close();
  });

  it('streams back an upload as it arrives (duplex)', async () => {
    const client = await connect();
    const subject = new Subject<string>();
    const received: string[] = [];
    const done = new Promise<void>((resolve, reject) =>
      client.stream<string>('EchoStream', subject).subscribe({ next: (item) => void received.push(item), complete: resolve, error: reject }),
    );
    await subject.next('one');
    await waitFor(() => received.length === 1);
    await subject.next('two');
    await waitFor(() => received.length === 2);
    subject.complete();
    await done;
    expect(received).toEqual(['one', 'two']);
  });

  it('paces a fast uploader to a slow consumer without losing items', async () => {
    const client = await connect();
    const subject = new Subject<number>();
    const sum = client.invoke<number>('Sum', subject);
    let expected = 0;
    for (let i = 0; i < 2_000; i++) {
      expected += i;
      void subject.next(i);
    }
    subject.complete();
    expect(await sum).toBe(expected);
  });
});
