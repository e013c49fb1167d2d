/**
 * The hub side of the benchmark, run in its own process so its memory is measured alone:
 * `echo` for invocation throughput, and client-result round trips on request from the driver
 * (small numbers, or binary payloads from a JSON or a MessagePack client).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hub } from '../hub.js';
import { HubServer } from '../hub-server.js';
import { BENCH_HUB_PATH, PAYLOAD_METHOD, type DriverRequest, type ServerReply } from './bench-protocol.js';

let messages = 0;
// Payload round trips answer with up to a few hundred KiB.
const hubs = new HubServer({ maximumMessageSize: 1024 * 1024 });
const hub = hubs.mapHub(
  BENCH_HUB_PATH,
  new Hub().method('echo', (_ctx, value: unknown) => {
    messages++;
    return value;
  }),
);
const http = createServer();
hubs.attach(http);

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
  if (request.type === 'payloadRoundTrips') {
    const client = hub.clients.client(request.connectionId);
    const samplesUs: number[] = [];
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < request.count; i++) {
      const started = process.hrtime.bigint();
      const answer = await client.invoke<unknown>(PAYLOAD_METHOD, [request.bytes]);
      // Both ends with bytes in hand, as a dump receiver needs them.
      const received = request.encoding === 'base64' && typeof answer === 'string' ? Buffer.from(answer, 'base64') : answer;
      samplesUs.push(Number(process.hrtime.bigint() - started) / 1_000);
      if (!(received instanceof Uint8Array) || received.length !== request.bytes) throw new Error('Payload round trip returned the wrong value');
    }
    const cpu = process.cpuUsage(cpuBefore);
    reply({ type: 'payloadRoundTrips', samplesUs, cpuUs: cpu.user + cpu.system });
    return;
  }
  const [connection] = hub.connections();
  if (!connection) throw new Error('No client connected');
  const client = hub.clients.client(connection.connectionId);
  const samplesUs: number[] = [];
  for (let i = 0; i < request.count; i++) {
    const started = process.hrtime.bigint();
    await client.invoke('echo', [i]);
    samplesUs.push(Number(process.hrtime.bigint() - started) / 1_000);
  }
  reply({ type: 'roundTrips', samplesUs });
}

http.listen(0, '127.0.0.1', () => reply({ type: 'listening', port: (http.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
