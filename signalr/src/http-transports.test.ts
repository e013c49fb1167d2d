import { HttpTransportType, Subject, type HubConnection as ClientConnection } from '@microsoft/signalr';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, captureClose, connectClient, startServer, waitFor, type TestServer } from './test-support.js';

for (const transport of [HttpTransportType.ServerSentEvents, HttpTransportType.LongPolling]) {
  const name = HttpTransportType[transport];
  describe(`${name} transport`, () => {
    let server: TestServer;
    const clients: ClientConnection[] = [];
    const connect = async (register?: (client: ClientConnection) => void) => {
      const client = buildClient(server.hubUrl, { options: { transport } });
      register?.(client);
      await client.start();
      clients.push(client);
      return client;
    };
    beforeAll(async () => {
      server = await startServer({ keepAliveIntervalMs: 200 });
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((client) => client.stop()));
    });
    afterAll(() => server.close());

    it('invokes, streams and uploads', async () => {
      const client = await connect();
      expect(await client.invoke('Add', 40, 2)).toBe(42);
      expect(await client.invoke('Void')).toBeNull();
      await expect(client.invoke('Nope')).rejects.toThrow("Failed to invoke 'Nope' due to an error on the server. HubException: Method does not exist.");
      const items: number[] = [];
      await new Promise<void>((resolve, reject) =>
        client.stream<number>('Counter', 4, 0).subscribe({ next: (item) => void items.push(item), complete: resolve, error: reject }),
      );
      expect(items).toEqual([0, 1, 2, 3]);
      const subject = new Subject<number>();
      const sum = client.invoke<number>('Sum', subject);
      for (const value of [1, 2, 3]) await subject.next(value);
      subject.complete();
      expect(await sum).toBe(6);
    });

    it('serves client results and pushes', async () => {
      const pushes: string[] = [];
      const client = await connect((c) => {
        c.on('double', (x: number) => x * 2);
        c.on('push', (value: string) => void pushes.push(value));
      });
      const id = client.connectionId as string;
      await waitFor(() => server.hub.connection(id) !== undefined);
      expect(await server.hub.clients.client(id).invoke('double', [21])).toBe(42);
      await server.hub.clients.client(id).send('push', 'hello');
      await waitFor(() => pushes.length === 1);
      expect(pushes).toEqual(['hello']);
    });

    it('stays connected while idle and ends cleanly on stop', async () => {
      const client = await connect();
      const id = client.connectionId as string;
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(await client.invoke('Echo', 'alive')).toBe('alive');
      await client.stop();
      await waitFor(() => server.log.disconnected.some((entry) => entry.id === id));
      expect(server.hub.connection(id)).toBeUndefined();
    });

    it('delivers a server Close with its error', async () => {
      const client = await connect();
      const closed = captureClose(client);
      server.hub.connection(client.connectionId as string)?.close({ error: 'bye' });
      expect((await closed)?.message).toBe('Server returned an error on close: bye');
    });
  });
}

describe('transport selection', () => {
  it('falls back from a refused WebSocket to the next transport', async () => {
    const server = await startServer({ transports: ['ServerSentEvents', 'LongPolling'] });
    try {
      const client = await connectClient(server.hubUrl);
      expect(await client.invoke('Echo', 'fallback')).toBe('fallback');
      await client.stop();
      const forced = buildClient(server.hubUrl, { options: { transport: HttpTransportType.WebSockets } });
      await expect(forced.start()).rejects.toThrow(/Unable to connect to the server with any of the available transports/);
    } finally {
      await server.close();
    }
  });
});
