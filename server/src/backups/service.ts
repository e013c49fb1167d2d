import type { Engine } from '@krint/engine-sdk';
import { InvalidInputError, NotFoundError, NotSupportedError } from '@krint/engine-sdk';
import { Backup, type BackupKind } from '../db/entities.js';
import { ConflictError, describeError } from '../errors.js';
import { audited, handleFor, loadInstance, publishInstanceEvent, type Actor, type InstanceHandle, type ServiceDeps } from '../services/context.js';
import { BackupFiles, chunkBytes, InvalidDumpError } from './files.js';

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
   * Dumps the instance into the backup directory. The row is `running` while it streams, then
   * `succeeded` with the size, or `failed` with the reason and no file.
   */
  async backupNow(instanceId: string, actor: Actor, kind: BackupKind = 'manual', scheduleId: string | null = null): Promise<Backup> {
    const handle = await handleFor(this.deps, instanceId);
    const support = backupSupport(handle.engine);
    return audited(this.deps, { actor, action: 'backup.create', targetType: 'instance', targetId: instanceId, targetName: handle.instance.name, detail: kind }, () =>
      this.dump(handle, support.fileExtension, kind, scheduleId),
    );
  }

  /** The dump itself, without an activity entry (upgrade and schedules record their own). */
  async dump(handle: InstanceHandle, extension: string, kind: BackupKind, scheduleId: string | null): Promise<Backup> {
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
      const written = await this.files.write(backup.file, chunkBytes(handle.executor.stream('backup.dump', { instance: handle.address })));
      Object.assign(backup, { status: 'succeeded', sizeBytes: written.sizeBytes, completedAt: new Date() });
      await em.flush();
      publishInstanceEvent(this.deps, handle.instance.id, 'backup', `Backup ${backup.file} finished`);
      return backup;
    } catch (error) {
      Object.assign(backup, { status: 'failed', error: describeError(error), completedAt: new Date() });
      await em.flush();
      throw error;
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
        written = await this.files.write(file, body, (head) => support.checkDumpHeader?.(new Uint8Array(head)) ?? null);
      } catch (error) {
        if (error instanceof InvalidDumpError) throw new InvalidInputError(`The uploaded file is not a ${engine.displayName} dump: ${error.message}`, 'file');
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

  /** Restores a backup into its own instance, or another instance of the same engine. */
  async restore(backupId: string, targetInstanceId: string | null | undefined, actor: Actor): Promise<{ bytes: number }> {
    const backup = await this.get(backupId);
    if (backup.status !== 'succeeded') throw new ConflictError(`Backup ${backup.file} is ${backup.status} and cannot be restored.`);
    const handle = await handleFor(this.deps, targetInstanceId ?? backup.instanceId);
    if (handle.instance.engine !== backup.engine) {
      throw new InvalidInputError(`Backup ${backup.file} is a ${backup.engine} dump; instance "${handle.instance.name}" runs ${handle.instance.engine}.`, 'targetInstanceId');
    }
    if (handle.instance.status !== 'ready') throw new ConflictError(`Instance "${handle.instance.name}" is ${handle.instance.status}; try again when it is ready.`);
    backupSupport(handle.engine);
    if ((await this.files.size(backup.file)) === null) throw new NotFoundError(`The file of backup ${backup.file} is missing from the backup directory.`);
    return audited(this.deps, { actor, action: 'backup.restore', targetType: 'instance', targetId: handle.instance.id, targetName: handle.instance.name, detail: backup.file }, async () => {
      const result = await handle.executor.upload('backup.restore', { instance: handle.address }, this.files.chunks(backup.file));
      publishInstanceEvent(this.deps, handle.instance.id, 'restored', `Restored ${backup.file}`);
      return result;
    });
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

  /**
   * Marks backups left `running` by a crash as failed and removes their partial files, and those
   * of uploads cut short by the crash (they have no row).
   */
  async recoverInterrupted(): Promise<void> {
    await this.files.sweepPartials();
    const em = this.deps.orm.em.fork();
    for (const backup of await em.find(Backup, { status: 'running' })) {
      Object.assign(backup, { status: 'failed', error: 'The control plane stopped while this backup was running.', completedAt: new Date() });
      await this.files.removeFile(backup.file);
    }
    await em.flush();
  }
}

export function backupSupport(engine: Engine) {
  if (!engine.backup) throw new NotSupportedError(engine.id, 'backups');
  return engine.backup;
}

