import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import type { ConnectionTarget, ExecCommand } from '@krint/engine-sdk';
import { startTestContainer, waitFor, type StartedTestContainer } from '@krint/engine-sdk/testing';
import { postgresEngine } from './postgres-engine.js';

/**
 * Helpers for this package's real-server tests: a postgres container started the way Krint would
 * (from the engine's own container spec) and `docker exec` of the engine's dump and restore
 * commands streaming through files. Containers are named `krint-pgengine-*`.
 */
export interface TestInstance {
  readonly container: StartedTestContainer;
  readonly target: ConnectionTarget;
}

export async function startInstance(version: string, rootPassword: string, defaultDatabase = 'app'): Promise<TestInstance> {
  const engineVersion = postgresEngine.versions.find((v) => v.version === version);
  if (!engineVersion) throw new Error(`No PostgreSQL ${version} in the engine's versions`);
  const spec = postgresEngine.containerSpec({ version: engineVersion, rootPassword, defaultDatabase, plugins: [] });
  const container = await startTestContainer({
    image: spec.image,
    internalPort: spec.internalPort,
    env: spec.env,
    namePrefix: `krint-pgengine-${version}`,
  });
  const target: ConnectionTarget = { host: container.host, port: container.port, user: postgresEngine.rootUser, password: rootPassword, database: defaultDatabase };
  try {
    await waitFor(() => postgresEngine.readiness.probe(target), postgresEngine.readiness.ceilingMs, 500);
  } catch (error) {
    const logs = await container.logs().catch(() => '');
    await container.remove();
    throw new Error(`PostgreSQL ${version} did not become ready: ${String(error)}\n${logs}`);
  }
  return { container, target };
}

/** `docker exec` arguments for a command, with its environment passed by name (values stay out of argv). */
function execArgs(containerId: string, command: ExecCommand, interactive: boolean): { args: string[]; env: NodeJS.ProcessEnv } {
  const args = ['exec', ...(interactive ? ['-i'] : [])];
  for (const name of Object.keys(command.env ?? {})) args.push('-e', name);
  if (command.user) args.push('--user', command.user);
  args.push(containerId, ...command.argv);
  return { args, env: { ...process.env, ...command.env } };
}

interface ExecOutcome {
  readonly code: number | null;
  readonly stderr: string;
}

function finish(child: ReturnType<typeof spawn>, timeoutMs: number): Promise<ExecOutcome> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 64 * 1024) stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/** Runs the dump command in the container and streams its stdout into `file`. */
export async function dumpToFile(containerId: string, command: ExecCommand, file: string, timeoutMs = 120_000): Promise<ExecOutcome> {
  const { args, env } = execArgs(containerId, command, false);
  const child = spawn('docker', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = createWriteStream(file);
  child.stdout.pipe(out);
  const outcome = await finish(child, timeoutMs);
  await new Promise<void>((resolve, reject) => (out.writableFinished ? resolve() : out.on('finish', resolve).on('error', reject)));
  return outcome;
}

/** Runs the restore command in the container with `file` streamed into its stdin. */
export async function restoreFromFile(containerId: string, command: ExecCommand, file: string, timeoutMs = 120_000): Promise<ExecOutcome> {
  const { args, env } = execArgs(containerId, command, true);
  const child = spawn('docker', args, { env, stdio: ['pipe', 'ignore', 'pipe'] });
  createReadStream(file).pipe(child.stdin!);
  return finish(child, timeoutMs);
}
