/**
 * Control-plane API benchmarks, each against its baseline in the same run:
 * 1. a GraphQL round trip (HTTP on localhost, API token) for a page of 100 rows of a
 *    1,000,000-row PostgreSQL table, first page and a page 900,000 rows deep, against the same
 *    keyset query run directly with `pg`; the agent's `db.readRows` in-process is timed too, to show
 *    where the time goes;
 * 2. log lines per second delivered to a `logs(instanceId, tail)` subscription over graphql-ws
 *    against `docker logs -f` on the same container, each following the same burst in turn.
 * Sizes: BENCH_ROWS (default 1000000), BENCH_PAGES (default 300), BENCH_LOG_LINES (default 100000),
 * BENCH_LOG_ROUNDS (default 2). The batched `logBatches` subscription is measured the same way. Writes the `server-api` section of BENCHMARKS.md.
 * BENCH_LOGS_ONLY=1 is for iterating on log delivery: the page part shrinks to a token run (unless
 * BENCH_ROWS/BENCH_PAGES say otherwise) and the section is printed, not written.
 */
import { spawn } from 'node:child_process';
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
/** Why the log target is missed (CPU profile of this benchmark). */
const LOG_MISS_NOTE =
  'Why the log target is missed: every line becomes one GraphQL execution, one graphql-ws message and one socket write (in a CPU profile `writev` alone takes about 40 µs per line, more than half of the subscription\'s time), where `docker logs` copies bytes. ' +
  "The fix belongs to the server's `logs` subscription (server/src/graphql/modules/console.ts, graphql-ws set up in server/src/app.ts): deliver the lines that arrive together as one event and cork the socket per tick. The `logBatches` subscription (added beside `logs`) does the first; its row shows the effect.";

type Timing = { median: number; p95: number };
type Rate = { lines: number; ms: number };

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
  const burst = async (marker: string) => {
    await client.query(`COPY (SELECT 'bench line ' || g FROM generate_series(1, ${LOG_LINES}) g UNION ALL SELECT '${marker}') TO PROGRAM 'cat >&2'`);
  };
  const rounds: { subscription: Rate[]; batches: Rate[]; docker: Rate[] } = { subscription: [], batches: [], docker: [] };
  for (let round = 0; round < LOG_ROUNDS; round++) {
    const order = round % 2 === 0 ? (['docker', 'subscription', 'batches'] as const) : (['batches', 'subscription', 'docker'] as const);
    for (const which of order) {
      const marker = `bench_done_${which}_${round}_${Date.now()}`;
      const rate =
        which === 'docker'
          ? await followWithDocker(instance.containerName!, marker, burst)
          : await followWithSubscription(ws, instanceId, marker, burst, which === 'batches');
      rounds[which].push(rate);
      log(`logs round ${round + 1}/${LOG_ROUNDS}, ${which}: ${rate.lines.toLocaleString('en')} lines in ${rate.ms.toFixed(0)} ms = ${Math.round(rate.lines / (rate.ms / 1000)).toLocaleString('en')} lines/s`);
    }
  }
  await ws.dispose();
  await client.end();

  const section = report(pages, floor, rounds);
  if (!LOGS_ONLY) writeBenchSection('server-api', section);
  console.log(section);
  log(`done in ${Math.round((Date.now() - startedAt) / 1000)} s`);
} finally {
  if (instanceId) await krint.services.instances.delete(instanceId, true, 'bench').catch((error) => console.error('cleanup failed:', error));
  await krint.close();
  await agent.close();
  rmSync(dataDir, { recursive: true, force: true });
}

/** Subscribes with tail 0, waits until the subscription is live, runs the burst, and counts lines up to the marker. */
async function followWithSubscription(ws: Client, id: string, marker: string, burst: (marker: string) => Promise<void>, batched = false): Promise<Rate> {
  let lines = 0;
  let started = 0;
  let stop: () => void = () => undefined;
  const done = new Promise<Rate>((resolve, reject) => {
    const query = batched
      ? `subscription($id: ID!) { logBatches(instanceId: $id, tail: 0) { text } }`
      : `subscription($id: ID!) { logs(instanceId: $id, tail: 0) { text } }`;
    stop = ws.subscribe<{ logs?: { text: string }; logBatches?: { text: string }[] }>(
      { query, variables: { id } },
      {
        next: (result) => {
          if (result.errors) return reject(new Error(result.errors.map((e) => e.message).join('; ')));
          if (started === 0) return; // lines from before the burst (e.g. a checkpoint) are not counted
          const received = result.data?.logBatches ?? (result.data?.logs ? [result.data.logs] : []);
          lines += received.length;
          if (received.some((line) => line.text.includes(marker))) resolve({ lines, ms: performance.now() - started });
        },
        error: reject,
        complete: () => reject(new Error('the logs subscription ended before the marker')),
      },
    );
  });
  try {
    // The subscription follows from "now"; give it a moment to attach to the container log.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    started = performance.now();
    await burst(marker);
    return await withTimeout(done, BURST_TIMEOUT_MS, 'the logs subscription');
  } finally {
    stop();
  }
}

/** `docker logs -f --tail 0` on the container, counting lines (stdout and stderr) up to the marker. */
async function followWithDocker(containerName: string, marker: string, burst: (marker: string) => Promise<void>): Promise<Rate> {
  const follower = spawn('docker', ['logs', '-f', '--tail', '0', containerName], { stdio: ['ignore', 'pipe', 'pipe'] });
  let lines = 0;
  let started = 0;
  const done = new Promise<Rate>((resolve, reject) => {
    const rests = { stdout: '', stderr: '' };
    const onData = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const parts = (rests[stream] + chunk.toString('utf8')).split('\n');
      rests[stream] = parts.pop() ?? '';
      if (started === 0) return;
      for (const line of parts) {
        lines += 1;
        if (line.includes(marker)) resolve({ lines, ms: performance.now() - started });
      }
    };
    follower.stdout.on('data', onData('stdout'));
    follower.stderr.on('data', onData('stderr'));
    follower.once('exit', (code) => reject(new Error(`docker logs -f exited with ${code} before the marker`)));
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    started = performance.now();
    await burst(marker);
    return await withTimeout(done, BURST_TIMEOUT_MS, 'docker logs -f');
  } finally {
    follower.kill();
  }
}

function report(pages: Record<'first' | 'deep', Record<'direct' | 'agent' | 'api', Timing>>, floor: Record<'typename' | 'instance', Timing>, rounds: { subscription: Rate[]; batches: Rate[]; docker: Rate[] }): string {
  const ms = (timing: Timing) => `${timing.median.toFixed(2)} ms (p95 ${timing.p95.toFixed(2)})`;
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  const pageRow = (label: string, timings: Record<'direct' | 'agent' | 'api', Timing>) => {
    const ratio = timings.api.median / timings.direct.median;
    return [
      `| ${label}, GraphQL round trip | ${ms(timings.direct)} | ${ms(timings.api)} | ${ratio.toFixed(2)}× | ≤ ${PAGE_TARGET}× (${verdict(ratio <= PAGE_TARGET)}) |`,
      `| ${label}, agent \`db.readRows\` in-process (no HTTP, for the breakdown) | ${ms(timings.direct)} | ${ms(timings.agent)} | ${(timings.agent.median / timings.direct.median).toFixed(2)}× | — |`,
    ];
  };
  const total = (list: Rate[]) => list.reduce((sum, rate) => ({ lines: sum.lines + rate.lines, ms: sum.ms + rate.ms }), { lines: 0, ms: 0 });
  const perSecond = (rate: Rate) => rate.lines / (rate.ms / 1000);
  const subscription = total(rounds.subscription);
  const docker = total(rounds.docker);
  const logRatio = perSecond(subscription) / perSecond(docker);
  const batches = total(rounds.batches);
  const batchRatio = perSecond(batches) / perSecond(docker);
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
    `| log lines delivered: \`logs\` subscription (graphql-ws) vs \`docker logs -f\` | ${lineRate(docker)} | ${lineRate(subscription)} | ${logRatio.toFixed(2)}× | ≥ ${LOG_TARGET}× (${verdict(logRatio >= LOG_TARGET)}) |`,
    `| log lines delivered: \`logBatches\` subscription (graphql-ws, default batching) vs \`docker logs -f\` | ${lineRate(docker)} | ${lineRate(batches)} | ${batchRatio.toFixed(2)}× | ≥ ${LOG_TARGET}× (${verdict(batchRatio >= LOG_TARGET)}) |`,
    ...(pageMissed ? ['', PAGE_MISS_NOTE] : []),
    ...(logRatio >= LOG_TARGET ? [] : ['', LOG_MISS_NOTE]),
  ].join('\n');
}
