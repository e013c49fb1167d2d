/**
 * The baseline: a bare `ws` server doing the same exchanges as the hub with plain JSON messages,
 * so the comparison isolates what the SignalR layers cost.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DriverRequest, ServerReply } from './bench-protocol.js';

let messages = 0;
let socket: WebSocket | undefined;
let pendingReply: (() => void) | undefined;
const http = createServer();
const sockets = new WebSocketServer({ server: http, perMessageDeflate: false });
sockets.on('connection', (connected) => {
  socket = connected;
  connected.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString('utf8')) as { kind: string; id: number; value: unknown };
    if (message.kind === 'call') {
      messages++;
      connected.send(JSON.stringify({ kind: 'result', id: message.id, value: message.value }));
    } else if (message.kind === 'reply') {
      pendingReply?.();
    }
  });
});

const reply = (message: ServerReply): void => void process.send?.(message);

process.on('message', (request: DriverRequest) => {
  void handle(request);
});

async function handle(request: DriverRequest): Promise<void> {
  if (request.type === 'memory') {
    globalThis.gc?.();
    const { heapUsed, rss } = process.memoryUsage();
    reply({ type: 'memory', heapUsed, rss, messages });
    return;
  }
  if (!socket) throw new Error('No client connected');
  const samplesUs: number[] = [];
  for (let i = 0; i < request.count; i++) {
    const started = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      pendingReply = resolve;
      socket?.send(JSON.stringify({ kind: 'request', id: i, value: i }));
    });
    samplesUs.push(Number(process.hrtime.bigint() - started) / 1_000);
  }
  reply({ type: 'roundTrips', samplesUs });
}

http.listen(0, '127.0.0.1', () => reply({ type: 'listening', port: (http.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
