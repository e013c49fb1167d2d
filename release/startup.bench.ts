/**
 * Part of `npm run bench`: cold start and memory at rest of the `krint` command, the package's
 * compiled JavaScript (`npm run package`) against the checkout's TypeScript run through tsx,
 * for both roles, side by side in one run.
 *
 * - cold start: from spawning the process to the first 200 from its `/health`;
 * - RSS at rest: the process's resident memory 3 s after that, with nothing to do (a node
 *   connected to a control plane, the control plane with an empty SQLite state).
 *
 * The compiled package resolves its dependencies from the checkout's node_modules (the same
 * versions its shrinkwrap pins), so both variants load the same libraries.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPackage } from './build-package.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.KRINT_BENCH_RUNS ?? 5);
const REST_MS = 3_000;
const TOKEN = `krn_bench_${randomBytes(16).toString('hex')}`;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) / 1024;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

interface Sample {
  readonly startMs: number;
  readonly rssMb: number;
}

/** Starts `script` with `env`, waits for `/health` on `healthPort`, then rests and reads RSS. */
async function measure(script: string, env: Record<string, string>, healthPort: number, keep = false): Promise<Sample & { child: ChildProcess }> {
  const folder = mkdtempSync(path.join(tmpdir(), 'krint-startup-'));
  const started = performance.now();
  // INIT_CWD (set by `npm run`) would point the control plane's state at the checkout.
  const child = spawn(process.execPath, [script], { cwd: folder, env: { ...process.env, INIT_CWD: folder, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => (stderr += data.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw new Error(`${script} did not answer /health within 60 s: ${stderr}`);
    const ok = await fetch(`http://127.0.0.1:${healthPort}/health`).then((r) => r.status === 200, () => false);
    if (ok) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const startMs = performance.now() - started;
  await new Promise((resolve) => setTimeout(resolve, REST_MS));
  const sample = { startMs, rssMb: rssMb(child.pid!), child };
  if (!keep) {
    await stop(child);
    rmSync(folder, { recursive: true, force: true });
  }
  return sample;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const built = await buildPackage({ pack: false });
const variants = [
  { name: 'compiled (package)', script: path.join(built.folder, 'dist/krint.js') },
  { name: 'tsx (checkout)', script: path.join(ROOT, 'bin/krint.mjs') },
];

// One control plane for the nodes to connect to.
const hubPort = await freePort();
const hub = await measure(variants[0]!.script, { Krint__Port: String(hubPort), Node__Tokens__0: TOKEN, Auth__AdminPassword: `Bench-${randomUUID()}` }, hubPort, true);

const rows: string[] = [];
try {
  for (const role of ['control-plane', 'node'] as const) {
    for (const variant of variants) {
      const samples: Sample[] = [];
      for (let i = 0; i < RUNS; i++) {
        const port = await freePort();
        const env: Record<string, string> =
          role === 'control-plane'
            ? { Krint__Role: role, Krint__Port: String(port), Auth__AdminPassword: `Bench-${randomUUID()}` }
            : { Krint__Role: role, Node__ControlPlaneUrl: `http://127.0.0.1:${hubPort}`, Node__Token: TOKEN, Node__Id: randomUUID(), Node__Name: `bench-${i}`, Node__HealthPort: String(port), Node__HealthHost: '127.0.0.1' };
        samples.push(await measure(variant.script, env, port));
      }
      rows.push(`| ${role} | ${variant.name} | ${median(samples.map((s) => s.startMs)).toFixed(0)} ms | ${median(samples.map((s) => s.rssMb)).toFixed(1)} MB |`);
      console.log(rows.at(-1));
    }
  }
} finally {
  await stop(hub.child);
}
console.log(`\nCold start to /health and RSS at rest (${REST_MS / 1000} s after), median of ${RUNS} runs each:\n`);
console.log('| role | build | cold start | RSS at rest |');
console.log('|---|---|---|---|');
for (const row of rows) console.log(row);
