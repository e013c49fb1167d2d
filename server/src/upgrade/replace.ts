import type { CommandExecutor, InstanceAddress, InventoryEntry } from '@krint/agent';
import type { Engine } from '@krint/engine-sdk';
import { Instance } from '../db/entities.js';
import { describeError, UnavailableError } from '../errors.js';
import type { BackupService } from '../backups/service.js';
import { backupSupport } from '../backups/service.js';
import { ownershipLabels, type ServiceDeps } from '../services/context.js';
import { reachAfterFirst } from '../services/fault-points.js';
import type { ProgressReporter } from '../services/progress.js';
import { compareInventories } from './verify.js';

export interface ReplaceRequest {
  readonly instance: Instance;
  readonly engine: Engine;
  readonly executor: CommandExecutor;
  readonly address: InstanceAddress;
  /** The version the new container runs (the same one for a visibility change). */
  readonly version: string;
  readonly isPublic: boolean;
  readonly progress: ProgressReporter;
  readonly actor: string;
  /** Aborts the pipeline (its undo still runs). */
  readonly signal?: AbortSignal;
}

export interface ReplacedContainer {
  readonly containerId: string;
  readonly containerName: string;
  readonly volumeName: string | null;
  readonly hostPort: number;
  /** The safety backup taken before the old container was stopped. */
  readonly backupId: string;
  /** The new container's host folder (host storage only). */
  readonly hostPath: string | null;
}

/**
 * Moves an instance's data into a new container on the same host port: pre-upgrade backup,
 * inventory, stop the old container (its volume is kept), create the new one, wait for it,
 * restore, compare the inventory, and hand back the new container. On any failure the new
 * container and its volume are removed and the old container is started again, untouched.
 * The caller swaps the row and decides what happens to the old container.
 */
export async function replaceContainer(deps: ServiceDeps, backups: BackupService, request: ReplaceRequest): Promise<ReplacedContainer> {
  const { instance, engine, executor, address, progress } = request;
  const { faults } = deps;
  const support = backupSupport(engine);
  const options = request.signal ? { signal: request.signal } : {};

  progress.step('backup', 'Taking a pre-upgrade backup');
  const backup = await backups.dump({ instance, engine, executor, address }, support.fileExtension, 'pre-upgrade', null);
  progress.step('inventory', 'Counting rows in every table');
  const before: InventoryEntry[] = await executor.run('db.inventory', { instance: address }, options);

  progress.step('stop', `Stopping the current container (its data is kept)`);
  await executor.run('instance.stop', { containerId: address.containerId });
  let created: Omit<ReplacedContainer, 'backupId' | 'hostPath'> | null = null;
  // Host storage: the new container gets its own folder; the old one stays with the old container.
  const hostPath = instance.hostPath ? `${instance.hostPath.replace(/-r[0-9a-z]+$/, '')}-r${Date.now().toString(36)}` : null;
  try {
    await faults.reach('upgrade.stopped', request.signal);
    progress.step('create', `Creating a ${engine.displayName} ${request.version} container on port ${address.hostPort}`);
    created = await executor.run('instance.create', {
      engineId: engine.id,
      version: request.version,
      instanceId: instance.id,
      slug: instance.slug,
      rootPassword: address.rootPassword,
      defaultDatabase: instance.defaultDatabase,
      plugins: instance.plugins,
      isPublic: request.isPublic,
      storage: instance.storage,
      ...(hostPath ? { hostPath } : {}),
      hostPort: address.hostPort,
      labels: ownershipLabels(deps, 'replacement', address.containerId),
    }, options);
    await faults.reach('upgrade.created', request.signal);
    const newAddress: InstanceAddress = { ...address, version: request.version, containerId: created.containerId, hostPort: created.hostPort };
    progress.step('ready', 'Waiting for the new container to accept connections');
    await executor.run('instance.waitReady', { instance: newAddress }, options);
    if (instance.plugins.length > 0) await executor.run('instance.installPlugins', { instance: newAddress, plugins: instance.plugins }, options);
    progress.step('restore', `Restoring ${backup.file} (${backup.sizeBytes} bytes)`);
    await executor.upload('backup.restore', { instance: newAddress }, reachAfterFirst(faults, 'upgrade.restoring', backups.files.chunks(backup.file), request.signal), options);
    progress.step('verify', 'Comparing row counts of every table');
    await faults.reach('upgrade.verifying', request.signal);
    const after = await executor.run('db.inventory', { instance: newAddress }, options);
    const problems = compareInventories(before, after);
    if (problems.length > 0) throw new UnavailableError(`Verification failed: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` and ${problems.length - 5} more` : ''}.`);
    return { ...created, backupId: backup.id, hostPath };
  } catch (error) {
    progress.step('rollback', `Rolling back: ${describeError(error)}`);
    if (created) await executor.run('instance.remove', { containerId: created.containerId, removeVolume: true }).catch(() => undefined);
    await executor.run('instance.start', { containerId: address.containerId });
    await executor.run('instance.waitReady', { instance: address });
    throw error;
  }
}
