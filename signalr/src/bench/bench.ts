/**
 * Hub benchmark: the official client against our hub, and a bare `ws` client against a bare `ws`
 * server doing the same exchanges, on this machine in one run.
 *
 *   (a) client-result round trip: the server calls the client and awaits the value, in sequence;
 *   (b) pipelined invocations: the client keeps WINDOW calls in flight;
 *   (c) hub server memory (after GC) across 1,000,000 invocations;
 *   (d) client-result round trips carrying 256 KiB of bytes: JSON (base64 string) against
 *       MessagePack (`bin`), with the hub server's CPU time per round trip.
 *
 * The machine may be shared, so hub and baseline alternate in rounds and medians are reported.
 *
 * `npm run bench -w @krint/signalr` prints a markdown report; add `-- --write` to also replace
 * the "SignalR hub" section of BENCHMARKS.md at the repository root.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { HubConnectionBuilder, LogLevel, type HubConnection } from '@microsoft/signalr';
import { MessagePackHubProtocol } from '@microsoft/signalr-protocol-msgpack';
import { WebSocket } from 'ws';
import { BENCH_HUB_PATH, PAYLOAD_METHOD, type DriverRequest, type PayloadEncoding, type ServerReply } from './bench-protocol.js';

const WARMUP_ROUND_TRIPS = 1_000;
const WARMUP_CALLS = 20_000;
/** Hub and baseline take turns, round by round, so load from elsewhere hits both alike. */
const ROUNDS = 5;
const ROUND_TRIPS_PER_ROUND = 2_000;
const CALLS_PER_ROUND = 40_000;
const WINDOW = 1_000;
const MEMORY_CALLS = 1_000_000;
const MEMORY_SAMPLE_EVERY = 100_000;
const PAYLOAD_BYTES = 256 * 1024;
const PAYLOAD_WARMUP = 50;
const PAYLOAD_ROUND_TRIPS_PER_ROUND = 100;
const SECTION_TITLE = '## SignalR hub';
const SECTION_START = '<!-- bench:signalr -->';
const SECTION_END = '<!-- /bench:signalr -->';

/** A server process speaking the driver protocol over IPC, one request at a time. */
class ServerProcess {
  #waiting: ((reply: ServerReply) => void) | undefined;

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: ServerReply) => {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve?.(reply);
    });
  }

  static async start(file: string): Promise<{ server: ServerProcess; port: number }> {
    const child = fork(fileURLToPath(new URL(file, import.meta.url)), [], {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const server = new ServerProcess(child);
    const listening = await server.#next();
    if (listening.type !== 'listening') throw new Error('Server did not start');
    return { server, port: listening.port };
  }

  async request<T extends ServerReply['type']>(request: DriverRequest & { type: T }): Promise<Extract<ServerReply, { type: T }>> {
    const reply = this.#next();
    this.child.send(request);
    return (await reply) as Extract<ServerReply, { type: T }>;
  }

  stop(): void {
    if (this.child.connected) this.child.disconnect();
    this.child.kill();
  }

  #next(): Promise<ServerReply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('Server process did not answer within 120 s')), 120_000);
      this.#waiting = (reply) => {
        clearTimeout(timer);
        resolve(reply);
      };
    });
  }
}

/** Runs `total` calls keeping `window` in flight; returns calls per second. */
async function pipelined(total: number, window: number, call: (index: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < total) await call(next++);
  };
  await Promise.all(Array.from({ length: window }, worker));
  return total / ((performance.now() - started) / 1_000);
}

interface RoundTripStats {
  /** Median over the rounds of each round's mean. */
  readonly meanUs: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

function roundTripStats(rounds: number[][]): RoundTripStats {
  const all = rounds.flat().sort((a, b) => a - b);
  const at = (q: number) => all[Math.min(all.length - 1, Math.floor(q * all.length))] ?? 0;
  return { meanUs: median(rounds.map((round) => round.reduce((sum, value) => sum + value, 0) / round.length)), p50Us: at(0.5), p99Us: at(0.99) };
}

interface MemorySample {
  readonly messages: number;
  readonly heapUsed: number;
  readonly rss: number;
}

/** One contender: a server process and its client, able to run both exchanges. */
interface Contender {
  readonly server: ServerProcess;
  call(value: number): Promise<unknown>;
  stop(): Promise<void>;
}

async function startHub(): Promise<Contender> {
  const { server, port } = await ServerProcess.start('./hub-bench-server.ts');
  const client: HubConnection = new HubConnectionBuilder()
    .withUrl(`http://127.0.0.1:${port}${BENCH_HUB_PATH}`)
    .configureLogging(LogLevel.None)
    .build();
  client.on('echo', (value: unknown) => value);
  await client.start();
  return {
    server,
    call: (value) => client.invoke('echo', value),
    stop: async () => {
      await client.stop();
      server.stop();
    },
  };
}

async function startBareWebSocket(): Promise<Contender> {
  const { server, port } = await ServerProcess.start('./ws-bench-server.ts');
  const socket = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const pending = new Map<number, (value: unknown) => void>();
  socket.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString('utf8')) as { kind: string; id: number; value: unknown };
    // The same two exchanges as the hub: answer the server's requests, match results to calls.
    if (message.kind === 'request') socket.send(JSON.stringify({ kind: 'reply', id: message.id, value: message.value }));
    else {
      pending.get(message.id)?.(message.value);
      pending.delete(message.id);
    }
  });
  let nextId = 0;
  return {
    server,
    call: (value) =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        socket.send(JSON.stringify({ kind: 'call', id, value }));
      }),
    stop: async () => {
      socket.close();
      server.stop();
    },
  };
}

/**
 * The hub server with a minimal client speaking the hub protocol by hand: separates what the
 * server costs from what the official client's own processing costs.
 */
async function startHubWithMinimalClient(): Promise<Contender> {
  const { server, port } = await ServerProcess.start('./hub-bench-server.ts');
  const negotiate = (await (await fetch(`http://127.0.0.1:${port}${BENCH_HUB_PATH}/negotiate?negotiateVersion=1`, { method: 'POST' })).json()) as {
    connectionToken: string;
  };
  const socket = new WebSocket(`ws://127.0.0.1:${port}${BENCH_HUB_PATH}?id=${negotiate.connectionToken}`, { perMessageDeflate: false });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const pending = new Map<string, (value: unknown) => void>();
  let handshakeDone: () => void = () => undefined;
  const handshake = new Promise<void>((resolve) => (handshakeDone = resolve));
  socket.on('message', (data: Buffer) => {
    for (const record of data.toString('utf8').split('\u001e')) {
      if (record === '{}') handshakeDone();
      if (record === '' || record === '{}') continue;
      const message = JSON.parse(record) as { type: number; invocationId?: string; arguments?: unknown[]; result?: unknown };
      if (message.type === 1 && message.invocationId !== undefined) {
        socket.send(`{"type":3,"invocationId":"${message.invocationId}","result":${JSON.stringify(message.arguments?.[0])}}\u001e`);
      } else if (message.type === 3 && message.invocationId !== undefined) {
        pending.get(message.invocationId)?.(message.result);
        pending.delete(message.invocationId);
      }
    }
  });
  socket.send('{"protocol":"json","version":1}\u001e');
  await handshake;
  let nextId = 0;
  return {
    server,
    call: (value) =>
      new Promise((resolve) => {
        const id = String(nextId++);
        pending.set(id, resolve);
        socket.send(`{"type":1,"invocationId":"${id}","target":"echo","arguments":[${value}]}\u001e`);
      }),
    stop: async () => {
      socket.close();
      server.stop();
    },
  };
}

interface Results {
  readonly roundTrip: RoundTripStats;
  readonly throughput: number;
}

async function compare(hub: Contender, bare: Contender, minimal: Contender): Promise<{ hub: Results; bare: Results; minimal: Results }> {
  const samples = new Map<Contender, { roundTrips: number[][]; rates: number[] }>([
    [hub, { roundTrips: [], rates: [] }],
    [bare, { roundTrips: [], rates: [] }],
    [minimal, { roundTrips: [], rates: [] }],
  ]);
  for (const contender of [hub, bare, minimal]) {
    await contender.server.request({ type: 'roundTrips', count: WARMUP_ROUND_TRIPS });
    await pipelined(WARMUP_CALLS, WINDOW, contender.call);
  }
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [hub, bare, minimal] : [minimal, bare, hub];
    for (const contender of order) {
      const record = samples.get(contender) as { roundTrips: number[][]; rates: number[] };
      record.roundTrips.push((await contender.server.request({ type: 'roundTrips', count: ROUND_TRIPS_PER_ROUND })).samplesUs);
      record.rates.push(await pipelined(CALLS_PER_ROUND, WINDOW, contender.call));
    }
  }
  const results = (contender: Contender): Results => {
    const record = samples.get(contender) as { roundTrips: number[][]; rates: number[] };
    return { roundTrip: roundTripStats(record.roundTrips), throughput: median(record.rates) };
  };
  return { hub: results(hub), bare: results(bare), minimal: results(minimal) };
}

async function memoryOverMillion(hub: Contender): Promise<MemorySample[]> {
  const memory: MemorySample[] = [await hub.server.request({ type: 'memory' })];
  for (let done = 0; done < MEMORY_CALLS; done += MEMORY_SAMPLE_EVERY) {
    await pipelined(MEMORY_SAMPLE_EVERY, WINDOW, hub.call);
    memory.push(await hub.server.request({ type: 'memory' }));
  }
  return memory;
}

interface PayloadResults {
  readonly roundTrip: RoundTripStats;
  /** Median over the rounds of the hub server's CPU time per round trip. */
  readonly serverCpuUs: number;
}

/**
 * The same hub server asks two official clients for 256 KiB of bytes in turn: one speaking JSON,
 * which can only answer with a base64 string (decoded by the server), one speaking MessagePack,
 * whose `Uint8Array` travels as `bin`.
 */
async function comparePayloads(): Promise<{ json: PayloadResults; msgpack: PayloadResults }> {
  const { server, port } = await ServerProcess.start('./hub-bench-server.ts');
  const payload = new Uint8Array(randomBytes(PAYLOAD_BYTES));
  const connect = async (messagePack: boolean): Promise<HubConnection> => {
    let builder = new HubConnectionBuilder().withUrl(`http://127.0.0.1:${port}${BENCH_HUB_PATH}`).configureLogging(LogLevel.None);
    if (messagePack) builder = builder.withHubProtocol(new MessagePackHubProtocol());
    const client = builder.build();
    // A dump chunk is new data every time, so the JSON client encodes on every answer.
    client.on(PAYLOAD_METHOD, messagePack ? (bytes: number) => payload.subarray(0, bytes) : (bytes: number) => Buffer.from(payload.buffer, 0, bytes).toString('base64'));
    await client.start();
    return client;
  };
  const json = await connect(false);
  const msgpack = await connect(true);
  const contenders: Array<{ client: HubConnection; encoding: PayloadEncoding; roundTrips: number[][]; cpu: number[] }> = [
    { client: json, encoding: 'base64', roundTrips: [], cpu: [] },
    { client: msgpack, encoding: 'bytes', roundTrips: [], cpu: [] },
  ];
  const run = (contender: (typeof contenders)[number], count: number) =>
    server.request({ type: 'payloadRoundTrips', count, connectionId: contender.client.connectionId as string, encoding: contender.encoding, bytes: PAYLOAD_BYTES });
  try {
    for (const contender of contenders) await run(contender, PAYLOAD_WARMUP);
    for (let round = 0; round < ROUNDS; round++) {
      for (const contender of round % 2 === 0 ? contenders : [...contenders].reverse()) {
        const result = await run(contender, PAYLOAD_ROUND_TRIPS_PER_ROUND);
        contender.roundTrips.push(result.samplesUs);
        contender.cpu.push(result.cpuUs / PAYLOAD_ROUND_TRIPS_PER_ROUND);
      }
    }
  } finally {
    await json.stop();
    await msgpack.stop();
    server.stop();
  }
  const results = (index: number): PayloadResults => {
    const contender = contenders[index] as (typeof contenders)[number];
    return { roundTrip: roundTripStats(contender.roundTrips), serverCpuUs: median(contender.cpu) };
  };
  return { json: results(0), msgpack: results(1) };
}

function machine(): string {
  let cpu = 'unknown CPU';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // Not Linux: leave the model out.
  }
  return `${availableParallelism()} × ${cpu} (nproc ${availableParallelism()}), ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, ${process.platform}/${process.arch}`;
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const mibPerSecond = (roundTripUs: number) => PAYLOAD_BYTES / 2 ** 20 / (roundTripUs / 1_000_000);
const fixed = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function report(hub: Results, bare: Results, minimal: Results, memory: MemorySample[], payloads: { json: PayloadResults; msgpack: PayloadResults }, load: string): string {
  const { json, msgpack } = payloads;
  const first = memory[1] ?? memory[0];
  const last = memory.at(-1);
  const growth = first && last ? last.heapUsed - first.heapUsed : 0;
  const lines = [
    SECTION_TITLE,
    '',
    `Measured by \`npm run bench -w @krint/signalr\` on ${new Date().toISOString().slice(0, 10)}: ${machine()}; load average ${load} at the start.`,
    'The hub runs in its own process with the official `@microsoft/signalr` client in the driver process;',
    'the baseline is a bare `ws` server and client exchanging the same JSON messages. Both run',
    `${ROUNDS} interleaved rounds of ${fixed(ROUND_TRIPS_PER_ROUND)} round trips and ${fixed(CALLS_PER_ROUND)} pipelined calls; the table`,
    'shows the median round (mean round trip, calls/s) and percentiles over all round trips.',
    '',
    '| Measure | Hub + official client | Bare `ws` | Ratio (hub / bare) | Target |',
    '|---|---:|---:|---:|---|',
    `| Client-result round trip, mean of median round (µs) | ${fixed(hub.roundTrip.meanUs)} | ${fixed(bare.roundTrip.meanUs)} | ${(hub.roundTrip.meanUs / bare.roundTrip.meanUs).toFixed(2)}× | ≤ 2× |`,
    `| Client-result round trip, p50 / p99 (µs) | ${fixed(hub.roundTrip.p50Us)} / ${fixed(hub.roundTrip.p99Us)} | ${fixed(bare.roundTrip.p50Us)} / ${fixed(bare.roundTrip.p99Us)} | ${(hub.roundTrip.p50Us / bare.roundTrip.p50Us).toFixed(2)}× / ${(hub.roundTrip.p99Us / bare.roundTrip.p99Us).toFixed(2)}× | |`,
    `| Pipelined invocations (calls/s, ${fixed(WINDOW)} in flight) | ${fixed(hub.throughput)} | ${fixed(bare.throughput)} | ${(hub.throughput / bare.throughput).toFixed(2)}× | ≥ 0.5× |`,
    '',
    'The same hub server driven by a minimal hand-written hub-protocol client instead of the official one,',
    'to separate the server\'s cost from the official client\'s own per-message work:',
    '',
    '| Measure | Hub + minimal client | Bare `ws` | Ratio |',
    '|---|---:|---:|---:|',
    `| Client-result round trip, mean of median round (µs) | ${fixed(minimal.roundTrip.meanUs)} | ${fixed(bare.roundTrip.meanUs)} | ${(minimal.roundTrip.meanUs / bare.roundTrip.meanUs).toFixed(2)}× |`,
    `| Client-result round trip, p50 / p99 (µs) | ${fixed(minimal.roundTrip.p50Us)} / ${fixed(minimal.roundTrip.p99Us)} | ${fixed(bare.roundTrip.p50Us)} / ${fixed(bare.roundTrip.p99Us)} | ${(minimal.roundTrip.p50Us / bare.roundTrip.p50Us).toFixed(2)}× / ${(minimal.roundTrip.p99Us / bare.roundTrip.p99Us).toFixed(2)}× |`,
    `| Pipelined invocations (calls/s) | ${fixed(minimal.throughput)} | ${fixed(bare.throughput)} | ${(minimal.throughput / bare.throughput).toFixed(2)}× |`,
    '',
    'Whatever the hub + official client round trip adds beyond the minimal-client one is spent inside the',
    'official client (its receive path, timer resets and send queue), not in the server. Pipelined',
    'throughput can beat the bare baseline because the official client\'s send queue and the server both',
    'pack messages produced in the same turn into one frame, which the bare exchange does not. Figures',
    'vary by ±30% between runs on a shared machine; compare ratios, not absolutes.',
    '',
    `Client-result round trips carrying ${fixed(PAYLOAD_BYTES / 1024)} KiB of bytes from the client, the shape of a dump chunk: the same hub`,
    'server asks a JSON client, which must answer with a base64 string that the server decodes, and a',
    'MessagePack client, whose `Uint8Array` travels as `bin` and arrives as a `Uint8Array`. Both official clients,',
    `${ROUNDS} interleaved rounds of ${fixed(PAYLOAD_ROUND_TRIPS_PER_ROUND)} round trips; server CPU is user + system time of the hub process.`,
    '',
    '| Measure | JSON (base64 string) | MessagePack (bin) | Ratio (MessagePack / JSON) |',
    '|---|---:|---:|---:|',
    `| Round trip, mean of median round (µs) | ${fixed(json.roundTrip.meanUs)} | ${fixed(msgpack.roundTrip.meanUs)} | ${(msgpack.roundTrip.meanUs / json.roundTrip.meanUs).toFixed(2)}× |`,
    `| Round trip, p50 / p99 (µs) | ${fixed(json.roundTrip.p50Us)} / ${fixed(json.roundTrip.p99Us)} | ${fixed(msgpack.roundTrip.p50Us)} / ${fixed(msgpack.roundTrip.p99Us)} | ${(msgpack.roundTrip.p50Us / json.roundTrip.p50Us).toFixed(2)}× / ${(msgpack.roundTrip.p99Us / json.roundTrip.p99Us).toFixed(2)}× |`,
    `| Hub server CPU per round trip, median round (µs) | ${fixed(json.serverCpuUs)} | ${fixed(msgpack.serverCpuUs)} | ${(msgpack.serverCpuUs / json.serverCpuUs).toFixed(2)}× |`,
    `| Throughput with one chunk in flight (MiB/s, from the mean) | ${fixed(mibPerSecond(json.roundTrip.meanUs))} | ${fixed(mibPerSecond(msgpack.roundTrip.meanUs))} | ${(json.roundTrip.meanUs / msgpack.roundTrip.meanUs).toFixed(2)}× |`,
    '',
    `Hub server memory after GC over ${fixed(MEMORY_CALLS)} further invocations (each one message in and one out;`,
    'the count includes the calls made above):',
    '',
    '| Invocations | heapUsed (MiB) | RSS (MiB) |',
    '|---:|---:|---:|',
    ...memory.map((sample) => `| ${fixed(sample.messages)} | ${mib(sample.heapUsed)} | ${mib(sample.rss)} |`),
    '',
    `heapUsed from the first sample under load to the last: ${growth >= 0 ? '+' : ''}${mib(growth)} MiB.`,
    '',
  ];
  return lines.join('\n');
}

/** Replaces (or appends) only our section, fenced by markers like the other sections. */
function writeSection(section: string): void {
  const path = fileURLToPath(new URL('../../../BENCHMARKS.md', import.meta.url));
  const fenced = `${SECTION_START}\n${section.trimEnd()}\n${SECTION_END}\n`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(SECTION_START);
  const end = current.indexOf(SECTION_END);
  const next =
    start !== -1 && end > start
      ? current.slice(0, start) + fenced + current.slice(end + SECTION_END.length).replace(/^\n/, '')
      : `${current.trimEnd()}\n\n${fenced}`;
  writeFileSync(path, next);
}

const started = performance.now();
const load = loadavg().map((value) => value.toFixed(2)).join(' / ');
const hub = await startHub();
const bare = await startBareWebSocket();
const minimal = await startHubWithMinimalClient();
let section: string;
try {
  const results = await compare(hub, bare, minimal);
  await minimal.stop();
  const memory = await memoryOverMillion(hub);
  await hub.stop();
  section = report(results.hub, results.bare, results.minimal, memory, await comparePayloads(), load);
} finally {
  await hub.stop();
  await bare.stop();
  await minimal.stop();
}
console.log(section);
console.log(`(benchmark took ${((performance.now() - started) / 1_000).toFixed(0)} s)`);
if (process.argv.includes('--write')) writeSection(section);
