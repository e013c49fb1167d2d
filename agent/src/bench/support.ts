import { spawn, type StdioOptions } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Helpers shared by the engine benchmarks: progress lines, memory, the Docker CLI baseline. */

export function log(message: string): void {
  console.log(`[engines-bench] ${new Date().toISOString().slice(11, 19)} ${message}`);
}

/** This process's peak resident memory so far (VmHWM), in MiB. */
export function peakRssMb(): number {
  const status = readFileSync('/proc/self/status', 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Peak and current memory of this process, for progress lines. */
export function memoryLine(): string {
  const usage = process.memoryUsage();
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
  return `peak RSS ${peakRssMb().toFixed(0)} MB (now: RSS ${mb(usage.rss)}, V8 heap ${mb(usage.heapUsed)} used of ${mb(usage.heapTotal)}, buffers ${mb(usage.arrayBuffers)})`;
}

/**
 * Largest RSS, V8 heap (committed) and Buffer memory seen while `work` runs, sampled every 20 ms:
 * shows which part of the process a peak comes from.
 */
export async function sampleMemory<T>(work: () => Promise<T>): Promise<{ result: T; maxima: string }> {
  const max = { rss: 0, heapTotal: 0, heapUsed: 0, arrayBuffers: 0 };
  const sample = () => {
    const usage = process.memoryUsage();
    for (const key of Object.keys(max) as (keyof typeof max)[]) max[key] = Math.max(max[key], usage[key]);
  };
  const timer = setInterval(sample, 20);
  try {
    const result = await work();
    sample();
    const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
    return { result, maxima: `sampled maxima: RSS ${mb(max.rss)}, V8 heap ${mb(max.heapUsed)} used / ${mb(max.heapTotal)} committed, buffers ${mb(max.arrayBuffers)}` };
  } finally {
    clearInterval(timer);
  }
}

/** A password from the engines' safe alphabet, different on every call. */
export function benchPassword(): string {
  return `Bench${randomUUID().replaceAll('-', '')}`;
}

/** A free loopback port, found by letting the kernel pick one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface DockerCliOptions {
  /** Extra environment for the `docker` client; `-e NAME` arguments take their values from here, so secrets stay out of argv. */
  readonly env?: Readonly<Record<string, string>>;
  /** stdin and stdout of the client (e.g. file descriptors); stderr is always captured for the error message. */
  readonly stdin?: number | 'ignore';
  readonly stdout?: number | 'ignore' | 'pipe';
  readonly timeoutMs?: number;
}

/**
 * Runs the `docker` command-line client and resolves with its stdout (when piped). Fails with the
 * end of stderr on a non-zero exit, and kills the client after `timeoutMs`.
 */
export function docker(args: readonly string[], options: DockerCliOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdio: StdioOptions = [options.stdin ?? 'ignore', options.stdout ?? 'pipe', 'pipe'];
    const child = spawn('docker', [...args], { stdio, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      if (stdout.length < 65_536) stdout += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4096);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`docker ${args[0]} failed (${signal ?? `exit ${code}`}): ${stderr.trim() || 'no output'}`));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
