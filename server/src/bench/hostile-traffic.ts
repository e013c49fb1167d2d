/**
 * One process of hostile traffic for `hostile.bench.ts` (`node --import tsx hostile-traffic.ts
 * <base url> <milliseconds>`): as fast as it can, for the given time, it sends distinct ~1 MB
 * anonymous GraphQL documents, requests for garbage paths (malformed escapes, unknown routes,
 * traversal attempts), and keeps connections that trickle their headers or body one byte a
 * second. It prints one JSON line of counts when done. The benchmark starts one per core.
 */
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';

const base = new URL(process.argv[2] ?? 'http://127.0.0.1:5000');
const durationMs = Number(process.argv[3] ?? 30_000);
const deadline = Date.now() + durationMs;
/** Requests in flight per kind: enough to keep one core busy sending. */
const DOCUMENT_SENDERS = 4;
const GARBAGE_SENDERS = 4;
/** Trickling connections held open at once. */
const TRICKLERS = 50;

/** `resets`: requests whose connection the server closed while they were still being sent (it answered without reading the body). */
const counts = { documents: 0, garbage: 0, trickles: 0, trickleAnswers: {} as Record<string, number>, resets: 0 };
const agent = new Agent({ keepAlive: true, maxSockets: DOCUMENT_SENDERS + GARBAGE_SENDERS });
const fields = Array.from({ length: 56_500 }, (_, i) => `a${i}:__typename`).join(' ');
let serial = 0;

function send(method: string, path: string, headers: Record<string, string>, body: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    const outgoing = request({ host: base.hostname, port: base.port, method, path, headers, agent }, (response) => {
      response.resume();
      response.on('end', resolve);
      response.on('error', resolve);
    });
    outgoing.on('error', () => {
      counts.resets++;
      resolve();
    });
    outgoing.end(body);
  });
}

async function documents(): Promise<void> {
  while (Date.now() < deadline) {
    const body = Buffer.from(JSON.stringify({ query: `{ ${fields} } #${process.pid}-${serial++}` }));
    await send('POST', '/graphql', { 'content-type': 'application/json', 'content-length': String(body.length) }, body);
    counts.documents++;
  }
}

const GARBAGE = ['/%E0%A4%A', '/%zz/%', '/graphql/%', '/api/%C0%AF', '/../../etc/passwd', '/api/backups/..%2f..%2fetc%2fpasswd', '/api/auth/nothing', '/hubs/nothing', '/wp-login.php', `/${'a'.repeat(4000)}`];

async function garbage(): Promise<void> {
  let n = 0;
  while (Date.now() < deadline) {
    const path = GARBAGE[n++ % GARBAGE.length]!;
    const method = n % 3 === 0 ? 'POST' : 'GET';
    await send(method, path, method === 'POST' ? { 'content-type': 'application/json', 'content-length': '2' } : {}, method === 'POST' ? '{}' : '');
    counts.garbage++;
  }
}

/** One connection that sends part of a request and then one byte a second, until the server closes it. */
function trickle(n: number): Promise<void> {
  return new Promise((resolve) => {
    const headersOnly = n % 2 === 0;
    const socket: Socket = connect(Number(base.port), base.hostname, () => {
      socket.write(headersOnly ? 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ' : 'POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"query":"');
    });
    const drip = setInterval(() => socket.write('x'), 1_000);
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk.toString('latin1', 0, 12)));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(drip);
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 'closed';
      counts.trickleAnswers[status] = (counts.trickleAnswers[status] ?? 0) + 1;
      resolve();
    });
    setTimeout(() => socket.destroy(), Math.max(0, deadline - Date.now())).unref();
  });
}

async function tricklers(): Promise<void> {
  while (Date.now() < deadline) await trickle(counts.trickles++);
}

await Promise.all([
  ...Array.from({ length: DOCUMENT_SENDERS }, documents),
  ...Array.from({ length: GARBAGE_SENDERS }, garbage),
  ...Array.from({ length: TRICKLERS }, tricklers),
]);
agent.destroy();
console.log(JSON.stringify(counts));
