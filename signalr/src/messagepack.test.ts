import { HttpTransportType, Subject, type HubConnection as ClientConnection } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, captureClose, startServer, waitFor, type ClientSetup, type TestServer } from './test-support.js';

/** The official client speaking MessagePack, over one transport. */
function msgpackClient(url: string, transport: HttpTransportType, setup: ClientSetup = {}): ClientConnection {
  return buildClient(url, {
    options: { transport, ...setup.options },
    configure: (builder) => {
      const withProtocol = builder.withHubProtocol(new MessagePackHubProtocol());
      return setup.configure ? setup.configure(withProtocol) : withProtocol;
    },
  });
}

function bytes(length: number, seed = 7): Uint8Array {
  const data = new Uint8Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    data[i] = state >>> 24;
  }
  return data;
}

for (const transport of [HttpTransportType.WebSockets, HttpTransportType.LongPolling]) {
  const name = HttpTransportType[transport];
  describe(`MessagePack over ${name} with the official client`, () => {
    let server: TestServer;
    const clients: ClientConnection[] = [];
    const connect = async (register?: (client: ClientConnection) => void): Promise<ClientConnection> => {
      const client = msgpackClient(server.hubUrl, transport);
      register?.(client);
      clients.push(client);
      await client.start();
      return client;
    };
    beforeAll(async () => {
      server = await startServer({ maximumMessageSize: 4 * 1024 * 1024 });
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.stop()));
    });
    afterAll(() => server.close());

    it('picks MessagePack from the handshake and invokes with arguments and results', async () => {
      const client = await connect();
      const info = server.hub.connection(client.connectionId as string) as unknown as { protocol: { name: string }; transport: { name: string } };
      expect(info.protocol.name).toBe('messagepack');
      expect(info.transport.name).toBe(name);
      expect(await client.invoke('Add', 40, 2)).toBe(42);
      expect(await client.invoke('Void')).toBeNull();
      const nested = { name: 'db', sizes: [1, 2.5, -3], flags: { on: true, off: null }, text: 'ünï\u001e' };
      expect(await client.invoke('Echo', nested)).toEqual(nested);
    });

    it('round-trips Uint8Array as bytes, 1 MiB included, and Date as a Date', async () => {
      const client = await connect();
      for (const size of [0, 1, 255, 65_536, 1024 * 1024]) {
        const sent = bytes(size, size);
        const received = await client.invoke<Uint8Array>('Echo', sent);
        expect(received).toBeInstanceOf(Uint8Array);
        expect(received.length).toBe(size);
        expect(Buffer.compare(Buffer.from(received), Buffer.from(sent))).toBe(0);
      }
      const when = new Date('2026-03-04T05:06:07.089Z');
      const back = await client.invoke<Date>('Echo', when);
      expect(back).toBeInstanceOf(Date);
      expect(back.getTime()).toBe(when.getTime());
    });

    it('serves client results that are bytes, seen as plain Uint8Array on the server', async () => {
      const payload = bytes(300_000, 3);
      const client = await connect((c) => c.on('dump', (length: number) => payload.subarray(0, length)));
      const id = client.connectionId as string;
      await waitFor(() => server.hub.connection(id) !== undefined);
      const result = await server.hub.clients.client(id).invoke<Uint8Array>('dump', [payload.length]);
      expect(result).toBeInstanceOf(Uint8Array);
      expect(Buffer.isBuffer(result)).toBe(false);
      expect(Buffer.compare(Buffer.from(result), Buffer.from(payload))).toBe(0);
      // And through a hub method awaiting the client (AskClient), back to the client.
      const relayed = await client.invoke<Uint8Array>('AskClient', 'dump', 1_000, 5_000);
      expect(Buffer.compare(Buffer.from(relayed), Buffer.from(payload.subarray(0, 1_000)))).toBe(0);
    });

    it('streams server to client and client to server, bytes included', async () => {
      const client = await connect();
      const items: number[] = [];
      await new Promise<void>((resolve, reject) =>
        client.stream<number>('Counter', 5, 0).subscribe({ next: (item) => void items.push(item), complete: resolve, error: reject }),
      );
      expect(items).toEqual([0, 1, 2, 3, 4]);

      const subject = new Subject<number>();
      const sum = client.invoke<number>('Sum', subject);
      for (const value of [1, 2, 3, 4]) await subject.next(value);
      subject.complete();
      expect(await sum).toBe(10);

      const chunks = [bytes(10, 1), bytes(70_000, 2), bytes(3, 3)];
      const upload = new Subject<Uint8Array>();
      const echoed: Uint8Array[] = [];
      const finished = new Promise<void>((resolve, reject) =>
        client.stream<Uint8Array>('EchoStream', upload).subscribe({ next: (item) => void echoed.push(item), complete: resolve, error: reject }),
      );
      for (const chunk of chunks) await upload.next(chunk);
      upload.complete();
      await finished;
      expect(echoed.map((chunk) => Buffer.from(chunk).toString('hex'))).toEqual(chunks.map((chunk) => Buffer.from(chunk).toString('hex')));
    });

    it('reports errors in completions, for methods and streams', async () => {
      const client = await connect();
      await expect(client.invoke('ThrowHub', 'no such database')).rejects.toThrow(
        "An unexpected error occurred invoking 'ThrowHub' on the server. HubException: no such database",
      );
      await expect(client.invoke('Throw')).rejects.toThrow("An unexpected error occurred invoking 'Throw' on the server.");
      await expect(client.invoke('Nope')).rejects.toThrow("Failed to invoke 'Nope' due to an error on the server. HubException: Method does not exist.");
      const items: number[] = [];
      const failure = await new Promise<Error>((resolve) =>
        client.stream<number>('FailAfterHub', 2).subscribe({ next: (item) => void items.push(item), complete: () => resolve(new Error('completed')), error: resolve }),
      );
      expect(items).toEqual([0, 1]);
      expect(failure.message).toContain('no more items');
      const id = client.connectionId as string;
      client.on('refuse', () => {
        throw new Error('not today');
      });
      await expect(server.hub.clients.client(id).invoke('refuse', [])).rejects.toThrow('Error: not today');
    });

    it('closes a connection whose record exceeds the maximum message size', async () => {
      const small = await startServer({ maximumMessageSize: 32 * 1024 });
      try {
        const client = msgpackClient(small.hubUrl, transport);
        clients.push(client);
        await client.start();
        const fits = bytes(31 * 1024);
        expect((await client.invoke<Uint8Array>('Echo', fits)).length).toBe(fits.length);
        const closed = captureClose(client);
        await client.send('Echo', bytes(33 * 1024)).catch(() => undefined);
        expect((await closed)?.message).toBe('Server returned an error on close: Connection closed with an error.');
        await waitFor(() => small.log.disconnected.length === 1);
        expect(small.log.disconnected[0]?.error).toBe('The maximum message size of 32768B was exceeded.');
      } finally {
        await small.close();
      }
    });
  });
}
