import { requireImage } from '@krint/engine-sdk/testing';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** The web package folder and the repository root. */
export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = path.resolve(WEB_DIR, '..');
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

/**
 * Whether the browser suite can run: Chromium, Docker and the image. Outside CI a missing piece
 * skips the suite; under `CI=true` it fails, because a skipped CI run proves nothing.
 */
export async function requirements(image: string): Promise<boolean> {
  const browser = existsSync(CHROMIUM);
  if (!browser && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing; install Debian's chromium package (apt-get install -y chromium).`);
  const hasImage = await requireImage(image);
  return browser && hasImage;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds the web client when `dist` is missing or older than any source file. */
export function ensureBuilt(): void {
  const index = path.join(WEB_DIR, 'dist', 'index.html');
  const sources = Math.max(newestMtime(path.join(WEB_DIR, 'src')), statSync(path.join(WEB_DIR, 'index.html')).mtimeMs, statSync(path.join(WEB_DIR, 'vite.config.ts')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const result = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: WEB_DIR, encoding: 'utf8', timeout: 240_000 });
  if (result.status !== 0) throw new Error(`Building the web client failed:\n${result.stdout}\n${result.stderr}`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface ControlPlane {
  readonly url: string;
  readonly adminPassword: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** Starts the real control plane (`server/src/main.ts`) on a free port with a fresh data folder. */
export async function startControlPlane(): Promise<ControlPlane> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'krint-web-e2e-'));
  const port = await freePort();
  const adminPassword = 'web-e2e-First-pw-1-krint';
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn('npx', ['tsx', 'server/src/main.ts'], {
    cwd: REPO_DIR,
    // Krint__PublicUrl: nodes added in the test dial this address.
    env: { ...process.env, Krint__Port: String(port), Krint__DataDir: dataDir, Krint__PublicUrl: url, Auth__AdminPassword: adminPassword, INIT_CWD: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The control plane exited (${child.exitCode}):\n${output}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`The control plane did not answer /health within 120 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return {
    url,
    adminPassword,
    dataDir,
    async stop() {
      if (child.exitCode === null && child.pid) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        process.kill(-child.pid, 'SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
        if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Removes containers and volumes whose names start with `prefix` (this suite's own only). */
export function removeDockerLeftovers(prefix: string): void {
  const list = spawnSync('docker', ['ps', '-aq', '--filter', `name=^/${prefix}`], { encoding: 'utf8' });
  const ids = list.stdout.split('\n').filter(Boolean);
  if (ids.length) spawnSync('docker', ['rm', '-f', '-v', ...ids], { encoding: 'utf8' });
  const volumes = spawnSync('docker', ['volume', 'ls', '-q', '--filter', `name=${prefix}`], { encoding: 'utf8' }).stdout.split('\n').filter((v) => v.includes(prefix));
  if (volumes.length) spawnSync('docker', ['volume', 'rm', '-f', ...volumes], { encoding: 'utf8' });
}

export interface NodeProcess {
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Starts a Krint node process (`Krint__Role=node`) that dials `controlPlaneUrl` with `token`. */
export async function startNode(controlPlaneUrl: string, token: string, name: string): Promise<NodeProcess> {
  const healthPort = await freePort();
  const child = spawn(process.execPath, [path.join(REPO_DIR, 'bin', 'krint.mjs')], {
    cwd: REPO_DIR,
    env: { ...process.env, Krint__Role: 'node', Node__ControlPlaneUrl: controlPlaneUrl, Node__Token: token, Node__Name: name, Node__HealthPort: String(healthPort), Node__HealthHost: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    output: () => output,
    async stop() {
      if (child.exitCode !== null || !child.pid) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      process.kill(-child.pid, 'SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
      if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    },
  };
}
