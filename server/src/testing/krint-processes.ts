/**
 * Test support: Krint as users run it, as separate processes (`node bin/krint.mjs`), a control
 * plane and nodes, each with its own environment, their output kept for assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Data } from './graphql-client.js';

export const REPOSITORY_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface KrintProcess {
  readonly child: ChildProcess;
  /** Every line the process wrote, prefixed with its label. */
  readonly output: string[];
}

/** Starts `bin/krint.mjs` with `env` over this process's environment, minus `unset`. */
export function startKrint(env: Record<string, string>, label: string, unset: readonly string[] = []): KrintProcess {
  const output: string[] = [];
  const merged: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const name of unset) delete merged[name];
  const child = spawn(process.execPath, [path.join(REPOSITORY_ROOT, 'bin/krint.mjs')], { env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
  const collect = (data: Buffer) => output.push(...data.toString().split('\n').filter(Boolean).map((line) => `[${label}] ${line}`));
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return { child, output };
}

/** Stops the process with `signal` and waits for it to exit; nothing happens if it already has. */
export async function stopKrint(proc: KrintProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
  const exited = new Promise((resolve) => proc.child.once('exit', resolve));
  proc.child.kill(signal);
  await exited;
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Polls `probe` every `intervalMs` until it returns something truthy; fails after `timeoutMs` with the last error. */
export async function until<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Signs in as `admin` and returns an `Authorization` header value with a fresh admin API token. */
export async function adminAuthorization(base: string, password: string): Promise<string> {
  const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  if (login.status !== 200) throw new Error(`Sign-in failed with HTTP ${login.status}`);
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const cookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-krint-csrf': csrfToken },
    body: JSON.stringify({
      query: 'mutation($at: DateTime!) { createApiToken(name: "process-tests", role: ADMIN, expiresAt: $at) { __typename ... on CreatedApiToken { token } ... on Error { message } } }',
      variables: { at: new Date(Date.now() + 86_400_000).toISOString() },
    }),
  });
  const token = ((await response.json()) as Data).data?.createApiToken?.token as string | undefined;
  if (!token) throw new Error('No API token was created');
  return `Bearer ${token}`;
}
