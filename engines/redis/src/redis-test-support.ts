import { spawn, execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { promisify } from 'node:util';
import type { ConnectionTarget, Engine, ExecCommand } from '@krint/engine-sdk';
import { startTestContainer, waitFor, type StartedTestContainer } from '@krint/engine-sdk/testing';

/**
 * Helpers for the real-server tests of the Redis-protocol engines: containers are started from the
 * engine's own `containerSpec`, and dump/restore commands are run with `docker exec` exactly as the
 * agent runs them (environment passed by name, never on the command line; stdin/stdout streamed).
 */
const run = promisify(execFile);

export interface RunningInstance {
  readonly container: StartedTestContainer;
  readonly target: ConnectionTarget;
}

export async function startInstance(engine: Engine, image: string, password: string, namePrefix: string): Promise<RunningInstance> {
  const version = engine.versions.find((v) => v.image === image) ?? { version: image.split(':')[1] ?? 'test', image };
  const spec = engine.containerSpec({ version, rootPassword: password, defaultDatabase: engine.defaultDatabase, plugins: [] });
  const container = await startTestContainer({ image, internalPort: spec.internalPort, env: spec.env, cmd: spec.cmd, namePrefix });
  const target: ConnectionTarget = { host: container.host, port: container.port, user: engine.rootUser, password };
  await waitUntilReady(engine, target);
  return { container, target };
}

export async function waitUntilReady(engine: Engine, target: ConnectionTarget): Promise<void> {
  await waitFor(() => engine.readiness.probe(target), engine.readiness.ceilingMs, engine.readiness.initialDelayMs);
}

/**
 * Restarts the container and returns the target at its new address: Docker picks a new random host
 * port for `-p 127.0.0.1::6379` on every start.
 */
export async function restartInstance(engine: Engine, container: StartedTestContainer, target: ConnectionTarget): Promise<ConnectionTarget> {
  await run('docker', ['restart', '-t', '10', container.id], { timeout: 60_000 });
  const { stdout } = await run('docker', ['port', container.id, '6379/tcp'], { timeout: 20_000 });
  const port = Number(/:(\d+)\s*$/m.exec(stdout.trim())?.[1]);
  if (!Number.isInteger(port)) throw new Error(`Could not read the published port after a restart: ${stdout}`);
  const moved = { ...target, port };
  await waitUntilReady(engine, moved);
  return moved;
}

export interface ExecOutcome {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs an engine's ExecCommand in the container. `stdinFile` is streamed to its stdin, its stdout is
 * streamed to `stdoutFile` (or collected when absent). Secrets reach `docker exec` through the
 * environment of the docker CLI (`-e NAME` without a value), not its argv.
 */
export function execInContainer(
  containerId: string,
  command: ExecCommand,
  files: { readonly stdinFile?: string; readonly stdoutFile?: string } = {},
): Promise<ExecOutcome> {
  const env = command.env ?? {};
  const args = ['exec', ...(files.stdinFile ? ['-i'] : []), ...Object.keys(env).flatMap((name) => ['-e', name])];
  if (command.user) args.push('-u', command.user);
  args.push(containerId, ...command.argv);
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    let stdout = '';
    let stderr = '';
    if (files.stdoutFile) child.stdout.pipe(createWriteStream(files.stdoutFile));
    else child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    if (files.stdinFile) createReadStream(files.stdinFile).pipe(child.stdin);
    else child.stdin.end();
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ exitCode, stdout, stderr });
    });
  });
}

export function randomPassword(): string {
  return `pw-${Math.random().toString(36).slice(2, 12)}-${Date.now().toString(36)}`;
}
