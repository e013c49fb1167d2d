import { randomUUID } from 'node:crypto';
import { readinessDelays, type ConnectionTarget, type Engine } from '@krint/engine-sdk';
import type { Agent } from '../agent.js';
import type { InstanceAddress } from '../protocol/commands.js';
import { benchPassword, docker, freePort, log, sleep } from './support.js';

/** Container and volume names of the baseline runs start with this, so cleanup touches only ours. */
const BASELINE_PREFIX = 'krintbench-base';

export interface ProvisionSamples {
  readonly label: string;
  /** Provision request to ready through the agent, ms, one per repetition. */
  readonly krint: number[];
  /** `docker run` plus the same readiness loop, ms, one per repetition. */
  readonly baseline: number[];
}

/**
 * Time from a provision request to a ready server, through Krint (instance.create, instance.start
 * and instance.waitReady on the in-process executor) against `docker run` of the same image with
 * the same environment, port binding and named volume, followed by the engine's own readiness
 * definition (the same probe, e.g. a real `SELECT 1` over `pg`, and the same backoff). The two
 * alternate which goes first, so a drift in machine load hits both alike.
 */
export async function measureProvisioning(agent: Agent, engineId: string, version: string, repetitions: number): Promise<ProvisionSamples> {
  const engine = agent.context.engines.get(engineId);
  const samples: ProvisionSamples = { label: `${engineId}:${version}`, krint: [], baseline: [] };
  for (let round = 0; round < repetitions; round++) {
    const order = round % 2 === 0 ? (['krint', 'baseline'] as const) : (['baseline', 'krint'] as const);
    for (const which of order) {
      const ms = which === 'krint' ? await provisionThroughKrint(agent, engine, version) : await provisionWithDockerRun(agent, engine, version);
      samples[which].push(ms);
      log(`${samples.label} round ${round + 1}/${repetitions}: ${which} ready in ${Math.round(ms)} ms`);
    }
  }
  return samples;
}

async function provisionThroughKrint(agent: Agent, engine: Engine, version: string): Promise<number> {
  const executor = agent.executor;
  const rootPassword = benchPassword();
  const started = performance.now();
  const created = await executor.run('instance.create', {
    engineId: engine.id,
    version,
    instanceId: randomUUID(),
    slug: 'bench-provision',
    rootPassword,
    defaultDatabase: engine.defaultDatabase,
    plugins: [],
    isPublic: false,
    storage: 'volume',
  });
  try {
    await executor.run('instance.start', { containerId: created.containerId });
    const address: InstanceAddress = {
      engineId: engine.id,
      version,
      containerId: created.containerId,
      hostPort: created.hostPort,
      rootUser: engine.rootUser,
      rootPassword,
      defaultDatabase: engine.defaultDatabase,
    };
    const createdMs = performance.now() - started;
    const { elapsedMs } = await executor.run('instance.waitReady', { instance: address });
    const total = performance.now() - started;
    log(`  krint: create+start ${Math.round(createdMs)} ms, waitReady ${elapsedMs} ms`);
    return total;
  } finally {
    await executor.run('instance.remove', { containerId: created.containerId, removeVolume: true });
  }
}

async function provisionWithDockerRun(agent: Agent, engine: Engine, version: string): Promise<number> {
  const rootPassword = benchPassword();
  const spec = engine.containerSpec({
    version: agent.context.engines.getVersion(engine.id, version).version,
    rootPassword,
    defaultDatabase: engine.defaultDatabase,
    plugins: [],
  });
  const name = `${BASELINE_PREFIX}-${randomUUID().slice(0, 8)}`;
  const hostPort = await freePort();
  const args = [
    'run', '-d', '--name', name,
    // `-e NAME` takes the value from the client's environment: the password stays out of argv.
    ...Object.keys(spec.env).flatMap((key) => ['-e', key]),
    '-p', `127.0.0.1:${hostPort}:${spec.internalPort}`,
    '-v', `${name}-data:${spec.dataPath}`,
    ...(spec.shmSizeBytes ? ['--shm-size', String(spec.shmSizeBytes)] : []),
    spec.image,
    ...(spec.cmd ?? []),
  ];
  const started = performance.now();
  try {
    await docker(args, { env: spec.env });
    await readinessLoop(engine, { host: '127.0.0.1', port: hostPort, user: engine.rootUser, password: rootPassword, database: engine.defaultDatabase });
    return performance.now() - started;
  } finally {
    await docker(['rm', '-f', '-v', name]).catch((error) => log(`baseline cleanup: ${String(error)}`));
    await docker(['volume', 'rm', '-f', `${name}-data`]).catch((error) => log(`baseline cleanup: ${String(error)}`));
  }
}

/** The engine's readiness definition, run bare: probe, back off as declared, give up at the ceiling. */
async function readinessLoop(engine: Engine, target: ConnectionTarget): Promise<void> {
  const deadline = Date.now() + engine.readiness.ceilingMs;
  let lastError: unknown;
  for (const delay of readinessDelays(engine.readiness)) {
    try {
      await engine.readiness.probe(target);
      return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() + delay >= deadline) break;
    await sleep(delay);
  }
  throw new Error(`baseline ${engine.id} never became ready: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
}
