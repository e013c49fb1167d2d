import { readFileSync } from 'node:fs';
import type { EngineRegistry } from '@krint/engine-sdk';
import { createDockerClient } from './docker/client.js';
import type { Docker } from './docker/client.js';
import { ExecSessionTable } from './docker/exec-sessions.js';
import { Dispatcher } from './dispatch.js';
import { DEFAULT_SESSION_IDLE_MS, EngineSessionCache } from './engine-sessions.js';
import { createEngineRegistry } from './engines.js';
import type { AgentContext } from './handlers/index.js';
import { currentContainerId, detectInstanceNetwork, InstanceReach } from './instance-reach.js';
import { LocalExecutor } from './local-executor.js';

export interface AgentOptions {
  /** Defaults to the local daemon (or `DOCKER_HOST`). */
  readonly docker?: Docker;
  /** Defaults to the built-in engines plus `Krint__EnginePlugins`. */
  readonly engines?: EngineRegistry;
  /** Third-party engine packages, when `engines` is not given. */
  readonly enginePlugins?: readonly string[];
  readonly sessionIdleMs?: number;
  /**
   * The Docker network shared with the instance containers (`Docker__Network`, see InstanceReach);
   * null for loopback. When absent, a process in a container looks for its own network.
   */
  readonly instanceNetwork?: string | null;
  /** Where a note about that choice goes (once, at start). */
  readonly log?: (message: string) => void;
}

/** One agent: its context, the dispatcher a transport calls, and the in-process executor. */
export interface Agent {
  readonly context: AgentContext;
  readonly dispatcher: Dispatcher;
  readonly executor: LocalExecutor;
  /** Closes engine sessions and terminals. */
  close(): Promise<void>;
}

export async function createAgent(options: AgentOptions = {}): Promise<Agent> {
  const engines = options.engines ?? (await createEngineRegistry(options.enginePlugins ? { plugins: options.enginePlugins } : {}));
  const docker = options.docker ?? createDockerClient();
  let network = options.instanceNetwork;
  if (network === undefined) {
    const detected = await detectInstanceNetwork(docker, currentContainerId());
    if (detected.note) options.log?.(detected.note);
    network = detected.network;
  }
  const reach = new InstanceReach(docker, network);
  const context: AgentContext = {
    docker,
    reach,
    engines,
    sessions: new EngineSessionCache(engines, reach, options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS),
    terminals: new ExecSessionTable(docker),
    krintVersion: packageVersion(),
  };
  const dispatcher = new Dispatcher(context);
  return {
    context,
    dispatcher,
    executor: new LocalExecutor(dispatcher),
    async close() {
      context.terminals.closeAll();
      await context.sessions.closeAll();
    },
  };
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
  return manifest.version ?? '0.0.0';
}
