import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * Test support for engine packages: starts a real container of a local image with the Docker CLI,
 * publishes its port on 127.0.0.1 and removes it afterwards. Not part of the runtime: Krint itself
 * drives Docker through the agent. Import from `@krint/engine-sdk/testing`.
 */
const run = promisify(execFile);

export interface StartedTestContainer extends AsyncDisposable {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** Runs a command inside the container and returns stdout. */
  exec(argv: readonly string[], options?: { input?: string }): Promise<string>;
  logs(): Promise<string>;
  remove(): Promise<void>;
}

export interface TestContainerOptions {
  readonly image: string;
  readonly internalPort: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly cmd?: readonly string[];
  /** Prefix of the container name so parallel suites can tell their containers apart. */
  readonly namePrefix?: string;
}

/** True when the Docker CLI reaches a daemon and `image` exists locally. */
export async function imageAvailable(image: string): Promise<boolean> {
  try {
    await run('docker', ['image', 'inspect', image], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a real-container suite should run: outside CI a missing image skips the suite, under
 * `CI=true` it fails loudly, because a CI run that silently skips proves nothing.
 */
export async function requireImage(image: string): Promise<boolean> {
  const available = await imageAvailable(image);
  if (!available && process.env.CI === 'true') {
    throw new Error(`Image ${image} is missing (or Docker is not running); CI must build it first (npm run images).`);
  }
  return available;
}

export async function startTestContainer(options: TestContainerOptions): Promise<StartedTestContainer> {
  const name = `${options.namePrefix ?? 'krint-test'}-${Math.random().toString(36).slice(2, 10)}`;
  const args = ['run', '-d', '--name', name, '--label', 'krint.test=true', '-p', `127.0.0.1::${options.internalPort}`];
  for (const [key, value] of Object.entries(options.env ?? {})) args.push('-e', `${key}=${value}`);
  args.push(options.image, ...(options.cmd ?? []));
  const { stdout } = await run('docker', args, { timeout: 60_000 });
  const id = stdout.trim();
  const { stdout: portOut } = await run('docker', ['port', id, `${options.internalPort}/tcp`], { timeout: 20_000 });
  const port = Number(/:(\d+)\s*$/m.exec(portOut.trim())?.[1]);
  if (!Number.isInteger(port)) throw new Error(`Could not read the published port of ${name}: ${portOut}`);
  const remove = async () => {
    await run('docker', ['rm', '-f', '-v', id], { timeout: 60_000 }).catch(() => undefined);
  };
  return {
    id,
    host: '127.0.0.1',
    port,
    async exec(argv, execOptions) {
      const child = run('docker', ['exec', ...(execOptions?.input === undefined ? [] : ['-i']), id, ...argv], {
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      if (execOptions?.input !== undefined) {
        child.child.stdin?.end(execOptions.input);
      }
      return (await child).stdout;
    },
    async logs() {
      const { stdout, stderr } = await run('docker', ['logs', '--tail', '50', id], { timeout: 20_000 });
      return stdout + stderr;
    },
    remove,
    [Symbol.asyncDispose]: remove,
  };
}

/** Retries `attempt` until it resolves or `timeoutMs` passes; the last error is rethrown. */
export async function waitFor<T>(attempt: () => Promise<T>, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await attempt();
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
  throw lastError instanceof Error ? lastError : new Error(`Timed out after ${timeoutMs} ms`);
}
