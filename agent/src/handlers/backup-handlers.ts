import { InvalidInputError, NotSupportedError } from '@krint/engine-sdk';
import type { BackupSupport, DumpContext, Engine } from '@krint/engine-sdk';
import type { DumpChunk, InstanceAddress } from '../protocol/commands.js';
import { DUMP_CHUNK_BYTES } from '../protocol/commands.js';
import type { Docker } from '../docker/client.js';
import { execOutput, execWithInput } from '../docker/exec.js';
import type { StreamHandlers, UploadHandlers } from './context.js';

/** Bytes of an upload the engine's header check looks at. */
const HEADER_BYTES = 4096;

/** Dumps stream out of the engine's own tool in the container; restores stream into it. */
export const backupStreams = {
  async *'backup.dump'(context, args, signal) {
    const engine = context.engines.get(args.instance.engineId);
    const backup = requireBackup(engine);
    const command = backup.dumpCommand(await dumpContext(context.docker, args.instance));
    // The exec output's Buffers go out as they are: nothing else holds them, so no copy is needed.
    for await (const chunk of execOutput(context.docker, args.instance.containerId, command, DUMP_CHUNK_BYTES, signal)) yield { data: chunk };
  },
} satisfies Pick<StreamHandlers, 'backup.dump'>;

export const backupUploads = {
  async 'backup.restore'(context, args, body, signal) {
    const engine = context.engines.get(args.instance.engineId);
    const backup = requireBackup(engine);
    const bytes = chunkBytes(body);
    // The header is checked before the restore command starts, so a wrong file changes nothing.
    const first = await readAtLeast(bytes, HEADER_BYTES);
    if (first.length === 0) throw new InvalidInputError('The dump is empty.', 'body');
    const problem = backup.checkDumpHeader?.(first) ?? null;
    if (problem) throw new InvalidInputError(`This file is not a ${engine.displayName} dump: ${problem}`, 'body');
    const command = backup.restoreCommand(await dumpContext(context.docker, args.instance));
    try {
      return await execWithInput(context.docker, args.instance.containerId, command, prepend(first, bytes), signal);
    } finally {
      // A restore may replace users and passwords: the next command opens a fresh session.
      await context.sessions.evict(args.instance.containerId);
    }
  },
} satisfies Pick<UploadHandlers, 'backup.restore'>;

function requireBackup(engine: Engine): BackupSupport {
  if (!engine.backup) throw new NotSupportedError(engine.id, 'backups');
  return engine.backup;
}

/** What the dump tool needs, with the port the server listens on inside the container. */
async function dumpContext(docker: Docker, instance: InstanceAddress): Promise<DumpContext> {
  return {
    version: instance.version,
    rootUser: instance.rootUser,
    rootPassword: instance.rootPassword,
    defaultDatabase: instance.defaultDatabase,
    internalPort: await internalPort(docker, instance),
  };
}

/** The container port published on the instance's host port. */
async function internalPort(docker: Docker, instance: InstanceAddress): Promise<number> {
  const details = await docker.getContainer(instance.containerId).inspect();
  for (const [key, bindings] of Object.entries(details.HostConfig.PortBindings ?? {})) {
    if ((bindings as { HostPort?: string }[] | null)?.some((binding) => Number(binding.HostPort) === instance.hostPort)) return Number.parseInt(key, 10);
  }
  const exposed = Object.keys(details.Config.ExposedPorts ?? {})[0];
  if (exposed) return Number.parseInt(exposed, 10);
  throw new InvalidInputError(`The container publishes no port ${instance.hostPort}; the instance address is out of date.`, 'instance.hostPort');
}

/** The bytes of each non-empty chunk, as received (no copy). */
async function* chunkBytes(body: AsyncIterable<DumpChunk>): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) if (chunk.data.byteLength > 0) yield chunk.data;
}

/** Takes chunks from `source` until at least `count` bytes (or the end) and returns them joined. */
async function readAtLeast(source: AsyncIterator<Uint8Array>, count: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let total = 0;
  while (total < count) {
    const next = await source.next();
    if (next.done) break;
    parts.push(next.value);
    total += next.value.length;
  }
  return Buffer.concat(parts);
}

async function* prepend(first: Uint8Array, rest: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield first;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}
