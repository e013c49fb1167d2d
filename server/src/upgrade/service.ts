import type { CommandExecutor } from '@krint/agent';
import { InvalidInputError, NotFoundError, NotSupportedError } from '@krint/engine-sdk';
import type { BackupService } from '../backups/service.js';
import { Instance } from '../db/entities.js';
import { ConflictError, describeError } from '../errors.js';
import { assertAllowed, audited, claimFor, handleFor, publishInstanceEvent, releaseInstance, type Actor, type ServiceDeps } from '../services/context.js';
import type { OperationKind, ProgressReporter } from '../services/progress.js';
import { replaceContainer, type ReplacedContainer } from './replace.js';

/**
 * Upgrade in place, rollback to the previous version, and visibility changes (which recreate the
 * container with the new port binding through the same verified pipeline).
 */
export class UpgradeService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly backups: BackupService,
  ) {}

  /** Checks the request and starts the upgrade in the background; progress via `upgradeProgress`. */
  async upgrade(instanceId: string, targetVersion: string, actor: Actor): Promise<Instance> {
    const handle = await handleFor(this.deps, instanceId);
    const { engine, instance } = handle;
    assertAllowed(instance, 'upgrade');
    const { version } = this.deps.engines.getVersion(engine.id, targetVersion);
    if (!engine.upgrade) throw new NotSupportedError(engine.id, 'upgrades');
    if (version.version === instance.version) throw new InvalidInputError(`Instance "${instance.name}" already runs ${engine.displayName} ${instance.version}.`, 'version');
    const reason = engine.upgrade.check(instance.version, version.version);
    if (reason) throw new InvalidInputError(reason, 'version');
    return this.#run(instanceId, 'upgrade', actor, `${instance.version} → ${version.version}`, version.version, instance.isPublic);
  }

  /** Recreates the container bound to 0.0.0.0 (public) or 127.0.0.1 (private), same port and data. */
  async setVisibility(instanceId: string, isPublic: boolean, actor: Actor): Promise<Instance> {
    const handle = await handleFor(this.deps, instanceId);
    assertAllowed(handle.instance, 'visibility');
    if (handle.instance.isPublic === isPublic) return handle.instance;
    return this.#run(instanceId, 'visibility', actor, isPublic ? 'public' : 'private', handle.instance.version, isPublic);
  }

  async #run(instanceId: string, kind: Extract<OperationKind, 'upgrade' | 'visibility'>, actor: Actor, detail: string, version: string, isPublic: boolean): Promise<Instance> {
    await claimFor(this.deps, instanceId, kind);
    const em = this.deps.orm.em.fork();
    const instance = await em.findOneOrFail(Instance, { id: instanceId });
    let handle: Awaited<ReturnType<typeof handleFor>>;
    let run: Awaited<ReturnType<ServiceDeps['operations']['begin']>>;
    try {
      handle = await handleFor(this.deps, instanceId);
      run = await this.deps.operations.begin({ kind, instanceId, instanceName: instance.name, actor, detail });
    } catch (error) {
      await releaseInstance(this.deps, instanceId);
      throw error;
    }
    publishInstanceEvent(this.deps, instanceId, 'status', kind === 'upgrade' ? `Upgrading ${detail}` : `Changing visibility to ${detail}`);
    void audited(this.deps, { actor, action: kind === 'upgrade' ? 'instance.upgrade' : 'instance.visibility', targetType: 'instance', targetId: instanceId, targetName: instance.name, detail }, async () => {
      try {
        const created = await replaceContainer(this.deps, this.backups, { ...handle, version, isPublic, progress: run, actor, signal: run.signal });
        // The commit point: from here on, a restart completes the change instead of undoing it.
        await run.checkpoint('verified', 'The new container holds every row; switching over');
        await this.deps.faults.reach('upgrade.verified', run.signal);
        await commitReplacement(this.backups, handle.executor, instance, kind, created, version, isPublic);
        await em.flush();
        await run.succeed(kind === 'upgrade' ? `Upgraded to ${version}; the previous container is kept for rollback` : `Now ${isPublic ? 'public' : 'private'}`);
        publishInstanceEvent(this.deps, instanceId, kind === 'upgrade' ? 'upgraded' : 'visibility', detail);
      } catch (error) {
        instance.status = 'ready';
        await em.flush();
        await run.fail(`${kind === 'upgrade' ? 'Upgrade' : 'Visibility change'} failed; the instance was rolled back and its data is untouched: ${describeError(error)}`);
        publishInstanceEvent(this.deps, instanceId, 'status', 'ready');
        throw error;
      }
    }).catch(() => undefined);
    instance.status = 'upgrading';
    return instance;
  }

  /**
   * Returns to the container kept by the last upgrade. Data written since the upgrade is not
   * carried back; the upgraded container and its volume are removed.
   */
  async rollback(instanceId: string, actor: Actor): Promise<Instance> {
    const handle = await handleFor(this.deps, instanceId);
    const { instance } = handle;
    if (!instance.previousContainerId || !instance.previousVersion) throw new ConflictError(`Instance "${instance.name}" has no previous version to roll back to.`);
    const before = await claimFor(this.deps, instanceId, 'rollback');
    const detail = `${instance.version} → ${instance.previousVersion}`;
    const run = await this.deps.operations.begin({ kind: 'rollback', instanceId, instanceName: instance.name, actor, detail }).catch(async (error: unknown) => {
      await releaseInstance(this.deps, instanceId, before);
      throw error;
    });
    return audited(this.deps, { actor, action: 'instance.rollback', targetType: 'instance', targetId: instanceId, targetName: instance.name, detail }, async () => {
      try {
        const row = await this.#rollback(instanceId, handle, run);
        await run.succeed(`Back on ${row.version}`);
        return row;
      } catch (error) {
        await releaseInstance(this.deps, instanceId);
        await run.fail(`Rollback failed; the upgraded container is running again: ${describeError(error)}`);
        throw error;
      }
    });
  }

  /**
   * Keeps the upgrade: removes the container and volume kept for `rollbackUpgrade`, freeing their
   * disk. The pre-upgrade backup stays in the backup list.
   */
  async discardPreviousVersion(instanceId: string, actor: Actor): Promise<Instance> {
    const em = this.deps.orm.em.fork();
    const instance = await em.findOne(Instance, { id: instanceId });
    if (!instance) throw new NotFoundError(`No instance with id "${instanceId}".`);
    if (!instance.previousContainerId) throw new ConflictError(`Instance "${instance.name}" keeps no previous version.`);
    const executor = this.deps.executors.for(instance.nodeId);
    await claimFor(this.deps, instanceId, 'discard-previous');
    return audited(this.deps, { actor, action: 'instance.discard-previous', targetType: 'instance', targetId: instanceId, targetName: instance.name, detail: `${instance.previousVersion} removed` }, async () => {
      try {
        await executor.run('instance.remove', { containerId: instance.previousContainerId!, removeVolume: true });
        Object.assign(instance, { previousVersion: null, previousContainerId: null, previousContainerName: null, previousVolumeName: null, status: 'ready' });
        await em.flush();
        return instance;
      } finally {
        await releaseInstance(this.deps, instanceId);
      }
    });
  }

  async #rollback(instanceId: string, handle: Awaited<ReturnType<typeof handleFor>>, progress: ProgressReporter): Promise<Instance> {
    const { instance, executor } = handle;
    {
      const previousAddress = { ...handle.address, containerId: instance.previousContainerId!, version: instance.previousVersion! };
      progress.step('stop', 'Stopping the upgraded container');
      await executor.run('instance.stop', { containerId: handle.address.containerId });
      try {
        progress.step('start', 'Starting the previous container');
        await executor.run('instance.start', { containerId: previousAddress.containerId });
        await executor.run('instance.waitReady', { instance: previousAddress });
      } catch (error) {
        await executor.run('instance.stop', { containerId: previousAddress.containerId }).catch(() => undefined);
        await executor.run('instance.start', { containerId: handle.address.containerId });
        throw error;
      }
      await executor.run('instance.remove', { containerId: handle.address.containerId, removeVolume: true }).catch(() => undefined);
      const em = this.deps.orm.em.fork();
      const row = await em.findOneOrFail(Instance, { id: instanceId });
      Object.assign(row, {
        version: row.previousVersion,
        containerId: row.previousContainerId,
        containerName: row.previousContainerName,
        volumeName: row.previousVolumeName,
        previousVersion: null,
        previousContainerId: null,
        previousContainerName: null,
        previousVolumeName: null,
        status: 'ready',
      });
      await em.flush();
      publishInstanceEvent(this.deps, instanceId, 'upgraded', `Rolled back to ${row.version}`);
      return row;
    }
  }
}

/**
 * Switches the row over to a verified replacement: after an upgrade the old container and volume
 * stay (stopped) for `rollbackUpgrade`, after a visibility change they are removed with the safety
 * dump. Used by the upgrade itself and by reconciliation when a restart finds it verified.
 */
export async function commitReplacement(
  backups: BackupService,
  executor: CommandExecutor,
  instance: Instance,
  kind: 'upgrade' | 'visibility',
  created: Omit<ReplacedContainer, 'backupId'> & { readonly backupId: string | null },
  version: string,
  isPublic: boolean,
): Promise<void> {
  const old = { containerId: instance.containerId, containerName: instance.containerName, volumeName: instance.volumeName };
  if (kind === 'upgrade') {
    if (instance.previousContainerId) await executor.run('instance.remove', { containerId: instance.previousContainerId, removeVolume: true }).catch(() => undefined);
    Object.assign(instance, { previousVersion: instance.version, previousContainerId: old.containerId, previousContainerName: old.containerName, previousVolumeName: old.volumeName, version });
  } else {
    if (old.containerId) await executor.run('instance.remove', { containerId: old.containerId, removeVolume: true }).catch(() => undefined);
    // The data now lives in the new container and was verified; the safety dump is not needed.
    if (created.backupId) await backups.discard(created.backupId).catch(() => undefined);
    instance.isPublic = isPublic;
  }
  Object.assign(instance, { containerId: created.containerId, containerName: created.containerName, volumeName: created.volumeName, hostPort: created.hostPort, hostPath: created.hostPath, status: 'ready', statusDetail: null });
}
