import { randomUUID } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, openSync, statSync } from 'node:fs';
import { once } from 'node:events';
import type { DumpContext, Engine } from '@krint/engine-sdk';
import type { Agent } from '../agent.js';
import { DUMP_CHUNK_BYTES, type DumpChunk, type InstanceAddress } from '../protocol/commands.js';
import { benchPassword, docker, log, memoryLine, peakRssMb, sampleMemory } from './support.js';

/** Port PostgreSQL listens on inside the official images, where the dump tools connect. */
const POSTGRES_INTERNAL_PORT = 5432;
/** Bytes a row of the filler table (an integer and 64 hex characters) takes on disk, page overhead included. */
const TABLE_BYTES_PER_ROW = 110;
/** Longest a load, dump or restore may take before the benchmark gives up. */
const STEP_TIMEOUT_MS = 20 * 60_000;

export interface Transfer {
  readonly bytes: number;
  readonly seconds: number;
}

export interface DumpRestoreResult {
  readonly databaseBytes: number;
  readonly rows: number;
  /** Size of one dump script. */
  readonly scriptBytes: number;
  /** Both Krint dumps, and both baseline dumps, added up. */
  readonly krintDump: Transfer;
  readonly baselineDump: Transfer;
  readonly krintRestore: Transfer;
  readonly baselineRestore: Transfer;
  /** Peak RSS of this process before the dumps and restores started, and after, in MiB. */
  readonly peakBeforeMb: number;
  readonly peakAfterMb: number;
  /** Where the memory was while Krint dumped and restored (sampled maxima). */
  readonly dumpMemory: string;
  readonly restoreMemory: string;
}

/** One PostgreSQL 15 instance created through the agent; removed by {@link dispose}. */
interface BenchInstance {
  readonly address: InstanceAddress;
  readonly containerName: string;
}

/**
 * Dump and restore of a PostgreSQL database of about `sizeMb` MiB on disk through Krint against the engine's
 * own commands run directly with `docker exec`, in one run:
 * - dump: Krint's `backup.dump` stream (binary chunks handed over by the executor) written to a file, against
 *   `docker exec … pg_dumpall …` with its stdout going straight to a file;
 * - restore: Krint's `backup.restore` upload read from that file into a fresh instance, against
 *   `docker exec -i … psql` reading the baseline file into another fresh instance.
 * Both sides run exactly the commands the engine declares (`pg_dumpall --quote-all-identifiers`,
 * and `psql` behind the restore filter), so the difference is Krint's path alone. The restored
 * row counts are checked on both sides.
 */
export async function measureDumpRestore(agent: Agent, sizeMb: number, workDir: string): Promise<DumpRestoreResult> {
  const engine = agent.context.engines.get('postgres');
  const backup = engine.backup;
  if (!backup) throw new Error('The PostgreSQL engine declares no backups.');
  const made: BenchInstance[] = [];
  try {
    const source = await createInstance(agent, engine, made);
    const rows = Math.max(1, Math.round((sizeMb * 1024 * 1024) / TABLE_BYTES_PER_ROW));
    log(`loading ${rows.toLocaleString('en')} rows (a database of about ${sizeMb} MB)`);
    await agent.executor.run('db.query', {
      instance: source.address,
      database: 'bench',
      text: `CREATE TABLE filler AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS payload FROM generate_series(1, ${rows}) AS g`,
      rowLimit: 1,
      timeoutMs: STEP_TIMEOUT_MS,
    });
    // The first scan after a bulk load sets hint bits and rewrites every page; done here, so neither
    // side's first dump pays for it.
    await agent.executor.run('db.query', { instance: source.address, database: 'bench', text: 'VACUUM (FREEZE, ANALYZE) filler', rowLimit: 1, timeoutMs: STEP_TIMEOUT_MS });
    const databaseBytes = Number(await scalar(agent, source, `SELECT pg_database_size('bench')`));
    const peakBeforeMb = peakRssMb();

    const krintFile = `${workDir}/krint-dump.sql`;
    const baselineFile = `${workDir}/baseline-dump.sql`;
    const dumpCommand = backup.dumpCommand(dumpContext(source.address));
    // Krint, baseline, baseline, Krint: a drift in machine load or cache state hits both alike.
    const krintDumps: Transfer[] = [];
    const baselineDumps: Transfer[] = [];
    let dumpMemory = '';
    for (const which of ['krint', 'baseline', 'baseline', 'krint'] as const) {
      if (which === 'krint') {
        log('dump through Krint (backup.dump → file)');
        const dumped = await sampleMemory(() => timed(() => dumpThroughKrint(agent, source.address, krintFile)));
        krintDumps.push(dumped.result);
        dumpMemory = dumped.maxima;
        log(`  ${describe(dumped.result)}; ${memoryLine()}; ${dumped.maxima}`);
      } else {
        log('dump with docker exec pg_dumpall > file');
        const dumped = await timed(async () => {
          await dockerExecWithFiles(source.containerName, dumpCommand.argv, dumpCommand.env ?? {}, { stdoutFile: baselineFile });
          return statSync(baselineFile).size;
        });
        baselineDumps.push(dumped);
        log(`  ${describe(dumped)}`);
      }
    }
    const krintDump = sum(krintDumps);
    const baselineDump = sum(baselineDumps);
    await dispose(agent, made.splice(0));

    // Each restore goes into a fresh instance, removed once its rows are checked; Krint, baseline,
    // baseline, Krint again.
    const krintRestores: Transfer[] = [];
    const baselineRestores: Transfer[] = [];
    let restoreMemory = '';
    for (const which of ['krint', 'baseline', 'baseline', 'krint'] as const) {
      const target = await createInstance(agent, engine, made);
      if (which === 'krint') {
        log('restore through Krint (file → backup.restore) into a fresh instance');
        const restored = await sampleMemory(() =>
          timed(async () => {
            const result = await agent.executor.upload('backup.restore', { instance: target.address }, fileChunks(krintFile));
            return result.bytes;
          }),
        );
        krintRestores.push(restored.result);
        restoreMemory = restored.maxima;
        log(`  ${describe(restored.result)}; ${memoryLine()}; ${restored.maxima}`);
      } else {
        log('restore with docker exec -i … psql < file into a fresh instance');
        const restoreCommand = backup.restoreCommand(dumpContext(target.address));
        const restored = await timed(async () => {
          await dockerExecWithFiles(target.containerName, restoreCommand.argv, restoreCommand.env ?? {}, { stdinFile: baselineFile });
          return statSync(baselineFile).size;
        });
        baselineRestores.push(restored);
        log(`  ${describe(restored)}`);
      }
      const count = Number(await scalar(agent, target, 'SELECT count(*) FROM filler'));
      if (count !== rows) throw new Error(`The ${which} restore holds ${count} rows instead of ${rows}.`);
      await dispose(agent, made.splice(0));
    }
    const krintRestore = sum(krintRestores);
    const baselineRestore = sum(baselineRestores);
    return { databaseBytes, rows, scriptBytes: statSync(baselineFile).size, krintDump, baselineDump, krintRestore, baselineRestore, peakBeforeMb, peakAfterMb: peakRssMb(), dumpMemory, restoreMemory };
  } finally {
    await dispose(agent, made);
  }
}

async function createInstance(agent: Agent, engine: Engine, made: BenchInstance[]): Promise<BenchInstance> {
  const rootPassword = benchPassword();
  const created = await agent.executor.run('instance.create', {
    engineId: engine.id,
    version: '15',
    instanceId: randomUUID(),
    slug: 'bench-dump',
    rootPassword,
    defaultDatabase: 'bench',
    plugins: [],
    isPublic: false,
    storage: 'volume',
  });
  const address: InstanceAddress = { engineId: engine.id, version: '15', containerId: created.containerId, hostPort: created.hostPort, rootUser: engine.rootUser, rootPassword, defaultDatabase: 'bench' };
  const instance = { address, containerName: created.containerName };
  made.push(instance);
  await agent.executor.run('instance.waitReady', { instance: address });
  return instance;
}

async function dispose(agent: Agent, instances: BenchInstance[]): Promise<void> {
  for (const instance of instances) {
    await agent.executor.run('instance.remove', { containerId: instance.address.containerId, removeVolume: true }).catch((error) => log(`cleanup: ${String(error)}`));
  }
}

async function scalar(agent: Agent, instance: BenchInstance, text: string): Promise<unknown> {
  const result = await agent.executor.run('db.query', { instance: instance.address, database: 'bench', text, rowLimit: 1, timeoutMs: 60_000 });
  const row = result.rows[0];
  return row ? Object.values(row)[0] : undefined;
}

function dumpContext(address: InstanceAddress): DumpContext {
  return { version: address.version, rootUser: address.rootUser, rootPassword: address.rootPassword, defaultDatabase: address.defaultDatabase, internalPort: POSTGRES_INTERNAL_PORT };
}

/**
 * The dump stream written to `file`, one chunk in flight: the next chunk is pulled only
 * once the file has taken the previous one, as a download route does.
 */
async function dumpThroughKrint(agent: Agent, address: InstanceAddress, file: string): Promise<number> {
  const out = createWriteStream(file);
  let bytes = 0;
  try {
    for await (const { data } of agent.executor.stream('backup.dump', { instance: address })) {
      bytes += data.byteLength;
      if (!out.write(data)) await once(out, 'drain');
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
  return bytes;
}

/** A file as the chunk stream an upload takes, read one chunk at a time. */
async function* fileChunks(file: string): AsyncGenerator<DumpChunk> {
  for await (const chunk of createReadStream(file, { highWaterMark: DUMP_CHUNK_BYTES })) yield { data: chunk as Buffer };
}

/** `docker exec` of `argv` with stdin from and/or stdout to files, as a shell redirection would do. */
async function dockerExecWithFiles(container: string, argv: readonly string[], env: Readonly<Record<string, string>>, files: { stdinFile?: string; stdoutFile?: string }): Promise<void> {
  const stdin = files.stdinFile ? openSync(files.stdinFile, 'r') : undefined;
  const stdout = files.stdoutFile ? openSync(files.stdoutFile, 'w') : undefined;
  try {
    const envArgs = Object.keys(env).flatMap((key) => ['-e', key]);
    await docker(['exec', ...(stdin === undefined ? [] : ['-i']), ...envArgs, container, ...argv], {
      env,
      stdin: stdin ?? 'ignore',
      stdout: stdout ?? 'ignore',
      timeoutMs: STEP_TIMEOUT_MS,
    });
  } finally {
    if (stdin !== undefined) closeSync(stdin);
    if (stdout !== undefined) closeSync(stdout);
  }
}

function sum(transfers: readonly Transfer[]): Transfer {
  return transfers.reduce((total, transfer) => ({ bytes: total.bytes + transfer.bytes, seconds: total.seconds + transfer.seconds }), { bytes: 0, seconds: 0 });
}

async function timed(work: () => Promise<number>): Promise<Transfer> {
  const started = performance.now();
  const bytes = await work();
  return { bytes, seconds: (performance.now() - started) / 1000 };
}

function describe(transfer: Transfer): string {
  return `${(transfer.bytes / 2 ** 20).toFixed(0)} MB in ${transfer.seconds.toFixed(1)} s = ${(transfer.bytes / 2 ** 20 / transfer.seconds).toFixed(1)} MB/s`;
}
