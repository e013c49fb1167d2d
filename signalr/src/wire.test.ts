import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubConnectionBuilder, LogLevel, TransferFormat, type IHubProtocol, type HubMessage, type ILogger } from '@microsoft/signalr';
import { JsonHubProtocol } from '@microsoft/signalr';
import { connectClient, captureClose, RawClient, startServer, waitFor, type TestServer } from './test-support.js';

const RS = '\u001e';

describe('handshake and framing on the wire', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ handshakeTimeoutMs: 300 });
  });
  afterAll(() => server.close());

  it('answers a handshake with exactly {} and nothing before it; version 2 is accepted', async () => {
    for (const version of [1, 2]) {
      const { client } = await RawClient.negotiated(server.hubUrl);
      client.send(`{"version":${version},"protocol":"json","extra":true}${RS}`);
      expect(await client.next()).toBe('{}');
      client.close();
    }
  });

  it('refuses an unsupported version and protocol with the ASP.NET Core texts, then closes', async () => {
    const { client } = await RawClient.negotiated(server.hubUrl);
    client.send(`{"protocol":"json","version":3}${RS}`);
    expect(await client.next()).toBe(JSON.stringify({ error: "The server does not support version 3 of the 'json' protocol." }));
    expect((await client.closed).code).toBe(1000);

    const { client: foo } = await RawClient.negotiated(server.hubUrl);
    foo.send(`{"protocol":"foo","version":1}${RS}`);
    expect(await foo.next()).toBe(JSON.stringify({ error: "The protocol 'foo' is not supported." }));
    await foo.closed;

    const { client: garbage } = await RawClient.negotiated(server.hubUrl);
    garbage.send(`{"protocol":${RS}`);
    expect(JSON.parse(await garbage.next())).toEqual({ error: 'An unexpected error occurred during connection handshake.' });
  });

  it('shows a handshake error through the official client', async () => {
    class FooProtocol extends JsonHubProtocol implements IHubProtocol {
      override readonly name = 'foo';
      override readonly transferFormat = TransferFormat.Text;
      override parseMessages(input: string, logger: ILogger): HubMessage[] {
        return super.parseMessages(input, logger);
      }
    }
    const client = new HubConnectionBuilder()
      .withUrl(server.hubUrl)
      .withHubProtocol(new FooProtocol())
      .configureLogging(LogLevel.None)
      .build();
    await expect(client.start()).rejects.toThrow("Server returned handshake error: The protocol 'foo' is not supported.");
  });

  it('cancels a handshake that never comes', async () => {
    const { client } = await RawClient.negotiated(server.hubUrl);
    const started = Date.now();
    expect(await client.next(2_000)).toBe(JSON.stringify({ error: 'Handshake was canceled.' }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    await client.closed;
  });

  it('reads records batched in one frame, including those after the handshake', async () => {
    const { client } = await RawClient.negotiated(server.hubUrl);
    client.send(
      `{"protocol":"json","version":1}${RS}{"type":1,"invocationId":"a","target":"Add","arguments":[1,2]}${RS}{"type":1,"invocationId":"b","target":"Echo","arguments":["x"]}${RS}`,
    );
    expect(await client.next()).toBe('{}');
    expect(await client.nextMessage()).toEqual({ type: 3, invocationId: 'a', result: 3 });
    expect(await client.nextMessage()).toEqual({ type: 3, invocationId: 'b', result: 'x' });
    client.close();
  });

  it('reassembles a record split across frames, even inside a UTF-8 character', async () => {
    const { client } = await RawClient.negotiated(server.hubUrl);
    await client.handshake();
    const bytes = Buffer.from(`{"type":1,"invocationId":"u","target":"Echo","arguments":["grüße €"]}${RS}`, 'utf8');
    const euro = bytes.indexOf(Buffer.from('€', 'utf8'));
    const umlaut = bytes.indexOf(Buffer.from('ü', 'utf8'));
    client.send(bytes.subarray(0, umlaut + 1));
    client.send(bytes.subarray(umlaut + 1, euro + 2));
    client.send(bytes.subarray(euro + 2));
    expect(await client.nextMessage()).toEqual({ type: 3, invocationId: 'u', result: 'grüße €' });
    client.close();
  });

  it('accepts and ignores headers and unknown message types', async () => {
    const { client } = await RawClient.negotiated(server.hubUrl);
    await client.handshake();
    client.send(`{"type":99,"whatever":1}${RS}{"type":1,"invocationId":"h","target":"Echo","arguments":[5],"headers":{"k":"v"}}${RS}`);
    expect(await client.nextMessage()).toEqual({ type: 3, invocationId: 'h', result: 5 });
    client.close();
  });

  it('closes a connection that sends malformed records, and keeps serving the others', async () => {
    const bystander = await connectClient(server.hubUrl);
    const cases = ['{"type":1,"invocationId":"1"', '{"type":1,"invocationId":"1","target":"Echo"}', '[1,2]', '{"type":3}', '{"type":2,"invocationId":"1"}', 'not json'];
    for (const record of cases) {
      const { client } = await RawClient.negotiated(server.hubUrl);
      await client.handshake();
      client.send(`${record}${RS}`);
      expect(await client.nextMessage()).toEqual({ type: 7, error: 'Connection closed with an error.', allowReconnect: true });
      expect((await client.closed).code).toBe(1000);
    }
    expect(await bystander.invoke('Echo', 'still here')).toBe('still here');
    await bystander.stop();
  });

  it('takes skipNegotiation clients: no connection id on the client, invocations work', async () => {
    const { HttpTransportType } = await import('@microsoft/signalr');
    const client = await connectClient(server.hubUrl, { options: { skipNegotiation: true, transport: HttpTransportType.WebSockets } });
    expect(client.connectionId).toBeNull();
    expect(await client.invoke('Add', 2, 3)).toBe(5);
    await client.stop();
  });

  it('expires a negotiated connection that never opens its socket', async () => {
    const quick = await startServer({ negotiateTimeoutMs: 100 });
    try {
      const response = await fetch(`${quick.hubUrl}/negotiate?negotiateVersion=1`, { method: 'POST' });
      const { connectionToken } = (await response.json()) as { connectionToken: string };
      await new Promise((resolve) => setTimeout(resolve, 250));
      await expect(RawClient.open(quick.hubUrl, `id=${connectionToken}`)).rejects.toThrow('HTTP 404');
    } finally {
      await quick.close();
    }
  });
});

describe('message size', () => {
  it('accepts records up to the limit and closes the connection with a clear error above it', async () => {
    const server = await startServer();
    try {
      const client = await connectClient(server.hubUrl);
      const fits = 'a'.repeat(31 * 1024);
      expect(await client.invoke('Echo', fits)).toBe(fits);
      const closed = captureClose(client);
      await client.send('Echo', 'a'.repeat(33 * 1024)).catch(() => undefined);
      expect((await closed)?.message).toBe('Server returned an error on close: Connection closed with an error.');
      // A peer that never sends a separator cannot grow the buffer either.
      const { client: raw } = await RawClient.negotiated(server.hubUrl);
      await raw.handshake();
      for (let i = 0; i < 40; i++) raw.send('x'.repeat(1024));
      expect(await raw.nextMessage()).toEqual({ type: 7, error: 'Connection closed with an error.', allowReconnect: true });
    } finally {
      await server.close();
    }
  });

  it('honours a raised limit and sends large pushes intact', async () => {
    const server = await startServer({ maximumMessageSize: 2 * 1024 * 1024 });
    try {
      const client = await connectClient(server.hubUrl);
      const big = 'b'.repeat(1024 * 1024);
      expect(await client.invoke('Echo', big)).toBe(big);
      const pushed = new Promise<string>((resolve) => client.on('push', (value: string) => resolve(value)));
      await waitFor(() => server.hub.connections().length === 1);
      await server.hub.clients.all.send('push', 'p'.repeat(5 * 1024 * 1024));
      expect((await pushed).length).toBe(5 * 1024 * 1024);
      await client.stop();
    } finally {
      await server.close();
    }
  });
});
