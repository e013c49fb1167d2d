import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { parse } from 'graphql/index.js';
import { boundedParserCache, DEFAULT_GRAPHQL_LIMITS, PARSE_CACHE_LIMITS } from '../auth/index.js';
import { startServerProcess, type ServerProcess } from '../testing/server-process.js';

/**
 * A hostile client against the control plane running as its own process (`src/main.ts`), so that
 * its memory is the process's RSS and a crash is a dead process. Every probe ends by checking the
 * process is alive and answering.
 */

/** The process starts at about 200 MB (tsx compiles the sources in it); this leaves room for work, not for documents. */
const RSS_CEILING_MB = 360;
const ADMIN_PASSWORD = 'Vq7-harbor-lantern-88';

let server: ServerProcess;
let session: { cookie: string; csrf: string };

beforeAll(async () => {
  server = await startServerProcess({ Auth__AdminPassword: ADMIN_PASSWORD });
  const response = await fetch(`${server.base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }) });
  expect(response.status).toBe(200);
  const cookies = response.headers.getSetCookie().map((line) => line.split(';')[0]!);
  session = { cookie: cookies.join('; '), csrf: ((await response.json()) as { csrfToken: string }).csrfToken };
});

afterAll(async () => {
  await server?.stop();
});

afterEach(async () => {
  expect(await server.alive(), `the control plane process died; its output:\n${server.output().slice(-4000)}`).toBe(true);
});

/** `{ a0:__typename … a56499:__typename } #n`: just over 1 MB, and distinct for every `n`. */
function megabyteDocument(n: number): string {
  return `{ ${Array.from({ length: 56_500 }, (_, i) => `a${i}:__typename`).join(' ')} } #${n}`;
}

async function postGraphQL(query: string, headers: Record<string, string> = {}): Promise<{ status: number; body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } }> {
  const response = await fetch(`${server.base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  return { status: response.status, body: (await response.json()) as never };
}

const signedIn = () => ({ cookie: session.cookie, 'x-krint-csrf': session.csrf });

describe('memory under hostile documents', () => {
  it('stays under the ceiling through 200 distinct 1 MB anonymous documents, each refused before it is parsed', async () => {
    expect(megabyteDocument(0).length).toBeGreaterThan(1_000_000);
    let peak = 0;
    for (let n = 0; n < 200; n++) {
      const { status, body } = await postGraphQL(megabyteDocument(n));
      expect(status).toBe(401);
      expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      peak = Math.max(peak, server.rssMb());
      expect(peak, `RSS after ${n + 1} documents`).toBeLessThan(RSS_CEILING_MB);
    }
    expect(server.peakRssMb()).toBeLessThan(RSS_CEILING_MB);
  });

  it('stays under the ceiling through distinct 1 MB documents from a signed-in caller: the parser stops at its token limit', async () => {
    for (let n = 0; n < 40; n++) {
      const { body } = await postGraphQL(megabyteDocument(1000 + n), signedIn());
      expect(body.errors?.[0]?.message).toMatch(new RegExp(`contains more th\\w+ ${DEFAULT_GRAPHQL_LIMITS.maxTokens} tokens`));
      expect(server.rssMb(), `RSS after ${n + 1} documents`).toBeLessThan(RSS_CEILING_MB);
    }
  });

  it('answers a signed-in socket sending distinct 1 MB documents with the token-limit error, and stays under the ceiling', async () => {
    const client = createClient({
      url: `${server.base.replace('http', 'ws')}/graphql`,
      webSocketImpl: class extends WebSocket {
        constructor(address: string, protocols?: string | string[]) {
          super(address, protocols, { headers: { cookie: session.cookie } });
        }
      },
      connectionParams: { 'x-krint-csrf': session.csrf },
      retryAttempts: 0,
    });
    try {
      for (let n = 0; n < 20; n++) {
        const outcome = await new Promise<string>((resolve) => {
          client.subscribe({ query: megabyteDocument(2000 + n) }, { next: () => resolve('data'), error: (error) => resolve(JSON.stringify(error)), complete: () => resolve('complete') });
        });
        expect(outcome).toMatch(new RegExp(`contains more th\\w+ ${DEFAULT_GRAPHQL_LIMITS.maxTokens} tokens`));
        expect(server.rssMb(), `RSS after ${n + 1} documents`).toBeLessThan(RSS_CEILING_MB);
      }
    } finally {
      await client.dispose();
    }
  });

  it('keeps the parse cache bounded by text: 400 distinct 14 KiB documents leave at most its byte budget, a larger one is not kept', () => {
    // In-process: RSS cannot tell documents held from garbage not yet collected at this scale.
    const cache = boundedParserCache().documentCache;
    const fields = Array.from({ length: 1000 }, (_, i) => `b${i}:__typename`).join(' ');
    for (let n = 0; n < 400; n++) {
      const source = `{ ${fields} } #${n}`;
      cache.set(source, parse(source));
    }
    expect(cache.calculatedSize).toBeLessThanOrEqual(PARSE_CACHE_LIMITS.totalBytes);
    expect(cache.size).toBe(Math.floor(PARSE_CACHE_LIMITS.totalBytes / `{ ${fields} } #399`.length));
    const large = `{ ${fields} ${fields.replaceAll('b', 'c')} }`;
    cache.set(large, parse(large));
    expect(cache.has(large)).toBe(false);
  });
});
