import type { CommandExecutor, DiscoveredContainer, DiscoveredResources } from '@krint/agent';
import type { BackupService } from '../backups/service.js';
import { restoreCutShort } from '../backups/service.js';
import { Instance, Node, Operation } from '../db/entities.js';
import { describeError, NotFoundError } from '../errors.js';
import { commitReplacement } from '../upgrade/service.js';
import { addressOf, publishInstanceEvent, type ServiceDeps } from './context.js';
import { forgetInstance, removeLabelled } from './instances.js';
import { repairSentence } from './lifecycle.js';

/** How long reconciliation waits for an engine it started again. */
const READY_CEILING_MS = 120_000;

/** A container or volume labelled by this control plane that no record explains. */
export interface Orphan {
  readonly kind: 'container' | 'volume';
  /** Container id, or the volume's name. */
  readonly id: string;
  readonly name: string;
  readonly instanceId: string;
  /** Null for the control plane's own Docker host. */
  readonly nodeId: string | null;
  readonly engine: string | null;
  readonly version: string | null;
  readonly state: string | null;
}

/** What one pass over a host did, one sentence per instance; also written to the log. */
export interface ReconcileReport {
  readonly nodeId: string | null;
  readonly actions: string[];
  readonly orphans: Orphan[];
}

/**
 * Brings the records of one Docker host and what really runs there back into agreement after a
 * control plane (or node) stopped in the middle of something. It looks at instances left in a
 * transitional status by an operation no process runs any more, and at the containers and
 * volumes labelled by this installation (`instance.discover`):
 *
 * - provisioning: finished when its container exists and its engine answers, otherwise fully
 *   undone (every labelled container and volume removed, the row deleted);
 * - upgrading (upgrade or visibility change): completed when the operation had recorded its
 *   `verified` checkpoint and the new container is there, otherwise undone: the replacement is
 *   removed and the old container started again on its port; a rollback cut short is completed
 *   or undone the same way;
 * - restoring: `failed`, since the data may be partly restored; restoring again repairs it;
 * - deleting: the deletion is finished.
 *
 * Anything labelled for an instance Krint has no record of is an orphan: logged and listed
 * (`orphans`), never removed without a person asking.
 */
export class Reconciler {
  /** One pass per host at a time (a start and a node's reconnect may overlap). */
  readonly #running = new Map<string, Promise<ReconcileReport>>();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly backups: BackupService,
    private readonly log: (message: string) => void,
  ) {}

  /**
   * At start: marks abandoned operations interrupted and abandoned backups failed, then
   * reconciles the control plane's own host. Node hosts are reconciled when their node connects.
   */
  async reconcileAtStart(): Promise<ReconcileReport | null> {
    const interrupted = await this.deps.operations.interruptAbandoned();
    for (const operation of interrupted) this.log(`Reconcile: ${operation.kind} of "${operation.instanceName}" (operation ${operation.id}) was interrupted after ${operation.steps.at(-1)?.phase ?? 'its start'}.`);
    for (const line of await this.backups.recoverInterrupted()) this.log(`Reconcile: ${line}`);
    await this.#noteWaitingForNodes();
    if (!this.deps.executors.isConnected(null)) return null;
    return this.reconcileHost(null);
  }

  /** Instances on nodes left in a transitional status say that they wait for their node. */
  async #noteWaitingForNodes(): Promise<void> {
    const em = this.deps.orm.em.fork();
    const waiting = await em.find(Instance, { nodeId: { $ne: null }, status: { $in: ['provisioning', 'upgrading', 'restoring', 'deleting'] } });
    for (const instance of waiting) {
      const node = (await em.findOne(Node, { id: instance.nodeId! }))?.name ?? instance.nodeId;
      instance.statusDetail = `The control plane stopped while this instance was ${instance.status}; it is reconciled when node ${node} connects.`;
      this.log(`Reconcile: "${instance.name}" (${instance.status}) waits for node ${node} to connect.`);
    }
    await em.flush();
  }

  /** Reconciles one host (null: the control plane's own); call it when a node (re)connects. */
  reconcileHost(nodeId: string | null): Promise<ReconcileReport> {
    const key = nodeId ?? '';
    const running = this.#running.get(key);
    if (running) return running;
    const pass = this.#reconcile(nodeId).finally(() => this.#running.delete(key));
    this.#running.set(key, pass);
    return pass;
  }

  async #reconcile(nodeId: string | null): Promise<ReconcileReport> {
    const executor = this.deps.executors.for(nodeId);
    const where = nodeId === null ? 'this host' : `node ${(await this.deps.orm.em.fork().findOne(Node, { id: nodeId }))?.name ?? nodeId}`;
    const actions: string[] = [];
    const em = this.deps.orm.em.fork();
    const instances = await em.find(Instance, { nodeId, status: { $in: ['provisioning', 'upgrading', 'restoring', 'deleting'] } });
    let resources = await executor.run('instance.discover', { installationId: this.deps.installationId });
    for (const instance of instances) {
      if (this.deps.operations.isRunningHere(instance.id)) continue;
      try {
        const action = await this.#reconcileInstance(executor, resources, instance);
        actions.push(action);
      } catch (error) {
        const message = `${describeError(error)}`;
        await this.#fail(instance, `Reconciliation could not finish the interrupted ${instance.status}: ${message}`);
        actions.push(`"${instance.name}": could not be reconciled (${message}); marked failed.`);
      }
      resources = await executor.run('instance.discover', { installationId: this.deps.installationId });
    }
    const orphans = await this.orphansIn(nodeId, resources);
    if (orphans.length > 0) actions.push(`${orphans.length} orphaned container(s)/volume(s) labelled for instances Krint has no record of: ${orphans.map((orphan) => orphan.name).join(', ')} (see the orphans list).`);
    for (const action of actions) this.log(`Reconcile (${where}): ${action}`);
    if (actions.length === 0) this.log(`Reconcile (${where}): nothing to do.`);
    return { nodeId, actions, orphans };
  }

  async #reconcileInstance(executor: CommandExecutor, resources: DiscoveredResources, instance: Instance): Promise<string> {
    const operation = await this.#lastOperation(instance.id);
    const mine = resources.containers.filter((container) => container.instanceId === instance.id);
    let action: string;
    switch (instance.status) {
      case 'provisioning':
        action = await this.#provision(executor, instance, mine);
        break;
      case 'upgrading':
        action = await this.#replace(executor, instance, mine, operation);
        break;
      case 'restoring':
        await this.#fail(instance, restoreCutShort(operation?.detail ?? 'a backup'));
        action = `"${instance.name}": a restore was cut short; marked failed (restore again to repair it).`;
        break;
      case 'deleting':
        await removeLabelled(this.deps, executor, instance);
        await forgetInstance(this.deps, instance.id);
        publishInstanceEvent(this.deps, instance.id, 'deleted', `${instance.name} was deleted`);
        action = `"${instance.name}": an interrupted delete was finished.`;
        break;
      default:
        action = `"${instance.name}": nothing to do.`;
    }
    if (operation && operation.state === 'interrupted') await this.deps.operations.noteReconciled(operation.id, action);
    return action;
  }

  /** Finishes a provision whose container exists and answers; otherwise removes everything it made. */
  async #provision(executor: CommandExecutor, instance: Instance, mine: DiscoveredContainer[]): Promise<string> {
    const candidate = mine.find((container) => container.containerId === instance.containerId) ?? (mine.length === 1 ? mine[0] : undefined);
    if (candidate && candidate.hostPort !== null) {
      try {
        await executor.run('instance.start', { containerId: candidate.containerId });
        const em = this.deps.orm.em.fork();
        const row = await em.findOneOrFail(Instance, { id: instance.id });
        Object.assign(row, { containerId: candidate.containerId, containerName: candidate.containerName, volumeName: candidate.volumeNames[0] ?? null, hostPort: candidate.hostPort });
        const address = addressOf(this.deps, row);
        await executor.run('instance.waitReady', { instance: address, ceilingMs: READY_CEILING_MS });
        if (row.plugins.length > 0) await executor.run('instance.installPlugins', { instance: address, plugins: row.plugins });
        // Anything else labelled for it (a second attempt cut short) goes.
        for (const other of mine) if (other.containerId !== candidate.containerId) await executor.run('instance.remove', { containerId: other.containerId, removeVolume: true });
        Object.assign(row, { status: 'ready', statusDetail: null });
        await em.flush();
        publishInstanceEvent(this.deps, instance.id, 'status', 'ready');
        return `"${instance.name}": an interrupted provision was finished; ready on port ${candidate.hostPort}.`;
      } catch (error) {
        await removeLabelled(this.deps, executor, instance);
        await forgetInstance(this.deps, instance.id);
        publishInstanceEvent(this.deps, instance.id, 'deleted', `Provisioning was interrupted and undone: ${describeError(error)}`);
        return `"${instance.name}": an interrupted provision could not be finished (${describeError(error)}), so it was undone: containers, volumes and record removed.`;
      }
    }
    await removeLabelled(this.deps, executor, instance);
    await forgetInstance(this.deps, instance.id);
    publishInstanceEvent(this.deps, instance.id, 'deleted', 'Provisioning was interrupted and undone');
    return `"${instance.name}": an interrupted provision had no usable container, so it was undone: containers, volumes and record removed.`;
  }

  /** An upgrade, visibility change, rollback or discard cut short: completed when it was verified, undone otherwise. */
  async #replace(executor: CommandExecutor, instance: Instance, mine: DiscoveredContainer[], operation: Operation | null): Promise<string> {
    const em = this.deps.orm.em.fork();
    const row = await em.findOneOrFail(Instance, { id: instance.id });
    const exists = (id: string | null) => id !== null && mine.some((container) => container.containerId === id);
    const replacements = mine.filter((container) => container.containerId !== row.containerId && container.containerId !== row.previousContainerId);
    const kind = operation?.kind;

    if ((kind === 'upgrade' || kind === 'visibility') && operation!.state === 'interrupted' && operation!.steps.some((step) => step.phase === 'verified')) {
      const verified = replacements.find((container) => container.replaces === row.containerId) ?? replacements[0];
      if (verified && verified.hostPort !== null) {
        await executor.run('instance.start', { containerId: verified.containerId });
        const targetVersion = verified.version || row.version;
        const isPublic = kind === 'visibility' ? !row.isPublic : row.isPublic;
        const created = { containerId: verified.containerId, containerName: verified.containerName, volumeName: verified.volumeNames[0] ?? null, hostPort: verified.hostPort, hostPath: row.hostPath, backupId: null };
        if (row.containerId) await executor.run('instance.stop', { containerId: row.containerId }).catch(() => undefined);
        await commitReplacement(this.backups, executor, row, kind, created, targetVersion, isPublic);
        await executor.run('instance.waitReady', { instance: addressOf(this.deps, row), ceilingMs: READY_CEILING_MS });
        for (const extra of replacements) if (extra.containerId !== verified.containerId) await executor.run('instance.remove', { containerId: extra.containerId, removeVolume: true });
        await em.flush();
        publishInstanceEvent(this.deps, row.id, kind === 'upgrade' ? 'upgraded' : 'visibility', 'Completed after a restart');
        return `"${row.name}": an interrupted ${kind} had been verified, so it was completed on port ${verified.hostPort}.`;
      }
    }

    if (kind === 'rollback' && !exists(row.containerId) && exists(row.previousContainerId)) {
      // The upgraded container was already removed: finish going back.
      Object.assign(row, { version: row.previousVersion, containerId: row.previousContainerId, containerName: row.previousContainerName, volumeName: row.previousVolumeName, previousVersion: null, previousContainerId: null, previousContainerName: null, previousVolumeName: null });
      await executor.run('instance.start', { containerId: row.containerId! });
      await executor.run('instance.waitReady', { instance: addressOf(this.deps, row), ceilingMs: READY_CEILING_MS });
      Object.assign(row, { status: 'ready', statusDetail: null });
      await em.flush();
      return `"${row.name}": an interrupted rollback was completed; back on ${row.version}.`;
    }

    // Undo: remove what the operation made, keep the previous container stopped, run the current one.
    for (const extra of replacements) await executor.run('instance.remove', { containerId: extra.containerId, removeVolume: true });
    for (const volume of (await executor.run('instance.discover', { installationId: this.deps.installationId })).volumes) {
      const known = [row.volumeName, row.previousVolumeName];
      if (volume.instanceId === row.id && !known.includes(volume.name)) await executor.run('volume.remove', { name: volume.name });
    }
    if (row.previousContainerId && !exists(row.previousContainerId)) Object.assign(row, { previousVersion: null, previousContainerId: null, previousContainerName: null, previousVolumeName: null });
    if (row.previousContainerId) await executor.run('instance.stop', { containerId: row.previousContainerId }).catch(() => undefined);
    if (!exists(row.containerId)) {
      await em.flush();
      await this.#fail(row, `The container of this instance is gone after an interrupted ${kind ?? 'upgrade'}.`);
      return `"${row.name}": an interrupted ${kind ?? 'upgrade'} left no container; marked failed.`;
    }
    await executor.run('instance.start', { containerId: row.containerId! });
    await executor.run('instance.waitReady', { instance: addressOf(this.deps, row), ceilingMs: READY_CEILING_MS });
    Object.assign(row, { status: 'ready', statusDetail: null });
    await em.flush();
    publishInstanceEvent(this.deps, row.id, 'status', 'ready');
    return `"${row.name}": an interrupted ${kind ?? 'upgrade'} was undone; ${row.version} runs again on port ${row.hostPort}${replacements.length ? ` and ${replacements.length} half-made container(s) were removed` : ''}.`;
  }

  async #lastOperation(instanceId: string): Promise<Operation | null> {
    return this.deps.orm.em.fork().findOne(Operation, { instanceId, kind: { $in: ['provision', 'upgrade', 'visibility', 'rollback', 'restore', 'delete'] } }, { orderBy: { createdAt: 'desc' } });
  }

  async #fail(instance: Instance, why: string): Promise<void> {
    const em = this.deps.orm.em.fork();
    const row = await em.findOne(Instance, { id: instance.id });
    if (!row) return;
    row.status = 'failed';
    row.statusDetail = `${why} You can ${repairSentence(row)}.`;
    await em.flush();
    publishInstanceEvent(this.deps, row.id, 'status', 'failed');
  }

  /** Containers and volumes on a host labelled by this installation that no instance record explains. */
  async orphansIn(nodeId: string | null, resources?: DiscoveredResources): Promise<Orphan[]> {
    const found = resources ?? (await this.deps.executors.for(nodeId).run('instance.discover', { installationId: this.deps.installationId }));
    const instances = await this.deps.orm.em.fork().find(Instance, {}, { fields: ['id', 'containerId', 'previousContainerId', 'volumeName', 'previousVolumeName', 'status'] });
    const known = new Map(instances.map((instance) => [instance.id, instance]));
    const busy = (instance: Pick<Instance, 'status'>) => instance.status !== 'ready' && instance.status !== 'failed';
    const orphans: Orphan[] = [];
    for (const container of found.containers) {
      const owner = known.get(container.instanceId);
      // Explained by its record, or being made by an operation that owns the instance now.
      if (owner && (busy(owner) || container.containerId === owner.containerId || container.containerId === owner.previousContainerId)) continue;
      orphans.push({ kind: 'container', id: container.containerId, name: container.containerName, instanceId: container.instanceId, nodeId, engine: container.engineId || null, version: container.version || null, state: container.state });
    }
    // The volumes of an orphaned container go with it and are not listed twice.
    const goWithContainers = new Set(found.containers.filter((container) => orphans.some((orphan) => orphan.id === container.containerId)).flatMap((container) => container.volumeNames));
    for (const volume of found.volumes) {
      const owner = known.get(volume.instanceId);
      if (owner && (busy(owner) || volume.name === owner.volumeName || volume.name === owner.previousVolumeName)) continue;
      if (goWithContainers.has(volume.name)) continue;
      orphans.push({ kind: 'volume', id: volume.name, name: volume.name, instanceId: volume.instanceId, nodeId, engine: null, version: null, state: null });
    }
    return orphans;
  }

  /** Orphans on every host that answers now (offline nodes are skipped). */
  async orphans(): Promise<Orphan[]> {
    const hosts: (string | null)[] = [...(this.deps.executors.isConnected(null) ? [null] : []), ...this.deps.executors.connectedNodes()];
    const lists = await Promise.all(hosts.map((host) => this.orphansIn(host).catch(() => [])));
    return lists.flat();
  }

  /** Removes one orphan after checking again that it still is one. */
  async removeOrphan(nodeId: string | null, kind: 'container' | 'volume', id: string): Promise<Orphan> {
    const orphan = (await this.orphansIn(nodeId)).find((candidate) => candidate.kind === kind && candidate.id === id);
    if (!orphan) throw new NotFoundError(`No orphaned ${kind} "${id}" on ${nodeId === null ? 'this host' : 'that node'}; refresh the list.`);
    const executor = this.deps.executors.for(nodeId);
    if (kind === 'container') await executor.run('instance.remove', { containerId: id, removeVolume: true });
    else await executor.run('volume.remove', { name: id });
    this.log(`Removed orphaned ${kind} ${orphan.name} (labelled for unknown instance ${orphan.instanceId}).`);
    return orphan;
  }
}
