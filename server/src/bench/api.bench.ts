/**
 * Control-plane API benchmarks, each against its baseline in the same run:
 * 1. a GraphQL round trip (HTTP on localhost, API token) for a page of 100 rows of a
 *    1,000,000-row PostgreSQL table, first page and a page 900,000 rows deep, against the same
 *    keyset query run directly with `pg`; the agent's `db.readRows` in-process is timed too, to show
 *    where the time goes;
 * 2. log lines per second delivered to a `logs(instanceId, tail)` subscription over graphql-ws (each
 *    event a list of lines) against `docker logs -f` on the same container, each following the same
 *    burst in turn.
 * Sizes: BENCH_ROWS (default 1000000), BENCH_PAGES (default 300), BENCH_LOG_LINES (default 100000),
 * BENCH_LOG_ROUNDS (default 2). Writes the `server-api` section of BENCHMARKS.md.
 * BENCH_LOGS_ONLY=1 is for iterating on log delivery: the page part shrinks to a token run (unless
 * BENCH_ROWS/BENCH_PAGES say otherwise) and the section is printed, not written.
 */
import { spawn } from 'node:child_process';
import { performance as loopPerformance } from 'node:perf_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createClient, type Client } from 'graphql-ws';
import { WebSocket } from 'ws';
import { createAgent, type InstanceAddress } from '@krint/agent';
import { encodeCursor } from '@krint/engine-sdk';
import { machineDescription, percentiles, writeBenchSection } from '../../../scripts/bench-report.js';
import { createKrint } from '../app.js';
import { bearerFor } from '../auth/testing.js';
import { loadConfig } from '../config.js';

const LOGS_ONLY = process.env.BENCH_LOGS_ONLY === '1';
const ROWS = Number(process.env.BENCH_ROWS ?? (LOGS_ONLY ? 1_000 : 1_000_000));
const PAGES = Number(process.env.BENCH_PAGES ?? (LOGS_ONLY ? 1 : 300));
const LOG_LINES = Number(process.env.BENCH_LOG_LINES ?? 100_000);
const LOG_ROUNDS = Number(process.env.BENCH_LOG_ROUNDS ?? 2);
/** Single lines written one at a time on a quiet log, for the delivery latency. */
const LATENCY_LINES = 20;
/** A line on a quiet log must reach the subscriber within this long. */
const LATENCY_TARGET_MS = 50;
const WARM_UPS = 20;
const PAGE_SIZE = 100;
const PAGE_TARGET = 1.5;
const LOG_TARGET = 0.8;
/** A burst must be fully delivered within this long, or the benchmark fails instead of hanging. */
const BURST_TIMEOUT_MS = 180_000;
const PASSWORD = `BenchPw${Date.now()}`;
/** Why the page target is missed (from the breakdown rows and a CPU profile of this benchmark). */
const PAGE_MISS_NOTE =
  'Why the page target is missed: the direct query costs about half a millisecond, and an authenticated GraphQL request over HTTP costs more than that on its own (the `{ __typename }` row), so ≤ 1.5× is out of reach for any GraphQL round trip. ' +
  "Inside it, the engine's `readRows` (engines/postgres/src/postgres-session.ts) runs five statements one after the other — the database check, the relation lookup, the column and key lookup, the page, and the table statistics for the total — which is the agent row's 4–5×; caching the table metadata in the session and reading the estimate with the page would bring it near one round trip. " +
  'The HTTP floor, the instance lookup and the agent together account for about half of the GraphQL figure; the rest is in the server\'s rows resolver path and was not broken down further. Deep and first pages cost the same: keyset paging, no OFFSET scan.';
/** How lines reach a subscriber, and where the time goes (CPU profile of this benchmark). */
const LOG_NOTE =
  "How log lines reach a subscriber: the agent hands over the lines completed by each read of Docker's log stream as one batch, without waiting for more (so a line on a quiet log goes out alone at once), and the `logs` subscription sends each batch, joined with any batches already waiting behind it, as one event carrying a list of lines. " +
  'A burst of 100,000 lines therefore costs a few hundred GraphQL executions, graphql-ws messages and socket writes instead of 100,000 of each. ' +
  "What remains is work per line — Node's HTTP parser reading Docker's response (Docker flushes one chunk per line), the frame and timestamp split, GraphQL completing three fields and JSON in the message — and with the follower in the same process the event loop is busy for most of a burst, so further gains come from less CPU per line, not fewer round trips.";
/** Why the log target is missed, when it is. */
const LOG_MISS_NOTE =
  "Why the log target is missed in this run: this process's event loop was saturated during the subscription's bursts while `docker logs` reads in a process of its own; on a machine shared with other work the ratio swings between runs, so compare several.";

type Timing = { median: number; p95: number };
/** Lines up to the marker, the time they took, and how busy this process's event loop was meanwhile (0–1). */
type Rate = { lines: number; ms: number; busy: number };
type LogRounds = Record<Follower, Rate[]>;
type LogLatency = Record<Follower, Timing>;

function log(message: string): void {
  console.log(`[api-bench] ${new Date().toISOString().slice(11, 19)} ${message}`);
}

async function timeEach(count: number, work: () => Promise<void>): Promise<Timing> {
  for (let i = 0; i < Math.min(WARM_UPS, count); i++) await work();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return percentiles(times);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const startedAt = Date.now();
const dataDir = mkdtempSync(path.join(tmpdir(), 'krint-api-bench-'));
const agent = await createAgent();
const krint = await createKrint({ config: loadConfig({ env: { Krint__DataDir: dataDir }, cwd: dataDir }), localExecutor: agent.executor, engines: agent.context.engines, log: () => undefined });
const base = `http://127.0.0.1:${await krint.listen(0)}`;
const authorization = await bearerFor(krint, 'admin', 'bench');
let instanceId: string | null = null;

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const response = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: Record<string, any>; errors?: { message: string }[] };
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data!;
}

try {
  log('provisioning PostgreSQL 15 through GraphQL');
  const provisioned = await gql(`mutation($p: String!) { provisionInstance(input: { engine: "postgres", version: "15", name: "Bench rows", defaultDatabase: "bench", password: $p }) { ... on Instance { id } ... on Error { message } } }`, { p: PASSWORD });
  if (!provisioned.provisionInstance.id) throw new Error(`provisioning failed: ${provisioned.provisionInstance.message}`);
  instanceId = provisioned.provisionInstance.id as string;
  for await (const event of krint.services.deps.progress.follow(instanceId, 'provision')) {
    if (event.done && event.error) throw new Error(event.error);
    if (event.done) log(`provisioned: ${event.message}`);
  }
  const instance = await krint.services.instances.get(instanceId);
  const address: InstanceAddress = { engineId: 'postgres', version: '15', containerId: instance.containerId!, hostPort: instance.hostPort!, rootUser: instance.rootUser, rootPassword: PASSWORD, defaultDatabase: 'bench' };

  const client = new pg.Client({ host: '127.0.0.1', port: instance.hostPort!, user: 'postgres', password: PASSWORD, database: 'bench' });
  // A connection lost mid-run (e.g. the container removed under the benchmark) fails the run with the reason instead of crashing it.
  client.on('error', (error) => log(`the direct connection failed: ${error.message}`));
  await client.connect();
  log(`loading ${ROWS.toLocaleString('en')} rows`);
  await client.query('CREATE TABLE big (id integer PRIMARY KEY, name text NOT NULL, qty integer NOT NULL, note text)');
  await client.query(`INSERT INTO big SELECT g, 'name ' || g, g % 1000, md5(g::text) FROM generate_series(1, ${ROWS}) g`);
  await client.query('ANALYZE big');

  // 1. Pages. The deep cursor is built the way the engine builds one: the key of the last row seen.
  const deepAfter = Math.floor(ROWS * 0.9);
  const deepCursor = encodeCursor([deepAfter]);
  const pageQuery = `query($id: ID!, $c: String) { rows(instanceId: $id, database: "bench", table: "big", limit: ${PAGE_SIZE}, cursor: $c) { ... on RowPage { rows nextCursor } ... on Error { message } } }`;
  const firstIds = (await gql(pageQuery, { id: instanceId, c: null })).rows;
  const paged = (await gql(pageQuery, { id: instanceId, c: firstIds.nextCursor })).rows;
  if (paged.rows?.[0]?.id !== PAGE_SIZE + 1) throw new Error(`The second page starts at ${JSON.stringify(paged.rows?.[0])}`);
  const deep = (await gql(pageQuery, { id: instanceId, c: deepCursor })).rows;
  if (deep.rows?.[0]?.id !== deepAfter + 1 || deep.rows.length !== PAGE_SIZE) throw new Error(`The deep page starts at ${JSON.stringify(deep.rows?.[0])}`);

  // The engine's keyset query: every column, ordered by the key, one row more than the page to know whether another follows.
  const direct = (after: number | null) => async () => {
    const result = after === null
      ? await client.query(`SELECT * FROM "public"."big" ORDER BY "id" LIMIT ${PAGE_SIZE + 1}`)
      : await client.query(`SELECT * FROM "public"."big" WHERE "id" > $1 ORDER BY "id" LIMIT ${PAGE_SIZE + 1}`, [after]);
    if (result.rows.length < PAGE_SIZE) throw new Error('short page');
  };
  const inAgent = (cursor: string | null) => async () => {
    const page = await agent.executor.run('db.readRows', { instance: address, database: 'bench', table: 'big', cursor, limit: PAGE_SIZE });
    if (page.rows.length !== PAGE_SIZE) throw new Error('short page');
  };
  const viaGraphql = (cursor: string | null) => async () => {
    const data = await gql(pageQuery, { id: instanceId, c: cursor });
    if (data.rows.rows.length !== PAGE_SIZE) throw new Error('short page');
  };
  // The floor of any authenticated GraphQL request (HTTP, token check, parse, validate, execute), and one that loads the instance.
  const floorQuery = async () => void (await gql('{ __typename }'));
  const instanceQuery = async () => void (await gql('query($id: ID!) { instance(id: $id) { ... on Instance { id } } }', { id: instanceId }));
  log(`timing pages: ${PAGES} round trips per case after ${WARM_UPS} warm-ups`);
  const floor = { typename: await timeEach(PAGES, floorQuery), instance: await timeEach(PAGES, instanceQuery) };
  const pages = {
    first: { direct: await timeEach(PAGES, direct(null)), agent: await timeEach(PAGES, inAgent(null)), api: await timeEach(PAGES, viaGraphql(null)) },
    deep: { direct: await timeEach(PAGES, direct(deepAfter)), agent: await timeEach(PAGES, inAgent(deepCursor)), api: await timeEach(PAGES, viaGraphql(deepCursor)) },
  };
  log(`first page: direct ${pages.first.direct.median.toFixed(2)} ms, agent ${pages.first.agent.median.toFixed(2)} ms, GraphQL ${pages.first.api.median.toFixed(2)} ms`);
  log(`deep page: direct ${pages.deep.direct.median.toFixed(2)} ms, agent ${pages.deep.agent.median.toFixed(2)} ms, GraphQL ${pages.deep.api.median.toFixed(2)} ms`);

  // 2. Logs. The burst is written by the server itself: COPY … TO PROGRAM runs `cat` with the
  // backend's stderr, which is the container's log, so lines arrive far faster than either follower
  // can take them and what is measured is delivery, not the producer.
  const ws = createClient({ url: `${base.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization }, lazy: true, retryAttempts: 0 });
  const writeLines = async (count: number, marker: string) => {
    await client.query(`COPY (SELECT 'bench line ' || g FROM generate_series(1, ${count}) g UNION ALL SELECT '${marker}') TO PROGRAM 'cat >&2'`);
  };
  const followers: Record<Follower, (onLine: (text: string) => void) => Promise<() => void>> = {
    docker: (onLine) => followWithDocker(instance.containerName!, onLine),
    subscription: (onLine) => followWithSubscription(ws, instanceId!, onLine),
  };
  const rounds: LogRounds = { subscription: [], docker: [] };
  for (let round = 0; round < LOG_ROUNDS; round++) {
    const order = round % 2 === 0 ? (['docker', 'subscription'] as const) : (['subscription', 'docker'] as const);
    for (const which of order) {
      const rate = await burstRate(followers[which], (marker) => writeLines(LOG_LINES, marker), `bench_done_${which}_${round}_${Date.now()}`);
      rounds[which].push(rate);
      log(`logs round ${round + 1}/${LOG_ROUNDS}, ${which}: ${rate.lines.toLocaleString('en')} lines in ${rate.ms.toFixed(0)} ms = ${Math.round(rate.lines / (rate.ms / 1000)).toLocaleString('en')} lines/s, event loop ${Math.round(rate.busy * 100)}% busy`);
    }
  }
  const latency: LogLatency = {
    docker: await quietLineLatency(followers.docker, (marker) => writeLines(0, marker), 'docker'),
    subscription: await quietLineLatency(followers.subscription, (marker) => writeLines(0, marker), 'subscription'),
  };
  log(`one line on a quiet log: docker ${latency.docker.median.toFixed(1)} ms, subscription ${latency.subscription.median.toFixed(1)} ms (medians)`);
  await ws.dispose();
  await client.end();

  const section = report(pages, floor, rounds, latency);
  if (!LOGS_ONLY) writeBenchSection('server-api', section);
  console.log(section);
  log(`done in ${Math.round((Date.now() - startedAt) / 1000)} s`);
} finally {
  if (instanceId) await krint.services.instances.delete(instanceId, true, 'bench').catch((error) => console.error('cleanup failed:', error));
  await krint.close();
  await agent.close();
  rmSync(dataDir, { recursive: true, force: true });
}

type Follower = 'docker' | 'subscription';

/**
 * Starts a follower, gives it a moment to attach to the log, writes a burst ending in a marker
 * line, and counts the lines it delivers from the start of the write up to the marker.
 */
async function burstRate(start: (onLine: (text: string) => void) => Promise<() => void>, write: (marker: string) => Promise<void>, marker: string): Promise<Rate> {
  let lines = 0;
  let started = 0;
  let loop = loopPerformance.eventLoopUtilization();
  let arrived: (rate: Rate) => void = () => undefined;
  const done = new Promise<Rate>((resolve) => (arrived = resolve));
  const stop = await start((text) => {
    if (started === 0) return; // lines from before the burst (e.g. a checkpoint) are not counted
    lines += 1;
    if (text.includes(marker)) arrived({ lines, ms: performance.now() - started, busy: loopPerformance.eventLoopUtilization(loop).utilization });
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    started = performance.now();
    loop = loopPerformance.eventLoopUtilization();
    await write(marker);
    return await withTimeout(done, BURST_TIMEOUT_MS, `the burst through ${marker.split('_')[2]}`);
  } finally {
    stop();
  }
}

/** Time from writing a single line on an otherwise quiet log until the follower delivers it. */
async function quietLineLatency(start: (onLine: (text: string) => void) => Promise<() => void>, write: (marker: string) => Promise<void>, which: Follower): Promise<Timing> {
  let waiting: { marker: string; arrived: () => void } | null = null;
  const stop = await start((text) => {
    if (waiting && text.includes(waiting.marker)) waiting.arrived();
  });
  const times: number[] = [];
  try {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (let i = 0; i < LATENCY_LINES; i++) {
      const marker = `bench_quiet_${which}_${i}_${Date.now()}`;
      const seen = new Promise<void>((resolve) => (waiting = { marker, arrived: resolve }));
      const started = performance.now();
      await write(marker);
      await withTimeout(seen, 10_000, `a quiet line through ${which}`);
      times.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return percentiles(times);
  } finally {
    stop();
  }
}

/** A `logs(instanceId, tail: 0)` subscription over graphql-ws, each line of each event to `onLine`; resolves once subscribed. */
async function followWithSubscription(ws: Client, id: string, onLine: (text: string) => void): Promise<() => void> {
  let failure: Error | null = null;
  const stop = ws.subscribe<{ logs: { text: string }[] }>(
    { query: `subscription($id: ID!) { logs(instanceId: $id, tail: 0) { text } }`, variables: { id } },
    {
      next: (result) => {
        if (result.errors) failure = new Error(result.errors.map((e) => e.message).join('; '));
        for (const line of result.data?.logs ?? []) onLine(line.text);
      },
      error: (error) => (failure = error instanceof Error ? error : new Error(JSON.stringify(error))),
      complete: () => (failure ??= new Error('the logs subscription ended')),
    },
  );
  return () => {
    stop();
    if (failure) throw failure;
  };
}

/** `docker logs -f --tail 0` on the container, each line (stdout and stderr) to `onLine`. */
async function followWithDocker(containerName: string, onLine: (text: string) => void): Promise<() => void> {
  const follower = spawn('docker', ['logs', '-f', '--tail', '0', containerName], { stdio: ['ignore', 'pipe', 'pipe'] });
  const rests = { stdout: '', stderr: '' };
  const onData = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    const parts = (rests[stream] + chunk.toString('utf8')).split('\n');
    rests[stream] = parts.pop() ?? '';
    for (const line of parts) onLine(line);
  };
  follower.stdout.on('data', onData('stdout'));
  follower.stderr.on('data', onData('stderr'));
  let exited = false;
  follower.once('exit', () => (exited = true));
  return () => {
    if (exited) throw new Error('docker logs -f exited early');
    follower.kill();
  };
}

function report(pages: Record<'first' | 'deep', Record<'direct' | 'agent' | 'api', Timing>>, floor: Record<'typename' | 'instance', Timing>, rounds: LogRounds, latency: LogLatency): string {
  const ms = (timing: Timing) => `${timing.median.toFixed(2)} ms (p95 ${timing.p95.toFixed(2)})`;
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  const pageRow = (label: string, timings: Record<'direct' | 'agent' | 'api', Timing>) => {
    const ratio = timings.api.median / timings.direct.median;
    return [
      `| ${label}, GraphQL round trip | ${ms(timings.direct)} | ${ms(timings.api)} | ${ratio.toFixed(2)}× | ≤ ${PAGE_TARGET}× (${verdict(ratio <= PAGE_TARGET)}) |`,
      `| ${label}, agent \`db.readRows\` in-process (no HTTP, for the breakdown) | ${ms(timings.direct)} | ${ms(timings.agent)} | ${(timings.agent.median / timings.direct.median).toFixed(2)}× | — |`,
    ];
  };
  const total = (list: Rate[]) => list.reduce((sum, rate) => ({ lines: sum.lines + rate.lines, ms: sum.ms + rate.ms, busy: sum.busy + (rate.busy * rate.ms) / list.reduce((all, r) => all + r.ms, 0) }), { lines: 0, ms: 0, busy: 0 });
  const perSecond = (rate: Rate) => rate.lines / (rate.ms / 1000);
  const subscription = total(rounds.subscription);
  const docker = total(rounds.docker);
  const logRatio = perSecond(subscription) / perSecond(docker);
  const pageMissed = pages.first.api.median / pages.first.direct.median > PAGE_TARGET || pages.deep.api.median / pages.deep.direct.median > PAGE_TARGET;
  const lineRate = (rate: Rate) => `${Math.round(perSecond(rate)).toLocaleString('en')} lines/s`;
  return [
    '## Control plane API',
    '',
    `Machine: ${machineDescription()}. The control plane runs in-process (\`createKrint\`, SQLite state, API token) with its local agent; PostgreSQL 15 in Docker.`,
    '',
    `Pages: a table of ${ROWS.toLocaleString('en')} rows (id primary key, name, qty, note), ${PAGE_SIZE} rows a page; ${PAGES} timed round trips per case after ${WARM_UPS} warm-ups, median (p95). The baseline is the engine's keyset query (\`SELECT * … WHERE "id" > $1 ORDER BY "id" LIMIT ${PAGE_SIZE + 1}\`) on an open \`pg\` connection. Logs: ${LOG_ROUNDS} bursts of ${LOG_LINES.toLocaleString('en')} lines per follower, written by the server itself (\`COPY … TO PROGRAM 'cat >&2'\`), each follower alone in turn.`,
    '',
    '| measure | baseline | Krint | ratio | target |',
    '|---|---|---|---|---|',
    ...pageRow('first page', pages.first),
    ...pageRow(`page after row ${Math.floor(ROWS * 0.9).toLocaleString('en')}`, pages.deep),
    `| deep page / first page, GraphQL (no OFFSET scan) | — | ${(pages.deep.api.median / pages.first.api.median).toFixed(2)}× | — | ≈ 1× |`,
    `| for the breakdown: GraphQL \`{ __typename }\` with the API token | — | ${ms(floor.typename)} | — | — |`,
    `| for the breakdown: GraphQL \`instance(id) { id }\` (loads the instance) | — | ${ms(floor.instance)} | — | — |`,
    `| log lines delivered: \`logs\` subscription (graphql-ws, a list of lines per event) vs \`docker logs -f\` | ${lineRate(docker)} | ${lineRate(subscription)} | ${logRatio.toFixed(2)}× | ≥ ${LOG_TARGET}× (${verdict(logRatio >= LOG_TARGET)}) |`,
    `| one line on a quiet log, written to delivered: \`logs\` subscription vs \`docker logs -f\` | ${ms(latency.docker)} | ${ms(latency.subscription)} | ${(latency.subscription.median / latency.docker.median).toFixed(2)}× | ≤ ${LATENCY_TARGET_MS} ms (${verdict(latency.subscription.p95 <= LATENCY_TARGET_MS)}) |`,
    ...(pageMissed ? ['', PAGE_MISS_NOTE] : []),
    '',
    LOG_NOTE,
    ...(logRatio >= LOG_TARGET ? [] : ['', LOG_MISS_NOTE]),
  ].join('\n');
}
