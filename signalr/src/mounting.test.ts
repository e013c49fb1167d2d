import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { Hub } from './hub.js';
import { HubServer } from './hub-server.js';
import { connectClient } from './test-support.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function listen(server: ReturnType<typeof createServer>): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('mounting next to other handlers', () => {
  it('shares a server with another WebSocket endpoint and an HTTP handler', async () => {
    const http = createServer((_request, response) => response.end('graphql here'));
    const other = new WebSocketServer({ noServer: true });
    other.on('connection', (socket) => socket.send('other endpoint'));
    http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (request.url?.startsWith('/graphql')) other.handleUpgrade(request, socket, head, (ws) => other.emit('connection', ws, request));
    });
    const hubs = new HubServer().attach(http);
    hubs.mapHub('/hubs/node', new Hub().method('hello', (_ctx, name: string) => `hello ${name}`));
    const base = await listen(http);
    cleanups.push(() => hubs.close());

    const client = await connectClient(`${base}/hubs/node`);
    expect(await client.invoke('hello', 'node')).toBe('hello node');
    await client.stop();

    const socket = new WebSocket(`${base.replace('http', 'ws')}/graphql`);
    const greeting = await new Promise<string>((resolve, reject) => {
      socket.once('message', (data: Buffer) => resolve(data.toString()));
      socket.once('error', reject);
    });
    expect(greeting).toBe('other endpoint');
    socket.close();
    other.close();
    expect(await (await fetch(`${base}/graphql`)).text()).toBe('graphql here');
  });

  it('works as middleware: handleRequest calls next for foreign paths, handleUpgrade declines them', async () => {
    const hubs = new HubServer();
    hubs.mapHub('/hubs/node', new Hub().method('ping', () => 'pong'));
    const declined: string[] = [];
    const http = createServer((request, response) => {
      hubs.handleRequest(request, response, () => response.end(`next: ${request.url}`));
    });
    http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!hubs.handleUpgrade(request, socket, head)) {
        declined.push(request.url ?? '');
        socket.destroy();
      }
    });
    const base = await listen(http);
    cleanups.push(() => hubs.close());
    expect(await (await fetch(`${base}/health`)).text()).toBe('next: /health');
    const client = await connectClient(`${base}/hubs/node`);
    expect(await client.invoke('ping')).toBe('pong');
    await client.stop();
    const stray = new WebSocket(`${base.replace('http', 'ws')}/elsewhere`);
    await new Promise((resolve) => stray.once('error', resolve));
    expect(declined).toEqual(['/elsewhere']);
  });
});
