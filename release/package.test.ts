import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPackage } from './build-package.js';

/**
 * Krint as a package user gets it: the packed tarball installed with `npm install -g` into an
 * empty prefix, and `krint` started in an empty folder, away from the checkout. Installing needs
 * the npm registry (the dependencies, and a compiler for better-sqlite3 where no prebuilt binary
 * can be downloaded), which is why this file takes minutes.
 */

const run = promisify(execFile);
const work = mkdtempSync(path.join(tmpdir(), 'krint-package-'));
const prefix = path.join(work, 'prefix');
const emptyFolder = path.join(work, 'empty');
let tarball = '';
let child: ChildProcess | undefined;

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

/** The environment of a shell outside the checkout: no Krint settings, no npm script variables. */
function outsideEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('Krint__') || key.startsWith('Node__') || key.startsWith('npm_') || key === 'INIT_CWD' || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

async function waitForOutput(process: ChildProcess, pattern: RegExp, ms: number): Promise<string> {
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} within ${ms} ms; output:\n${output}`)), ms);
    const onData = (data: Buffer) => {
      output += data.toString();
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    };
    process.stdout?.on('data', onData);
    process.stderr?.on('data', onData);
    process.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`krint exited with ${code}; output:\n${output}`));
    });
  });
}

beforeAll(async () => {
  const built = await buildPackage({ outDir: path.join(work, 'out') });
  tarball = built.tarball!;
  await run('npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball], {
    cwd: work,
    env: outsideEnv({}),
    maxBuffer: 16 * 1024 * 1024,
  });
}, 900_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('is named after its version and carries compiled JavaScript, the web client and a lock of its dependencies, no TypeScript', async () => {
    expect(path.basename(tarball)).toMatch(/^krint-\d+\.\d+\.\d+\.tgz$/);
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.split('\n').filter(Boolean);
    expect(files).toContain('package/dist/krint.js');
    expect(files).toContain('package/dist/web/index.html');
    expect(files).toContain('package/npm-shrinkwrap.json');
    expect(files.filter((file) => file.endsWith('.ts'))).toEqual([]);
  });

  it('installs without tsx, and `krint` starts the control plane on its embedded defaults in an empty folder', async () => {
    const installed = path.join(prefix, 'lib/node_modules/krint');
    expect(existsSync(path.join(installed, 'node_modules/tsx'))).toBe(false);
    expect(existsSync(path.join(installed, 'node_modules/typescript'))).toBe(false);

    const port = await freePort();
    rmSync(emptyFolder, { recursive: true, force: true });
    await run('mkdir', ['-p', emptyFolder]);
    child = spawn(path.join(prefix, 'bin/krint'), [], { cwd: emptyFolder, env: outsideEnv({ Krint__Port: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
    const output = await waitForOutput(child, /listening on port/, 60_000);
    expect(output).toMatch(/Created the built-in user "admin"/);

    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });

    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>Krint</title>');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`http://127.0.0.1:${port}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);

    // State went to ./.data of the folder it was started in, the key readable by its owner only.
    expect(readdirSync(path.join(emptyFolder, '.data')).sort()).toEqual(expect.arrayContaining(['krint.db', 'vault.key']));
    expect(statSync(path.join(emptyFolder, '.data/vault.key')).mode & 0o077).toBe(0);
  });

  it('runs the node role from the same command, and names what a node is missing', async () => {
    const failed = await run(path.join(prefix, 'bin/krint'), [], { cwd: emptyFolder, env: outsideEnv({ Krint__Role: 'node' }) }).then(
      () => null,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/Node__ControlPlaneUrl is not set/);
    expect(failed?.stderr).toMatch(/Node__Token is not set/);
  });

  it('refuses an unknown role by name', async () => {
    const failed = await run(path.join(prefix, 'bin/krint'), [], { cwd: emptyFolder, env: outsideEnv({ Krint__Role: 'agent' }) }).then(
      () => null,
      (error: { code?: number; stderr?: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/Krint__Role must be "control-plane" or "node" \(got "agent"\)/);
  });
});
