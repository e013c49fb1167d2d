import type { Engine } from '@krint/engine-sdk';
import { InvalidInputError, NotFoundError, NotSupportedError } from '@krint/engine-sdk';
import { Backup, type BackupKind, type Operation } from '../db/entities.js';
import { ConflictError, describeError, UnavailableError } from '../errors.js';
import { assertAllowed, audited, claimFor, handleFor, loadInstance, publishInstanceEvent, releaseInstance, type Actor, type InstanceHandle, type ServiceDeps } from '../services/context.js';
import { reachAfterFirst } from '../services/fault-points.js';
import type { OperationRun } from '../services/progress.js';
import { BackupFiles, chunkBytes, InvalidDumpError, UnsafeDumpError } from './files.js';

/** Back up now, upload, list, restore and delete dumps. */
export class BackupService {
  constructor(
    private readonly deps: ServiceDeps,
    readonly files: BackupFiles,
  ) {}

  /** The largest dump an upload may carry (`Backups__MaxUploadBytes`). */
  get maxUploadBytes(): number {
    return this.deps.config.backups.maxUploadBytes;
  }

  async list(instanceId?: string | null): Promise<Backup[]> {
    return this.deps.orm.em.fork().find(Backup, instanceId ? { instanceId } : {}, { orderBy: { createdAt: 'desc' } });
  }

  async get(id: string): Promise<Backup> {
    const backup = await this.deps.orm.em.fork().findOne(Backup, { id });
    if (!backup) throw new NotFoundError(`No backup with id "${id}".`);
    return backup;
  }

  /**
   * Starts a dump of the instance as a `backup` operation and returns the operation at once; the
   * backup row is `running` while it streams, then `succeeded` with the size (its id in the
   * operation's result), or `failed` with the reason and no file. Cancelling removes the file.
   */
  async startBackup(instanceId: string, actor: Actor, kind: BackupKind = 'manual', scheduleId: string | null = null): Promise<Operation> {
    const handle = await handleFor(this.deps, instanceId);
    assertAllowed(handle.instance, 'backup');
    const support = backupSupport(handle.engine);
    const run = await this.deps.operations.begin({ kind: 'backup', instanceId, instanceName: handle.instance.name, actor, detail: kind });
    void audited(this.deps, { actor, action: 'backup.create', targetType: 'instance', targetId: instanceId, targetName: handle.instance.name, detail: kind }, async () => {
      try {
        run.step('dump', `Dumping ${handle.instance.name}`);
        const backup = await this.dump(handle, support.fileExtension, kind, scheduleId, run.signal);
        await run.succeed(`Backup ${backup.file} finished (${backup.sizeBytes} bytes)`, { backupId: backup.id, bytes: backup.sizeBytes });
        return backup;
      } catch (error) {
        await run.fail(error);
        throw error;
      }
    }).catch(() => undefined);
    return this.deps.operations.get(run.id);
  }

  /** `startBackup`, waiting for the end: the finished backup, or the error that ended it. */
  async backupNow(instanceId: string, actor: Actor, kind: BackupKind = 'manual', scheduleId: string | null = null): Promise<Backup> {
    const operation = await this.deps.operations.settled((await this.startBackup(instanceId, actor, kind, scheduleId)).id);
    const backupId = operation.result?.backupId;
    if (operation.state !== 'succeeded' || typeof backupId !== 'string') throw operationError(operation);
    return this.get(backupId);
  }

  /** The dump itself, without an activity entry or operation (upgrade and schedules record their own). */
  async dump(handle: InstanceHandle, extension: string, kind: BackupKind, scheduleId: string | null, signal?: AbortSignal): Promise<Backup> {
    const em = this.deps.orm.em.fork();
    const backup = em.create(Backup, {
      instanceId: handle.instance.id,
      instanceName: handle.instance.name,
      engine: handle.instance.engine,
      engineVersion: handle.instance.version,
      file: this.files.newFileName(handle.instance.slug, extension),
      kind,
      scheduleId,
      status: 'running',
    });
    await em.persistAndFlush(backup);
    try {
      const chunks = chunkBytes(handle.executor.stream('backup.dump', { instance: handle.address }, signal ? { signal } : {}));
      const written = await this.files.write(backup.file, reachAfterFirst(this.deps.faults, 'backup.dumping', chunks, signal));
      signal?.throwIfAborted();
      Object.assign(backup, { status: 'succeeded', sizeBytes: written.sizeBytes, completedAt: new Date() });
      await em.flush();
      publishInstanceEvent(this.deps, handle.instance.id, 'backup', `Backup ${backup.file} finished`);
      return backup;
    } catch (error) {
      const reason = signal?.aborted ? describeError(signal.reason) : describeError(error);
      Object.assign(backup, { status: 'failed', error: reason, completedAt: new Date() });
      await this.files.removeFile(backup.file).catch(() => undefined);
      await em.flush();
      throw signal?.aborted ? new ConflictError(`The backup was stopped: ${reason}`) : error;
    }
  }

  /**
   * Stores an uploaded dump for an instance, streaming it to disk. The first bytes must look like
   * a dump of the instance's engine, otherwise nothing is kept.
   */
  async upload(instanceId: string, body: AsyncIterable<Uint8Array>, originalName: string, actor: Actor): Promise<Backup> {
    const instance = await loadInstance(this.deps, instanceId);
    const engine = this.deps.engines.get(instance.engine);
    const support = backupSupport(engine);
    return audited(this.deps, { actor, action: 'backup.import', targetType: 'instance', targetId: instanceId, targetName: instance.name, detail: originalName.slice(0, 200) }, async () => {
      const file = this.files.newFileName(`${instance.slug}-upload`, support.fileExtension);
      let written;
      try {
        written = await this.files.write(file, body, (head) => support.checkDumpHeader?.(new Uint8Array(head)) ?? null, support.createDumpScanner?.());
      } catch (error) {
        if (error instanceof InvalidDumpError) throw new InvalidInputError(`The uploaded file is not a ${engine.displayName} dump: ${error.message}`, 'file');
        if (error instanceof UnsafeDumpError) throw new InvalidInputError(`The uploaded dump would run more than SQL on restore, so it is not kept: ${error.message}`, 'file');
        throw error;
      }
      const em = this.deps.orm.em.fork();
      const backup = em.create(Backup, {
        instanceId,
        instanceName: instance.name,
        engine: instance.engine,
        engineVersion: instance.version,
        file,
        sizeBytes: written.sizeBytes,
        status: 'succeeded',
        kind: 'upload',
        completedAt: new Date(),
      });
      await em.persistAndFlush(backup);
      return backup;
    });
  }

  /**
   * Starts restoring a backup into its own instance, or another instance of the same engine, as a
   * `restore` operation (the instance is `restoring` meanwhile) and returns the operation at once.
   * A restore cut short (cancelled, or by a crash) leaves the instance `failed`: its data may be
   * partly restored, and restoring again repairs it.
   */
  async startRestore(backupId: string, targetInstanceId: string | null | undefined, actor: Actor): Promise<Operation> {
    const backup = await this.get(backupId);
    if (backup.status !== 'succeeded') throw new ConflictError(`Backup ${backup.file} is ${backup.status} and cannot be restored.`);
    const handle = await handleFor(this.deps, targetInstanceId ?? backup.instanceId);
    const { instance } = handle;
    if (instance.engine !== backup.engine) {
      throw new InvalidInputError(`Backup ${backup.file} is a ${backup.engine} dump; instance "${instance.name}" runs ${instance.engine}.`, 'targetInstanceId');
    }
    const support = backupSupport(handle.engine);
    if ((await this.files.size(backup.file)) === null) throw new NotFoundError(`The file of backup ${backup.file} is missing from the backup directory.`);
    // The whole file is read once before anything starts: it may have been uploaded before this
    // check existed, or changed on disk since, and a refusal must leave the instance as it was.
    const scanner = support.createDumpScanner?.();
    const unsafe = scanner ? await this.files.scan(backup.file, scanner) : null;
    if (unsafe) {
      // Recorded like any failed restore: a dump that tries this is worth an admin's look.
      const refusal = new InvalidInputError(`Backup ${backup.file} would run more than SQL on restore, so it is not restored: ${unsafe}`, 'backupId');
      return audited(this.deps, { actor, action: 'backup.restore', targetType: 'instance', targetId: instance.id, targetName: instance.name, detail: backup.file }, () => Promise.reject(refusal));
    }
    const before = await claimFor(this.deps, instance.id, 'restore');
    let run: OperationRun;
    try {
      run = await this.deps.operations.begin({ kind: 'restore', instanceId: instance.id, instanceName: instance.name, actor, detail: backup.file });
    } catch (error) {
      await releaseInstance(this.deps, instance.id, before, instance.statusDetail);
      throw error;
    }
    void audited(this.deps, { actor, action: 'backup.restore', targetType: 'instance', targetId: instance.id, targetName: instance.name, detail: backup.file }, async () => {
      try {
        run.step('restore', `Restoring ${backup.file} (${backup.sizeBytes} bytes)`);
        const chunks = reachAfterFirst(this.deps.faults, 'restore.restoring', this.files.chunks(backup.file), run.signal);
        const result = await handle.executor.upload('backup.restore', { instance: handle.address }, chunks, { signal: run.signal });
        run.signal.throwIfAborted();
        await releaseInstance(this.deps, instance.id, 'ready');
        await run.succeed(`Restored ${backup.file} (${result.bytes} bytes)`, { backupId, bytes: result.bytes });
        publishInstanceEvent(this.deps, instance.id, 'restored', `Restored ${backup.file}`);
        return result;
      } catch (error) {
        await releaseInstance(this.deps, instance.id, 'failed', restoreCutShort(backup.file));
        await run.fail(error);
        publishInstanceEvent(this.deps, instance.id, 'status', 'failed');
        throw error;
      }
    }).catch(() => undefined);
    return this.deps.operations.get(run.id);
  }

  /** `startRestore`, waiting for the end. */
  async restore(backupId: string, targetInstanceId: string | null | undefined, actor: Actor): Promise<{ bytes: number }> {
    const operation = await this.deps.operations.settled((await this.startRestore(backupId, targetInstanceId, actor)).id);
    if (operation.state !== 'succeeded') throw operationError(operation);
    return { bytes: Number(operation.result?.bytes ?? 0) };
  }

  async delete(backupId: string, actor: Actor): Promise<{ id: string }> {
    const backup = await this.get(backupId);
    if (backup.status === 'running') throw new ConflictError(`Backup ${backup.file} is still running.`);
    return audited(this.deps, { actor, action: 'backup.delete', targetType: 'backup', targetId: backupId, targetName: backup.file }, async () => {
      await this.files.removeFile(backup.file);
      await this.deps.orm.em.fork().nativeDelete(Backup, { id: backupId });
      return { id: backupId };
    });
  }

  /** Removes a backup the control plane made for itself (a visibility change's safety dump), unrecorded. */
  async discard(backupId: string): Promise<void> {
    const backup = await this.get(backupId);
    await this.files.removeFile(backup.file);
    await this.deps.orm.em.fork().nativeDelete(Backup, { id: backupId });
  }

  /**
   * Marks backups left `running` by a crash as failed and removes their partial files, and those
   * of uploads cut short by the crash (they have no row).
   */
  /**
   * At start: backups still `running` were cut short by a stop and are recorded failed, and every
   * partial file is removed. Returns what was done, in words, one line each, for the log.
   */
  async recoverInterrupted(): Promise<string[]> {
    const partials = await this.files.sweepPartials();
    const em = this.deps.orm.em.fork();
    const recovered: string[] = [];
    for (const backup of await em.find(Backup, { status: 'running' })) {
      Object.assign(backup, { status: 'failed', error: 'The control plane stopped while this backup was running.', completedAt: new Date() });
      await this.files.removeFile(backup.file);
      recovered.push(`backup ${backup.id} of instance ${backup.instanceId} (started ${backup.createdAt.toISOString()}) was cut short by the stop; recorded as failed, its partial file removed.`);
    }
    await em.flush();
    if (partials.length > 0) recovered.push(`${partials.length} partial backup file(s) removed: ${partials.join(', ')}.`);
    return recovered;
  }
}

export function backupSupport(engine: Engine) {
  if (!engine.backup) throw new NotSupportedError(engine.id, 'backups');
  return engine.backup;
}


/** The statusDetail of an instance whose restore did not finish. */
export function restoreCutShort(file: string): string {
  return `A restore of ${file} did not finish; the data may be partly restored. Restore a backup again, or delete the instance.`;
}

/** The error a waiting caller gets for an operation that did not succeed. */
function operationError(operation: Operation): Error {
  const message = operation.error ?? `The ${operation.kind} ended ${operation.state}.`;
  return operation.state === 'cancelled' ? new ConflictError(message) : new UnavailableError(message);
}
