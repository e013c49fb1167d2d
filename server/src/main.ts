import { createAgent } from '@krint/agent';
import { pathToFileURL } from 'node:url';
import { createKrint } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { FaultPoints } from './services/fault-points.js';
import { VaultError } from './vault/index.js';

export interface ControlPlaneOptions {
  /** Folder of the built web client; the package passes the copy it carries beside its code. */
  readonly webRoot?: string;
}

/** What running operations get on SIGTERM before the rest is marked interrupted (containers stop in 10 s by default). */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * `npm start` and the `krint` command: the control plane on its embedded defaults (SQLite in
 * ./.data, the local Docker socket, port 5000). Configuration: `Section__Key` environment
 * variables and `krint.yaml`. Exits the process when it cannot start.
 */
export async function runControlPlane(options: ControlPlaneOptions = {}): Promise<void> {
  await main(options).catch((error: unknown) => {
    if (error instanceof ConfigError || error instanceof VaultError) console.error(error.message);
    else console.error('Krint could not start:', error);
    process.exit(1);
  });
}

async function main(options: ControlPlaneOptions): Promise<void> {
  // `npm start` runs in the server folder; INIT_CWD is where the user typed it.
  const config = loadConfig({ cwd: process.env.INIT_CWD ?? process.cwd() });
  const agent = await createAgent({ ...(config.dockerNetwork ? { instanceNetwork: config.dockerNetwork } : {}), log: (message) => console.log(message) });
  const krint = await createKrint({
    config,
    localExecutor: agent.executor,
    engines: agent.context.engines,
    ...(options.webRoot ? { webRoot: options.webRoot } : {}),
    faults: FaultPoints.fromEnvironment(),
    shutdownGraceMs: SHUTDOWN_GRACE_MS,
  });
  const port = await krint.listen();
  const where = config.publicUrl ?? `http://localhost:${port}`;
  console.log(`Krint control plane listening on port ${port}: web client ${where}/ , GraphQL and GraphiQL ${where}/graphql`);
  console.log(`State: ${config.database.kind === 'sqlite' ? `SQLite ${config.database.file}` : 'PostgreSQL'}; backups in ${config.backups.directory}`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down; running operations get ${SHUTDOWN_GRACE_MS / 1000} s to finish`);
    const timer = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS + 5_000);
    timer.unref();
    await krint.close();
    await agent.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

// Run directly (`tsx server/src/main.ts`) rather than imported by the `krint` command.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runControlPlane();
