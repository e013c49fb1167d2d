import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The control plane as its own process (`src/main.ts`, as `npm start` runs it) on a fresh data
 * folder and a free port, for tests and benchmarks that must see what the process as a whole
 * does: its memory (RSS from /proc), whether it is still alive, what it writes to its log.
 */
export interface ServerProcess {
  readonly base: string;
  readonly port: number;
  readonly pid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resident memory now, in MB (Linux /proc). */
  rssMb(): number;
  /** The highest resident memory since the process started, in MB (VmHWM). */
  peakRssMb(): number;
  /** Still running and answering `/health`. */
  alive(): Promise<boolean>;
  stop(): Promise<void>;
}

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../main.ts');
const STARTUP_TIMEOUT_MS = 60_000;

/** A port nobody listens on right now (the process binds it a moment later). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/**
 * `GET /health` on a connection of its own: a pooled one may be one the server is closing after
 * refusing a body it did not read, which says nothing about whether the process is up.
 */
function health(base: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get(`${base}/health`, { agent: false, timeout: 10_000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 10 s')));
    request.on('error', reject);
  });
}

/** Starts `src/main.ts` with `env` on top of a fresh data folder; resolves once it listens. */
export async function startServerProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'krint-process-'));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    // The server folder, as `npm start` runs it (tsx resolves from there); INIT_CWD is where the user typed it.
    cwd: path.dirname(path.dirname(MAIN)),
    env: { ...process.env, INIT_CWD: dataDir, Krint__DataDir: dataDir, Krint__Port: String(port), Auth__AdminPassword: 'Kx4-quiet-meadow-river-19', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!output.includes('listening on port')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`The control plane process did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const base = `http://127.0.0.1:${port}`;
  const pid = child.pid!;
  return {
    base,
    port,
    pid,
    output: () => output,
    rssMb: () => statusField(pid, 'VmRSS'),
    peakRssMb: () => statusField(pid, 'VmHWM'),
    async alive() {
      if (child.exitCode !== null || child.signalCode !== null) {
        output += `\n[exited: code ${child.exitCode}, signal ${child.signalCode}]`;
        return false;
      }
      try {
        return (await health(base)) === 200;
      } catch (error) {
        output += `\n[GET /health failed: ${error instanceof Error ? error.message : String(error)}]`;
        return false;
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
