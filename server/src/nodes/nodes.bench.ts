import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { HubServer } from '@krint/signalr';
import { createAgent, NODE_HUB_PATH, type CommandExecutor, type InstanceAddress } from '@krint/agent';
import { machineDescription, percentiles, writeBenchSection } from '../../../scripts/bench-report.js';
import { openDatabase } from '../db/orm.js';
import { ExecutorRouter } from '../executors/router.js';
import { NodeHub } from './node-hub.js';

/**
 * Node benchmarks, each against its baseline in the same run:
 * 1. a query through a node (hub round trip to a separate node process) against the same query
 *    run by the in-process agent;
 * 2. a large PostgreSQL dump streamed from the node against the same dump streamed locally, with
 *    the peak memory of both processes;
 * 3. how many idle nodes (official SignalR clients in helper processes, registered and pinging)
 *    one control plane holds, with its CPU and memory.
 * Sizes: BENCH_DUMP_MB (default 1024), BENCH_DUMP_ROUNDS (default 5: local and node dumps
 * interleaved, medians reported, since the two cores are shared with PostgreSQL and the dump
 * tool), BENCH_IDLE_NODES (default 1000), BENCH_QUERIES (default 500).
 * BENCH_NODE_FLAGS: extra Node.js flags for the node process, e.g. `--cpu-prof --cpu-prof-dir=…`
 * to profile it (run this file with `node --cpu-prof --import tsx` for the control plane's side).
 */
const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const DUMP_MB = Number(process.env.BENCH_DUMP_MB ?? 1024);
const DUMP_ROUNDS = Math.max(1, Number(process.env.BENCH_DUMP_ROUNDS ?? 5));
const IDLE_NODES = Number(process.env.BENCH_IDLE_NODES ?? 1000);
const QUERIES = Number(process.env.BENCH_QUERIES ?? 500);
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const TOKEN = `bench-${randomUUID()}`;

function log(message: string): void {
  console.log(`[nodes-bench] ${message}`);
}

function peakRssMb(pid: number | 'self'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

function cpuSeconds(pid: number | 'self'): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface DumpRun {
  readonly bytes: number;
  readonly seconds: number;
  readonly mbPerSecond: number;
  /** CPU seconds the control plane and the node process spent during the dump. */
  readonly controlPlaneCpu: number;
  readonly nodeCpu: number;
}

/** Median CPU seconds per 1,000 MB of dump. */
function cpuPerGb(runs: readonly DumpRun[], pick: (run: DumpRun) => number): number {
  const perGb = runs.map((run) => (pick(run) / run.bytes) * 1000 * 1024 * 1024).sort((a, b) => a - b);
  return perGb[Math.floor(perGb.length / 2)]!;
}

function medianRun(runs: readonly DumpRun[]): DumpRun {
  return [...runs].sort((a, b) => a.mbPerSecond - b.mbPerSecond)[Math.floor(runs.length / 2)]!;
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)}`;
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'krint-nodes-bench-'));
  const orm = await openDatabase({ kind: 'sqlite', file: path.join(dataDir, 'krint.db') });
  const agent = await createAgent();
  const router = new ExecutorRouter(agent.executor);
  const nodeHub = new NodeHub({ orm, router, allowList: [TOKEN] });
  const hubs = new HubServer(nodeHub.serverOptions());
  nodeHub.bind(hubs.mapHub(NODE_HUB_PATH, nodeHub.hub));
  const http = createServer((_q, r) => r.writeHead(404).end());
  hubs.attach(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const children: ChildProcess[] = [];
  const nodeId = randomUUID();
  let created: { containerId: string } | undefined;
  try {
    // A real node process, exactly as users run it.
    const node = spawn(process.execPath, [...NODE_FLAGS, path.join(ROOT, 'bin/krint.mjs')], {
      env: { ...process.env, Krint__Role: 'node', Node__ControlPlaneUrl: url, Node__Token: TOKEN, Node__Id: nodeId, Node__Name: 'bench-node', Node__HealthPort: '0', Node__HealthHost: '127.0.0.1' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(node);
    await until(() => router.isConnected(nodeId), 60_000, 'the node to register');
    const local = router.for(null);
    const remote = router.for(nodeId);

    const password = `Bench${randomUUID().replaceAll('-', '')}`;
    const instance = await local.run('instance.create', { engineId: 'postgres', version: '15', instanceId: randomUUID(), slug: 'nodebench', rootPassword: password, defaultDatabase: 'bench', plugins: [], isPublic: false, storage: 'volume' });
    created = instance;
    await local.run('instance.start', { containerId: instance.containerId });
    const target: InstanceAddress = { engineId: 'postgres', version: '15', containerId: instance.containerId, hostPort: instance.hostPort, rootUser: 'postgres', rootPassword: password, defaultDatabase: 'bench' };
    await local.run('instance.waitReady', { instance: target });

    // 1. Query latency.
    const query = async (executor: CommandExecutor) => {
      const samples: number[] = [];
      // A catalog query on the agent's pooled session: what is measured is the transport, not a
      // connection set-up (the console opens a connection per statement on purpose).
      for (let i = 0; i < 50; i++) await executor.run('db.listDatabases', { instance: target });
      for (let i = 0; i < QUERIES; i++) {
        const started = performance.now();
        await executor.run('db.listDatabases', { instance: target });
        samples.push(performance.now() - started);
      }
      return percentiles(samples);
    };
    const localQuery = await query(local);
    const remoteQuery = await query(remote);
    log(`query: local median ${localQuery.median.toFixed(2)} ms, through node ${remoteQuery.median.toFixed(2)} ms`);

    // 2. Dump throughput and memory.
    log(`loading about ${DUMP_MB} MB of rows`);
    const rows = Math.round((DUMP_MB * 1024 * 1024) / 78);
    await local.run('db.query', { instance: target, database: 'bench', text: `CREATE TABLE filler AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS payload FROM generate_series(1, ${rows}) AS g`, rowLimit: 1, timeoutMs: 3_600_000 });
    // Set the hint bits now, so the first dump does not pay for writing them and the rounds compare alike.
    await local.run('db.query', { instance: target, database: 'bench', text: 'VACUUM (FREEZE, ANALYZE) filler', rowLimit: 1, timeoutMs: 3_600_000 });
    const dump = async (executor: CommandExecutor) => {
      const started = performance.now();
      let bytes = 0;
      for await (const chunk of executor.stream('backup.dump', { instance: target })) bytes += chunk.data.byteLength;
      const seconds = (performance.now() - started) / 1000;
      return { bytes, seconds, mbPerSecond: bytes / 1024 / 1024 / seconds };
    };
    // Rounds alternate which side goes first, so neither always dumps onto a warmer cache.
    const localDumps: DumpRun[] = [];
    const remoteDumps: DumpRun[] = [];
    let controlPlanePeakAfterLocal = 0;
    for (let round = 0; round < DUMP_ROUNDS; round++) {
      for (const side of round % 2 === 0 ? (['local', 'remote'] as const) : (['remote', 'local'] as const)) {
        // CPU time, unlike throughput, hardly depends on what else the shared cores run.
        const [selfBefore, nodeBefore] = [cpuSeconds('self'), cpuSeconds(node.pid!)];
        const result = await dump(side === 'local' ? local : remote);
        (side === 'local' ? localDumps : remoteDumps).push({ ...result, controlPlaneCpu: cpuSeconds('self') - selfBefore, nodeCpu: cpuSeconds(node.pid!) - nodeBefore });
        // The first local dump runs before any through the node: the control plane's own peak.
        if (round === 0 && side === 'local') controlPlanePeakAfterLocal = peakRssMb('self');
      }
      const [l, r] = [localDumps.at(-1)!, remoteDumps.at(-1)!];
      log(`dump round ${round + 1}: local ${l.mbPerSecond.toFixed(1)} MB/s (CPU ${l.controlPlaneCpu.toFixed(1)} s), through node ${r.mbPerSecond.toFixed(1)} MB/s (CPU ${r.controlPlaneCpu.toFixed(1)} s + node ${r.nodeCpu.toFixed(1)} s) (${(r.mbPerSecond / l.mbPerSecond).toFixed(2)}×)`);
    }
    const controlPlanePeak = peakRssMb('self');
    const nodePeak = peakRssMb(node.pid!);
    const localDump = medianRun(localDumps);
    const remoteDump = medianRun(remoteDumps);
    log(`dump, median of ${DUMP_ROUNDS}: local ${localDump.mbPerSecond.toFixed(1)} MB/s, through node ${remoteDump.mbPerSecond.toFixed(1)} MB/s`);

    // 3. Idle nodes.
    const perChild = 250;
    const rssBefore = process.memoryUsage().rss / 1024 / 1024;
    const childCount = Math.ceil(IDLE_NODES / perChild);
    const readiness: Promise<number>[] = [];
    for (let i = 0; i < childCount; i++) {
      const share = Math.min(perChild, IDLE_NODES - i * perChild);
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'bench/idle-nodes.ts'), url, TOKEN, String(share)], { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT });
      children.push(child);
      readiness.push(new Promise((resolve, reject) => {
        child.stdout!.on('data', (data: Buffer) => {
          const match = /ready (\d+)/.exec(data.toString());
          if (match) resolve(Number(match[1]));
        });
        child.once('exit', (code) => reject(new Error(`idle-node helper exited with ${code}`)));
      }));
    }
    const connected = (await Promise.all(readiness)).reduce((a, b) => a + b, 0);
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    const windowSeconds = 30;
    const cpuStart = cpuSeconds('self');
    await new Promise((resolve) => setTimeout(resolve, windowSeconds * 1000));
    const cpuPercent = ((cpuSeconds('self') - cpuStart) / windowSeconds) * 100;
    const rssAfter = process.memoryUsage().rss / 1024 / 1024;
    log(`idle nodes: ${connected} connected, control plane ${cpuPercent.toFixed(1)}% of one core, RSS ${rssAfter.toFixed(0)} MB`);

    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    const dumpRatio = remoteDump.mbPerSecond / localDump.mbPerSecond;
    const roundRatios = remoteDumps.map((run, index) => `${ratio(run.mbPerSecond, localDumps[index]!.mbPerSecond)}×`).join(', ');
    // How chunks travel, true whether or not the target is met; the verdict says which.
    const transport =
      'Dump chunks are bytes end to end: the agent hands the dump tool\'s output on as it reads it, and the node connection speaks the MessagePack hub protocol, so a `Next` answer carries up to four 256 KiB chunks (1 MiB) as `bin` values, with no base64 and no JSON text on either side, and the control plane keeps two `Next` requests in flight, so the node never waits a round trip for the next one. ' +
      'What the node path adds to the in-process one is a few copies of each batch (MessagePack encoding and the official client\'s framing on the node), WebSocket masking and unmasking (native, through `bufferutil`; in a profile without it, the byte loop in JavaScript took a quarter of the node\'s CPU and half of the control plane\'s) and the loopback socket, all on the two cores that PostgreSQL and `pg_dumpall` use too.';
    const dumpNote =
      dumpRatio >= 0.8
        ? `The dump target is met. ${transport} Single rounds vary with the load on the shared cores (this run's ratios by round: ${roundRatios}), hence ${DUMP_ROUNDS} interleaved rounds and medians.`
        : `Why the dump target is missed in this run: ${transport} Single rounds vary with the load on the shared cores (this run's ratios by round: ${roundRatios}), and the node path needs about twice the CPU of the local one (the CPU row), which the cores shared with PostgreSQL and \`pg_dumpall\` do not always have to spare. ` +
          'In CPU profiles of a dump (BENCH_NODE_FLAGS for the node, `node --cpu-prof --import tsx` for this file), a third of the node\'s time is garbage collection and a sixth the official client\'s framing, which copies each batch three times (MessagePack encoding, the length prefix, the send queue joining its buffers) and so also drives most of those collections; on the control plane, garbage collection is 40% and joining WebSocket frames into messages most of the rest. Framing a batch with one copy on the node is the next step.';
    const idleNote = rssAfter < rssBefore ? ' The RSS difference for the idle connections is negative because a garbage collection ran in between; the total is what counts.' : '';
    writeBenchSection('nodes', `## Nodes (control plane ↔ node over the hub)

Machine: ${machineDescription()}. The node is a separate \`Krint__Role=node\` process on the same machine; the baseline is the control plane's in-process agent doing the same work against the same PostgreSQL 15 container. Load average when the run ended: ${loadavg().map((value) => value.toFixed(2)).join(', ')}.

| measure | local (baseline) | through the node | ratio / difference | target |
|---|---|---|---|---|
| \`db.listDatabases\` (one catalog query), median of ${QUERIES} | ${localQuery.median.toFixed(2)} ms | ${remoteQuery.median.toFixed(2)} ms | ${signed(remoteQuery.median - localQuery.median)} ms | ≤ +2 ms |
| same, 95th percentile | ${localQuery.p95.toFixed(2)} ms | ${remoteQuery.p95.toFixed(2)} ms | ${signed(remoteQuery.p95 - localQuery.p95)} ms | |
| \`pg_dumpall\` stream of ${(localDump.bytes / 1024 / 1024).toFixed(0)} MB, median of ${DUMP_ROUNDS} interleaved rounds | ${localDump.mbPerSecond.toFixed(1)} MB/s | ${remoteDump.mbPerSecond.toFixed(1)} MB/s | ${dumpRatio.toFixed(2)}× | ≥ 0.8× |
| CPU per 1,000 MB dumped, median | control plane ${cpuPerGb(localDumps, (run) => run.controlPlaneCpu).toFixed(1)} s | control plane ${cpuPerGb(remoteDumps, (run) => run.controlPlaneCpu).toFixed(1)} s + node ${cpuPerGb(remoteDumps, (run) => run.nodeCpu).toFixed(1)} s | — | |
| peak RSS while dumping | control plane ${controlPlanePeakAfterLocal.toFixed(0)} MB after the first local dump | control plane ${controlPlanePeak.toFixed(0)} MB, node ${nodePeak.toFixed(0)} MB, after all rounds | bounded, not a copy of the dump: at most two batches (≤ 1 MiB of chunks each) on the way and 1 MiB read ahead of the dump tool; the rest is dead Buffers that V8 collects late | flat |

| idle nodes (official client, registered, 15 s pings) | connected | control plane CPU over ${windowSeconds} s | control plane RSS | target |
|---|---|---|---|---|
| ${IDLE_NODES} requested | ${connected} | ${cpuPercent.toFixed(1)}% of one core | ${rssAfter.toFixed(0)} MB (${(rssAfter - rssBefore).toFixed(0)} MB for the connections) | 1,000, < 10%, < 500 MB |

${dumpNote}${idleNote}
`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    if (created) await router.for(null).run('instance.remove', { containerId: created.containerId, removeVolume: true }).catch(() => undefined);
    await hubs.close({ timeoutMs: 1000 });
    http.close();
    await agent.close();
    await orm.close(true);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
