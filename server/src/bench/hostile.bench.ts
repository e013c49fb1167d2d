/**
 * Hostile traffic against a legitimate client, in one run: the control plane runs as its own
 * process (`src/main.ts`, so its RSS is its own), with PostgreSQL 15 in Docker holding a table of
 * BENCH_HOSTILE_ROWS (default 100,000) rows. A signed-in client (session cookie and CSRF token,
 * one keep-alive connection, one request at a time) pages through the table over GraphQL for
 * BENCH_HOSTILE_SECONDS (default 30) on a quiet server, then for as long again while two
 * processes (one per core of the machine) send hostile traffic as fast as they can: distinct ~1 MB
 * anonymous GraphQL documents, garbage paths and connections that trickle their headers or body
 * (`hostile-traffic.ts`). Reports the client's p50/p99 in both phases and the server's peak RSS.
 * Writes the `hostile` section of BENCHMARKS.md.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Agent, request as httpRequest } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineDescription, writeBenchSection } from '../../../scripts/bench-report.js';
import { startServerProcess } from '../testing/server-process.js';

const SECONDS = Number(process.env.BENCH_HOSTILE_SECONDS ?? 30);
const ROWS = Number(process.env.BENCH_HOSTILE_ROWS ?? 100_000);
const GENERATORS = 2;
const PAGE_SIZE = 100;
const P99_TARGET = 2;
const RSS_TARGET_MB = 300;
const ADMIN_PASSWORD = 'Bench-hostile-Gx8-copper-kettle';
const ROOT_PASSWORD = `HostileBench${Date.now()}`;
const TRAFFIC = path.join(path.dirname(fileURLToPath(import.meta.url)), 'hostile-traffic.ts');

function log(message: string): void {
  console.log(`[hostile-bench] ${new Date().toISOString().slice(11, 19)} ${message}`);
}

const server = await startServerProcess({ Auth__AdminPassword: ADMIN_PASSWORD });
const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
let session = { cookie: '', csrf: '' };
let instanceId: string | null = null;

function post(pathname: string, payload: unknown): Promise<{ status: number; body: any; setCookie: string[] }> {
  const body = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(`${server.base}${pathname}`, { method: 'POST', agent: keepAlive, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), cookie: session.cookie, 'x-krint-csrf': session.csrf } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')), setCookie: response.headers['set-cookie'] ?? [] });
        } catch (error) {
          reject(new Error(`${pathname} answered ${response.statusCode} without JSON: ${String(error)}`));
        }
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const { body } = await post('/graphql', { query, variables });
  if (body.errors) throw new Error(body.errors.map((e: { message: string }) => e.message).join('; '));
  return body.data;
}

/** Resident memory of the server sampled every 100 ms; `peak()` since the last `reset()`. */
function rssSampler() {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, server.rssMb());
    } catch {
      // The process is gone; the benchmark reports that itself.
    }
  }, 100);
  return { peak: () => peak, reset: () => (peak = server.rssMb()), stop: () => clearInterval(timer) };
}

/** CPU seconds the server process has used so far (user + system; /proc counts in 1/100 s). */
function serverCpuSeconds(): number {
  const fields = readFileSync(`/proc/${server.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Pages through the table one request at a time for `ms`, wrapping around; the latency of each. */
async function pageFor(ms: number, pageQuery: string): Promise<number[]> {
  const latencies: number[] = [];
  const until = Date.now() + ms;
  let cursor: string | null = null;
  while (Date.now() < until) {
    const started = performance.now();
    const data = await gql(pageQuery, { id: instanceId, c: cursor });
    latencies.push(performance.now() - started);
    if (data.rows.rows?.length === undefined) throw new Error(`The page failed: ${data.rows.message}`);
    cursor = data.rows.nextCursor ?? null;
  }
  return latencies;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/** The hostile processes; each prints its counts as JSON when its time is up. */
function hostileTraffic(ms: number): Promise<Record<string, unknown>[]> {
  return Promise.all(
    Array.from({ length: GENERATORS }, () =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', TRAFFIC, server.base, String(ms)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let output = '';
        child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(output.trim().split('\n').pop()!) as Record<string, unknown>) : reject(new Error(`hostile traffic exited with ${code}: ${output}`))));
      }),
    ),
  );
}

const rss = rssSampler();
try {
  const login = await post('/api/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
  if (login.status !== 200) throw new Error(`sign-in failed: ${JSON.stringify(login.body)}`);
  session = { cookie: login.setCookie.map((line) => line.split(';')[0]).join('; '), csrf: login.body.csrfToken as string };

  log('provisioning PostgreSQL 15 through GraphQL');
  const provisioned = await gql('mutation($p: String!) { provisionInstance(input: { engine: "postgres", version: "15", name: "Hostile bench", defaultDatabase: "bench", password: $p }) { ... on Instance { id } ... on Error { message } } }', { p: ROOT_PASSWORD });
  if (!provisioned.provisionInstance.id) throw new Error(`provisioning failed: ${provisioned.provisionInstance.message}`);
  instanceId = provisioned.provisionInstance.id as string;
  for (const until = Date.now() + 300_000; ; ) {
    const { instance } = await gql('query($id: ID!) { instance(id: $id) { ... on Instance { status statusDetail } ... on Error { message } } }', { id: instanceId });
    if (instance.status === 'READY') break;
    if (instance.status === 'FAILED' || Date.now() > until) throw new Error(`provisioning did not finish: ${instance.status} ${instance.statusDetail ?? instance.message ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  log(`loading ${ROWS.toLocaleString('en')} rows`);
  for (const text of ['CREATE TABLE big (id integer PRIMARY KEY, name text NOT NULL, qty integer NOT NULL, note text)', `INSERT INTO big SELECT g, 'name ' || g, g % 1000, md5(g::text) FROM generate_series(1, ${ROWS}) g`, 'ANALYZE big']) {
    const run = await gql('mutation($id: ID!, $t: String!) { runQuery(instanceId: $id, database: "bench", text: $t, timeoutMs: 120000) { ... on QueryResult { command } ... on Error { message } } }', { id: instanceId, t: text });
    if (run.runQuery.message) throw new Error(`loading rows failed: ${run.runQuery.message}`);
  }
  const pageQuery = `query($id: ID!, $c: String) { rows(instanceId: $id, database: "bench", table: "big", limit: ${PAGE_SIZE}, cursor: $c) { ... on RowPage { rows nextCursor } ... on Error { message } } }`;
  await pageFor(3_000, pageQuery); // warm-up: connections, caches, JIT

  log(`${SECONDS} s of paging on a quiet server`);
  rss.reset();
  let cpuBefore = serverCpuSeconds();
  const quiet = await pageFor(SECONDS * 1000, pageQuery);
  const quietPeak = rss.peak();
  const quietCpu = (serverCpuSeconds() - cpuBefore) / SECONDS;

  log(`${SECONDS} s of paging under hostile traffic from ${GENERATORS} processes`);
  rss.reset();
  cpuBefore = serverCpuSeconds();
  const traffic = hostileTraffic(SECONDS * 1000);
  const hostile = await pageFor(SECONDS * 1000, pageQuery);
  const counts = await traffic;
  const hostilePeak = rss.peak();
  const hostileCpu = (serverCpuSeconds() - cpuBefore) / SECONDS;
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(', ');
  const busyMachine = Number(load.split(',')[0]) > cpus().length + 1;
  if (!(await server.alive())) throw new Error(`The control plane died under hostile traffic:\n${server.output().slice(-3000)}`);

  const q = (values: number[]) => ({ p50: quantile(values, 0.5), p99: quantile(values, 0.99) });
  const [quietQ, hostileQ] = [q(quiet), q(hostile)];
  const ratio = hostileQ.p99 / quietQ.p99;
  const sum = (key: string) => counts.reduce((n, c) => n + Number(c[key] ?? 0), 0);
  const answers: Record<string, number> = {};
  for (const c of counts) for (const [status, n] of Object.entries(c.trickleAnswers as Record<string, number>)) answers[status] = (answers[status] ?? 0) + n;
  const per = (n: number) => `${Math.round(n / SECONDS).toLocaleString('en')}/s`;
  const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
  const verdict = (met: boolean) => (met ? 'met' : '**missed**');
  log(`quiet p99 ${fmt(quietQ.p99)}, hostile p99 ${fmt(hostileQ.p99)} (${ratio.toFixed(2)}×), peak RSS ${hostilePeak.toFixed(0)} MB`);

  writeBenchSection(
    'hostile',
    `## Hostile traffic

Machine: ${machineDescription()}. The control plane runs as its own process (\`src/main.ts\` through tsx, SQLite state), PostgreSQL 15 in Docker holds a table of ${ROWS.toLocaleString('en')} rows; the hostile traffic comes from ${GENERATORS} processes (one per core, on the same machine as everything else), each sending as fast as it can.

The legitimate client is signed in (session cookie and CSRF token) and pages through the table over GraphQL (${PAGE_SIZE} rows a page, one keep-alive connection, one request at a time) for ${SECONDS} s on the quiet server, then for ${SECONDS} s under hostile traffic: distinct ~1 MB anonymous GraphQL documents (${per(sum('documents'))} over ${GENERATORS * 4} connections), garbage paths (malformed escapes, traversal, unknown routes, a 4 KB path: ${per(sum('garbage'))}), and ${GENERATORS * 50} connections at a time trickling their headers or body one byte a second (${sum('trickles').toLocaleString('en')} in all; answers: ${Object.entries(answers).map(([status, n]) => `${n} × ${status === 'closed' ? 'still trickling when the run ended' : status}`).join(', ')}). ${sum('resets').toLocaleString('en')} hostile requests found their connection closed by the server while still sending a body it had refused.

| measure | quiet server | under hostile traffic | ratio | target |
|---|---|---|---|---|
| page round trip, p50 (${quiet.length.toLocaleString('en')} / ${hostile.length.toLocaleString('en')} pages) | ${fmt(quietQ.p50)} | ${fmt(hostileQ.p50)} | ${(hostileQ.p50 / quietQ.p50).toFixed(2)}× | — |
| page round trip, p99 | ${fmt(quietQ.p99)} | ${fmt(hostileQ.p99)} | ${ratio.toFixed(2)}× | ≤ ${P99_TARGET}× (${verdict(ratio <= P99_TARGET)}) |
| control plane CPU (share of one core) | ${(quietCpu * 100).toFixed(0)}% | ${(hostileCpu * 100).toFixed(0)}% | — | — |
| control plane peak RSS (sampled every 100 ms) | ${quietPeak.toFixed(0)} MB | ${hostilePeak.toFixed(0)} MB | — | < ${RSS_TARGET_MB} MB (${verdict(hostilePeak < RSS_TARGET_MB)}) |

Why the hostile requests cost little: an anonymous GraphQL request is answered 401 before its body is read (the rest is dropped unread for at most 2 s, then the connection is closed), so no document is parsed or kept; a malformed path is answered 400 before routing; a trickling connection is ended when its headers are not complete within 10 s, or its body within 15 s. What remains is the CPU of accepting and answering, on the two cores that the client, the server, PostgreSQL and both hostile processes share: the hostile processes are built to take both cores, so the client's latency under them measures how the machine's CPU is shared as much as what the server does (the server's own CPU row shows its part). Load average when the run ended: ${load}.${busyMachine ? ` That is more than the machine's ${cpus().length} cores: other work shared them during this run, and the figures say more about that than about Krint; run it again on a quiet machine.` : ''}`,
  );
} finally {
  rss.stop();
  if (instanceId) await gql('mutation($id: ID!) { deleteInstance(id: $id) { __typename } }', { id: instanceId }).catch((error: unknown) => log(`could not delete the instance: ${String(error)}`));
  keepAlive.destroy();
  await server.stop();
}
