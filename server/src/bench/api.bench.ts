/**
 * Control-plane API benchmarks, each against its baseline in the same run:
 * 1. a GraphQL round trip for a page of 100 rows of a 1,000,000-row PostgreSQL table (first page and
 *    a page 900,000 rows deep) against the same keyset query run directly with `pg`;
 * 2. log lines per second delivered to a `logs` subscription (graphql-ws) against `docker logs -f`
 *    on the same container, both following the same burst of lines.
 * Sizes: BENCH_ROWS (default 1000000), BENCH_PAGES (default 300), BENCH_LOG_LINES (default 100000).
 */
import { createAgent } from '@krint/agent';
import { encodeCursor } from '@krint/engine-sdk';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createClient } from 'graphql-ws';
import { WebSocket } from 'ws';
import { machineDescription, percentiles, writeBenchSection } from '../../../scripts/bench-report.js';
import { createKrint } from '../app.js';
import { bearerFor } from '../auth/testing.js';
import { loadConfig } from '../config.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const PAGES = Number(process.env.BENCH_PAGES ?? 300);
const LOG_LINES = Number(process.env.BENCH_LOG_LINES ?? 100_000);
const PASSWORD = 'bench-Password-1';

const dataDir = mkdtempSync(path.join(tmpdir(), 'krint-bench-'));
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

async function timeEach(count: number, work: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < Math.min(20, count); i++) await work(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return times;
}

try {
  const provisioned = await gql(`mutation { provisionInstance(input: { engine: "postgres", version: "15", name: "Bench rows", defaultDatabase: "bench", password: "${PASSWORD}" }) { ... on Instance { id } ... on Error { message } } }`);
  instanceId = provisioned.provisionInstance.id as string;
  for await (const event of krint.services.deps.progress.follow(instanceId, 'provision')) if (event.done && event.error) throw new Error(event.error);
  const instance = await krint.services.instances.get(instanceId);
  const run = async (text: string) => {
    const data = await gql(`mutation($id: ID!, $t: String!) { runQuery(instanceId: $id, database: "bench", text: $t, timeoutMs: 300000) { __typename ... on Error { message } } }`, { id: instanceId, t: text });
    if (data.runQuery.message) throw new Error(`${text.slice(0, 60)}: ${data.runQuery.message}`);
  };
  await run('create table big (id integer primary key, name text not null, qty integer not null, note text)');
  await run(`insert into big select g, 'name ' || g, g % 1000, md5(g::text) from generate_series(1, ${ROWS}) g`);
  await run('analyze big');

  const deepCursor = encodeCursor([Math.floor(ROWS * 0.9)]);
  const pageQuery = `query($id: ID!, $c: String) { rows(instanceId: $id, database: "bench", table: "big", limit: 100, cursor: $c) { ... on RowPage { rows nextCursor } ... on Error { message } } }`;
  const check = await gql(pageQuery, { id: instanceId, c: deepCursor });
  if (check.rows.rows?.[0]?.id !== Math.floor(ROWS * 0.9) + 1) throw new Error(`Deep page starts at ${JSON.stringify(check.rows.rows?.[0])}`);

  const client = new pg.Client({ host: '127.0.0.1', port: instance.hostPort!, user: 'postgres', password: PASSWORD, database: 'bench' });
  await client.connect();
  const direct = (after: number | null) => async () => {
    const result = after === null
      ? await client.query('SELECT * FROM big ORDER BY id LIMIT 101')
      : await client.query('SELECT * FROM big WHERE id > $1 ORDER BY id LIMIT 101', [after]);
    if (result.rows.length !== 101) throw new Error('short page');
  };
  const viaGraphql = (cursor: string | null) => async () => {
    const data = await gql(pageQuery, { id: instanceId, c: cursor });
    if (data.rows.rows.length !== 100) throw new Error('short page');
  };
  const firstDirect = percentiles(await timeEach(PAGES, direct(null)));
  const firstApi = percentiles(await timeEach(PAGES, viaGraphql(null)));
  const deepDirect = percentiles(await timeEach(PAGES, direct(Math.floor(ROWS * 0.9))));
  const deepApi = percentiles(await timeEach(PAGES, viaGraphql(deepCursor)));
  await client.end();

  // Logs: one burst of RAISE LOG lines, followed at the same time by docker logs -f and the subscription.
  const marker = `bench_done_${Date.now()}`;
  const ws = createClient({ url: `${base.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, connectionParams: { authorization }, lazy: true, retryAttempts: 0 });
  let startedAt = 0;
  const subscriptionDone = new Promise<{ lines: number; ms: number }>((resolve, reject) => {
    let lines = 0;
    const stop = ws.subscribe<{ logs: { text: string } }>(
      { query: `subscription($id: ID!) { logs(instanceId: $id, tail: 0) { text } }`, variables: { id: instanceId } },
      {
        next: (result) => {
          const text = result.data?.logs.text ?? '';
          lines += 1;
          if (text.includes(`LOG:  ${marker}`)) {
            stop();
            resolve({ lines, ms: performance.now() - startedAt });
          }
        },
        error: reject,
        complete: () => undefined,
      },
    );
  });
  const dockerDone = new Promise<{ lines: number; ms: number }>((resolve) => {
    const follower = spawn('docker', ['logs', '-f', '--tail', '0', instance.containerName!], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let rest = '';
    const onData = (chunk: Buffer) => {
      const parts = (rest + chunk.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        lines += 1;
        if (line.includes(`LOG:  ${marker}`)) {
          follower.kill();
          resolve({ lines, ms: performance.now() - startedAt });
        }
      }
    };
    follower.stdout.on('data', onData);
    follower.stderr.on('data', onData);
  });
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  startedAt = performance.now();
  // The console takes one statement, so the burst comes from psql inside the container. Each RAISE LOG
  // writes three log lines (LOG, CONTEXT, STATEMENT); every line counts.
  const burst = `do $$ begin for i in 1..${LOG_LINES} loop raise log 'bench line %', i; end loop; raise log '${marker}'; end $$`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn('docker', ['exec', '-u', 'postgres', instance.containerName!, 'psql', '-U', 'postgres', '-d', 'bench', '-c', burst], { stdio: 'ignore' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited with ${code}`))));
  });
  const [viaSubscription, viaDocker] = await Promise.all([subscriptionDone, dockerDone]);
  await ws.dispose();

  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const subRate = viaSubscription.lines / (viaSubscription.ms / 1000);
  const dockerRate = viaDocker.lines / (viaDocker.ms / 1000);
  const report = [
    '## Control plane API',
    '',
    `Machine: ${machineDescription()}. PostgreSQL 15 in Docker; ${ROWS.toLocaleString('en')} rows (id, name, qty, note); ${PAGES} timed round trips per case after 20 warm-ups; median (p95).`,
    '',
    '| Page of 100 rows | GraphQL (HTTP, localhost) | `pg` direct, same keyset query | Ratio (median) | Target |',
    '|---|---|---|---|---|',
    `| First page | ${ms(firstApi.median)} (${ms(firstApi.p95)}) | ${ms(firstDirect.median)} (${ms(firstDirect.p95)}) | ${ratio(firstApi.median, firstDirect.median)} | ≤ 1.5× |`,
    `| Page at row ${Math.floor(ROWS * 0.9).toLocaleString('en')} | ${ms(deepApi.median)} (${ms(deepApi.p95)}) | ${ms(deepDirect.median)} (${ms(deepDirect.p95)}) | ${ratio(deepApi.median, deepDirect.median)} | ≤ 1.5× |`,
    '',
    `Deep pages cost what the first page costs (keyset paging, no OFFSET scan): deep/first via GraphQL ${ratio(deepApi.median, firstApi.median)}.`,
    '',
    '| Log lines | `logs` subscription (graphql-ws) | `docker logs -f` | Ratio | Target |',
    '|---|---|---|---|---|',
    `| ${LOG_LINES.toLocaleString('en')} RAISE LOG statements, one burst | ${Math.round(subRate).toLocaleString('en')} lines/s (${viaSubscription.lines.toLocaleString('en')} in ${ms(viaSubscription.ms)}) | ${Math.round(dockerRate).toLocaleString('en')} lines/s (${viaDocker.lines.toLocaleString('en')} in ${ms(viaDocker.ms)}) | ${(subRate / dockerRate).toFixed(2)}× | ≥ 0.8× |`,
  ].join('\n');
  writeBenchSection('server-api', report);
  console.log(report);
} finally {
  if (instanceId) await krint.services.instances.delete(instanceId, true, 'bench').catch((error) => console.error('cleanup failed:', error));
  await krint.close();
  await agent.close();
  rmSync(dataDir, { recursive: true, force: true });
}
