import { randomInt } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { EngineRegistry, SAFE_PASSWORD_ALPHABET } from '@krint/engine-sdk';
import type { Engine } from '@krint/engine-sdk';
import { requireImage } from '@krint/engine-sdk/testing';
import type { CommandExecutor, DumpChunk, InstanceAddress } from '../protocol/commands.js';
import { DUMP_CHUNK_BYTES } from '../protocol/commands.js';
import { createAgent, type Agent } from '../agent.js';
import { LABEL_INSTANCE } from '../docker/labels.js';
import { selectedTargets, type ConformanceTarget } from './targets.js';

/** A target that can run here: its image exists and its engine package loads. */
export interface ReadyTarget {
  readonly target: ConformanceTarget;
  readonly engine: Engine | null;
  /** Why the target is skipped (outside CI only; under CI a missing piece fails). */
  readonly skipReason: string | null;
}

/** Resolves the selected targets once per test file. */
export async function resolveTargets(): Promise<ReadyTarget[]> {
  const resolved: ReadyTarget[] = [];
  for (const target of selectedTargets()) {
    if (!(await requireImage(target.image))) {
      resolved.push({ target, engine: null, skipReason: `image ${target.image} is missing` });
      continue;
    }
    try {
      resolved.push({ target, engine: await target.load(), skipReason: null });
    } catch (error) {
      if (process.env.CI === 'true') throw error;
      resolved.push({ target, engine: null, skipReason: `engine package not loadable: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  return resolved;
}

/** A password like the control plane generates: the SDK's safe alphabet, 24 characters. */
export function generatePassword(): string {
  return Array.from({ length: 24 }, () => SAFE_PASSWORD_ALPHABET[randomInt(SAFE_PASSWORD_ALPHABET.length)]).join('');
}

/** An agent whose only engine is the target's, and the instances it made for cleanup. */
export class ConformanceAgent {
  readonly instanceIds = new Set<string>();

  private constructor(
    readonly agent: Agent,
    readonly engine: Engine,
  ) {}

  static async start(engine: Engine): Promise<ConformanceAgent> {
    return new ConformanceAgent(await createAgent({ engines: new EngineRegistry([engine]) }), engine);
  }

  get executor(): CommandExecutor {
    return this.agent.executor;
  }

  /** Provisions an instance through the executor and waits until it answers. */
  async provision(instanceId: string, options: { version?: string; plugins?: string[]; rootPassword?: string } = {}): Promise<InstanceAddress> {
    await this.removeInstances(instanceId);
    this.instanceIds.add(instanceId);
    const rootPassword = options.rootPassword ?? generatePassword();
    const version = options.version ?? this.engine.versions[0]!.version;
    const created = await this.executor.run('instance.create', {
      engineId: this.engine.id,
      version,
      instanceId,
      slug: instanceId.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40),
      rootPassword,
      defaultDatabase: this.engine.defaultDatabase,
      plugins: options.plugins ?? [],
      isPublic: false,
      storage: 'volume',
    });
    const address: InstanceAddress = {
      engineId: this.engine.id,
      version,
      containerId: created.containerId,
      hostPort: created.hostPort,
      rootUser: this.engine.rootUser,
      rootPassword,
      defaultDatabase: this.engine.defaultDatabase,
    };
    await this.executor.run('instance.waitReady', { instance: address });
    return address;
  }

  /** Containers and volumes labelled with the instance id, as Docker sees them. */
  async leftovers(instanceId: string): Promise<{ containers: string[]; volumes: string[] }> {
    const { docker } = this.agent.context;
    const filters = { label: [`${LABEL_INSTANCE}=${instanceId}`] };
    const containers = await docker.listContainers({ all: true, filters });
    const volumes = await docker.listVolumes({ filters });
    return { containers: containers.map((c) => c.Id), volumes: (volumes.Volumes ?? []).map((v) => v.Name) };
  }

  /** Removes everything labelled with the instance id (before a run, and after it). */
  async removeInstances(instanceId: string): Promise<void> {
    const { containers } = await this.leftovers(instanceId);
    for (const containerId of containers) await this.executor.run('instance.remove', { containerId, removeVolume: true });
  }

  async close(): Promise<void> {
    for (const instanceId of this.instanceIds) await this.removeInstances(instanceId).catch(() => undefined);
    await this.agent.close();
  }
}

/** Streams `backup.dump` into a file; returns the bytes written. */
export async function dumpToFile(executor: CommandExecutor, instance: InstanceAddress, path: string): Promise<number> {
  const file = createWriteStream(path);
  let bytes = 0;
  try {
    for await (const { data } of executor.stream('backup.dump', { instance })) {
      bytes += data.byteLength;
      if (!file.write(data)) await once(file, 'drain');
    }
  } finally {
    file.end();
    await once(file, 'close');
  }
  return bytes;
}

/** Reads a file as dump chunks of at most {@link DUMP_CHUNK_BYTES}. */
export async function* fileChunks(path: string): AsyncGenerator<DumpChunk> {
  for await (const data of createReadStream(path, { highWaterMark: DUMP_CHUNK_BYTES })) yield { data: data as Buffer };
}

export async function restoreFromFile(executor: CommandExecutor, instance: InstanceAddress, path: string): Promise<{ bytes: number }> {
  return executor.upload('backup.restore', { instance }, fileChunks(path));
}

/** Awaits a promise expected to fail and returns the error. */
export async function failureOf(promise: Promise<unknown>): Promise<Error & { code?: string; field?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string; field?: string };
  }
  throw new Error('expected the operation to fail, but it succeeded');
}
