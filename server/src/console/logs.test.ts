import { createAgent, type Agent } from '@krint/agent';
import { requireImage } from '@krint/engine-sdk/testing';
import { createClient, type Client } from 'graphql-ws';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerFor, startTestKrint, type TestKrint } from '../auth/testing.js';
import { graphqlTestClient, type Data } from '../testing/graphql-client.js';

/**
 * The `logs` subscription against a real container (postgres:15, provisioned through the API): every
 * event is a list of lines, a burst arrives whole and in order in far fewer events than lines, a
 * single line on a quiet log arrives at once, and the same works over SSE.
 */
const ready = await requireImage('postgres:15');

let agent: Agent;
let test: TestKrint;
let base: string;
let authorization: string;
let ws: Client;
let instanceId: string;

const { ok } = graphqlTestClient(() => base, () => authorization);
const LOGS = `subscription($id: ID!, $tail: Int) { logs(instanceId: $id, tail: $tail) { stream text time } }`;

interface Line {
  stream: string;
  text: string;
  time: string;
}

/** Has the server write the rows of `select` to its stderr, which is the container log, in one go. */
async function writeToLog(select: string): Promise<void> {
  await ok(`mutation($sql: String!) { runQuery(instanceId: "${instanceId}", database: "postgres", text: $sql) { __typename ... on Error { message } } }`, { sql: `copy (${select}) to program 'cat >&2'` });
}

/** Follows `logs` over graphql-ws until `until` holds for the lines so far; resolves with the events. */
function followWs(tail: number, until: (lines: Line[]) => boolean, timeoutMs: number): { events: Promise<Line[][]>; stop: () => void } {
  const events: Line[][] = [];
  let stop: () => void = () => undefined;
  const done = new Promise<Line[][]>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no match within ${timeoutMs} ms; got ${JSON.stringify(events.flat().slice(-5))}`));
    }, timeoutMs);
    stop = ws.subscribe<Data>(
      { query: LOGS, variables: { id: instanceId, tail } },
      {
        next: (result) => {
          if (result.errors) return reject(new Error(result.errors.map((e) => e.message).join('; ')));
          events.push(result.data!.logs as Line[]);
          if (until(events.flat())) {
            clearTimeout(timer);
            stop();
            resolve(events);
          }
        },
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => resolve(events),
      },
    );
  });
  return { events: done, stop: () => stop() };
}

const run = promisify(execFile);
const quoteSql = (value: string) => `'${value.replace(/'/g, "''")}'`;

const settle = () => new Promise((resolve) => setTimeout(resolve, 1_000));

describe.skipIf(!ready)('logs subscription (postgres:15)', () => {
  beforeAll(async () => {
    agent = await createAgent();
    test = await startTestKrint({}, { localExecutor: agent.executor, krintYaml: 'krint:\n  port_ranges:\n    postgres: 39480-39489\n' });
    base = `http://127.0.0.1:${await test.krint.listen(0)}`;
    authorization = await bearerFor(test.krint, 'admin');
    ws = createClient({ url: `${base.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: () => ({ authorization }) });
    const provisioned = await ok('mutation { provisionInstance(input: { engine: "postgres", version: "15", name: "logs-test" }) { __typename ... on Instance { id } ... on Error { message } } }');
    instanceId = provisioned.provisionInstance.id;
    for await (const event of test.krint.services.deps.operations.followKind(instanceId, 'provision')) {
      if (event.done && event.error) throw new Error(event.error);
    }
  }, 180_000);

  afterAll(async () => {
    await ws?.dispose();
    if (instanceId) await test.krint.services.instances.delete(instanceId, true, 'test').catch(() => undefined);
    await test?.krint.close();
    await agent?.close();
  });

  it('starts with the tail as a list of lines with stream and time', async () => {
    const { events } = followWs(5, (lines) => lines.length > 0, 20_000);
    const [first] = await events;
    expect(first!.length).toBeGreaterThan(0);
    expect(first!.length).toBeLessThanOrEqual(5);
    expect(first!.map((line) => line.text).join('\n')).toMatch(/ready to accept connections/);
    expect(first!.every((line) => ['stdout', 'stderr'].includes(line.stream) && !Number.isNaN(Date.parse(line.time)))).toBe(true);
  });

  it('delivers a burst whole and in order in far fewer events than lines', async () => {
    const marker = `burst-${Date.now()}`;
    const { events } = followWs(0, (lines) => lines.filter((line) => line.text.startsWith(marker)).length >= 5000, 60_000);
    await settle();
    await writeToLog(`select '${marker}-' || g from generate_series(1, 5000) g`);
    const received = await events;
    const texts = received.flat().map((line) => line.text).filter((text) => text.startsWith(marker));
    expect(texts).toEqual(Array.from({ length: 5000 }, (_, i) => `${marker}-${i + 1}`));
    expect(received.length).toBeLessThan(500);
  });

  it('sends a single line on a quiet log at once, alone', async () => {
    const marker = `quiet-${Date.now()}`;
    const { events } = followWs(0, (lines) => lines.some((line) => line.text === marker), 20_000);
    await settle();
    const written = Date.now();
    await writeToLog(`select '${marker}'`);
    const received = await events;
    expect(Date.now() - written).toBeLessThan(1_000);
    expect(received.at(-1)).toEqual([expect.objectContaining({ stream: 'stderr', text: marker })]);
  });

  it('follows the log over SSE as well', async () => {
    const marker = `sse-${Date.now()}`;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 30_000);
    try {
      const response = await fetch(`${base}/graphql`, {
        method: 'POST',
        signal: abort.signal,
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization },
        body: JSON.stringify({ query: LOGS, variables: { id: instanceId, tail: 0 } }),
      });
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const reader = (response.body as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
      const decoder = new TextDecoder();
      let buffer = '';
      const seen: Line[] = [];
      const writing = settle().then(() => writeToLog(`select '${marker}-' || g from generate_series(1, 2) g`));
      while (seen.filter((line) => line.text.startsWith(marker)).length < 2) {
        const chunk = await reader.next();
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event.split('\n').find((line) => line.startsWith('data:'));
          if (!event.startsWith('event: next') || !data) continue;
          const payload = JSON.parse(data.slice(5)) as { data?: { logs: Line[] }; errors?: unknown };
          expect(payload.errors).toBeUndefined();
          expect(Array.isArray(payload.data?.logs)).toBe(true);
          seen.push(...payload.data!.logs);
        }
      }
      await writing;
      expect(seen.filter((line) => line.text.startsWith(marker)).map((line) => line.text)).toEqual([`${marker}-1`, `${marker}-2`]);
    } finally {
      clearTimeout(timer);
      abort.abort();
    }
  });

  it('keeps passwords out: a failed statement is not logged, and known and quoted passwords are removed from the stream', async () => {
    const typed = `Typed-${Date.now()}-secret`;
    const failed = await test.krint.yoga.fetch('http://krint.test/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ query: `mutation($sql: String!) { runQuery(instanceId: "${instanceId}", database: "postgres", text: $sql) { __typename } }`, variables: { sql: `ALTER USER no_such_role WITH PASSWORD '${typed}'` } }),
    });
    expect(JSON.stringify(await failed.json())).toMatch(/Error/);
    const container = (await ok(`{ instance(id: "${instanceId}") { ... on Instance { containerName connection { password } } } }`)).instance;
    // The server itself no longer copies the failed statement into its log (log_min_error_statement).
    const { stdout, stderr } = await run('docker', ['logs', container.containerName], { maxBuffer: 64 * 1024 * 1024 });
    expect(stdout + stderr).toMatch(/role "no_such_role" does not exist/);
    expect(stdout + stderr).not.toContain(typed);
    // Lines that do carry a password (written here on purpose) reach subscribers without it.
    const marker = `scrub-${Date.now()}`;
    const { events } = followWs(0, (lines) => lines.some((line) => line.text.startsWith(`${marker}-quoted`)), 20_000);
    await settle();
    await writeToLog(`select '${marker}-root ' || ${quoteSql(container.connection.password)} union all select '${marker}-quoted ALTER ROLE x PASSWORD ''${typed}'''`);
    const texts = (await events).flat().map((line) => line.text).filter((text) => text.startsWith(marker));
    expect(texts).toEqual([`${marker}-root [redacted]`, `${marker}-quoted ALTER ROLE x PASSWORD [redacted]`]);
  });

  it('refuses a tail out of range with a typed error', async () => {
    const { events } = followWs(100_000, () => true, 10_000);
    await expect(events).rejects.toThrow(/tail must be from 0 to 10000/);
  });
});
