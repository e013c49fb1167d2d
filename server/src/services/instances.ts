import type { CommandArgs, CommandExecutor, ContainerStatus } from '@krint/agent';
import { assertCreatableName, assertSafePassword, InvalidInputError, NotFoundError } from '@krint/engine-sdk';
import { Backup, BackupSchedule, Instance, ManagedDatabase, ManagedUser, Node } from '../db/entities.js';
import { ConflictError, describeError } from '../errors.js';
import type { BackupFiles } from '../backups/files.js';
import { addressOf, assertAllowed, audited, claimFor, generatePassword, handleFor, loadInstance, ownershipLabels, publishInstanceEvent, releaseInstance, slugify, type Actor, type ServiceDeps } from './context.js';

export interface ProvisionInput {
  readonly engine: string;
  readonly version?: string | null;
  readonly name: string;
  readonly defaultDatabase?: string | null;
  /** Root password; generated when absent. */
  readonly password?: string | null;
  readonly isPublic?: boolean | null;
  readonly plugins?: readonly string[] | null;
  readonly storage?: 'volume' | 'host' | null;
  /** Target node; the control plane's own Docker host when absent. */
  readonly nodeId?: string | null;
}

export interface ConnectionDetails {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly strings: { label: string; value: string }[];
}

/** Ports of a configured range tried before giving up (other programs may hold some). */
const MAX_PORT_ATTEMPTS = 20;

/** Display names: trimmed, 1 to 64 characters, no control characters. */
export function validateDisplayName(raw: string): string {
  const name = (raw ?? '').trim();
  if (name.length === 0 || name.length > 64) throw new InvalidInputError('The name must be 1 to 64 characters long.', 'name');
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new InvalidInputError('The name must not contain control characters.', 'name');
  return name;
}

/** Instance lifecycle: provision, state, rename, start/stop/restart, root password, delete. */
export class InstanceService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly backups: BackupFiles,
  ) {}

  async list(): Promise<Instance[]> {
    return this.deps.orm.em.fork().find(Instance, {}, { orderBy: { createdAt: 'asc' } });
  }

  get(id: string): Promise<Instance> {
    return loadInstance(this.deps, id);
  }

  /**
   * Validates everything, stores the instance as `provisioning` and returns it at once; the
   * container is made in the background and reported through `provisionProgress`. A failure
   * removes the container, its volume and the row: nothing half-made is left.
   */
  async provision(input: ProvisionInput, actor: Actor): Promise<Instance> {
    const { engine, version } = this.deps.engines.getVersion(input.engine, input.version ?? null);
    const name = validateDisplayName(input.name);
    const defaultDatabase = input.defaultDatabase ? assertCreatableName(input.defaultDatabase, 'defaultDatabase') : engine.defaultDatabase;
    const password = input.password ? assertSafePassword(input.password, 'password') : generatePassword();
    const plugins = [...new Set(input.plugins ?? [])];
    for (const id of plugins) {
      if (!engine.plugins.some((plugin) => plugin.id === id)) {
        const known = engine.plugins.map((plugin) => plugin.id);
        throw new InvalidInputError(`Unknown ${engine.displayName} plugin "${id}".${known.length ? ` Available: ${known.join(', ')}.` : ' This engine has no plugins.'}`, 'plugins');
      }
    }
    const storage = input.storage ?? this.deps.config.storage.mode;
    if (storage === 'host' && !this.deps.config.storage.hostPath) {
      throw new InvalidInputError('Host-folder storage needs Storage__HostPath (or krint.storage.host_path) to be configured.', 'storage');
    }
    const nodeId = input.nodeId ?? null;
    const em = this.deps.orm.em.fork();
    if (nodeId !== null && !(await em.findOne(Node, { id: nodeId }))) throw new NotFoundError(`No node with id "${nodeId}".`);
    const executor = this.deps.executors.for(nodeId);

    const portCandidates = await this.#portCandidates(engine.id, nodeId);
    const instance = em.create(Instance, {
      engine: engine.id,
      version: version.version,
      name,
      slug: slugify(name, engine.id),
      nodeId,
      // On a node too: its connection strings name the node's public host (Node__PublicHost).
      isPublic: Boolean(input.isPublic),
      storage,
      plugins,
      defaultDatabase,
      rootUser: engine.rootUser,
      rootPasswordSealed: this.deps.vault.seal(password),
      status: 'provisioning',
    });
    if (storage === 'host') instance.hostPath = `${this.deps.config.storage.hostPath}/${instance.slug}-${instance.id.slice(0, 8)}`;
    await em.persistAndFlush(instance);
    publishInstanceEvent(this.deps, instance.id, 'created', `Provisioning ${engine.displayName} ${version.version}`);

    const detail = `${engine.displayName} ${version.version}${plugins.length ? ` with ${plugins.join(', ')}` : ''}`;
    const run = await this.deps.operations.begin({ kind: 'provision', instanceId: instance.id, instanceName: name, actor, detail });
    const { faults } = this.deps;
    const signal = run.signal;
    void audited(this.deps, { actor, action: 'instance.create', targetType: 'instance', targetId: instance.id, targetName: name, detail }, async () => {
      try {
        run.step('pull', `Making sure image ${version.image} is present`);
        for await (const event of executor.stream('image.pull', { image: version.image }, { signal })) run.step('pull', event.message, event.current ?? null, event.total ?? null);
        run.step('create', 'Creating the container');
        const createArgs = {
          engineId: engine.id,
          version: version.version,
          instanceId: instance.id,
          slug: instance.slug,
          rootPassword: password,
          defaultDatabase,
          plugins,
          isPublic: instance.isPublic,
          storage,
          ...(instance.hostPath ? { hostPath: instance.hostPath } : {}),
          labels: ownershipLabels(this.deps, 'primary'),
        };
        const created = await this.#createOnFreePort(executor, createArgs, portCandidates, signal);
        await faults.reach('provision.created', signal);
        Object.assign(instance, { containerId: created.containerId, containerName: created.containerName, volumeName: created.volumeName, hostPort: created.hostPort });
        await em.flush();
        run.step('ready', `Waiting for ${engine.displayName} to accept connections on port ${created.hostPort}`);
        await faults.reach('provision.readiness', signal);
        const address = addressOf(this.deps, instance);
        await executor.run('instance.waitReady', { instance: address }, { signal });
        if (plugins.length > 0) {
          run.step('plugins', `Installing ${plugins.join(', ')}`);
          await executor.run('instance.installPlugins', { instance: address, plugins }, { signal });
        }
        instance.status = 'ready';
        await em.flush();
        await run.succeed(`${name} is ready on port ${created.hostPort}`);
        publishInstanceEvent(this.deps, instance.id, 'status', 'ready');
      } catch (error) {
        const message = describeError(error);
        // Everything labelled for the instance goes, including what a create cut short left.
        await removeLabelled(this.deps, executor, instance).catch(() => undefined);
        await em.removeAndFlush(instance).catch(() => undefined);
        await run.fail(`Provisioning failed and was undone: ${message}`);
        publishInstanceEvent(this.deps, instance.id, 'deleted', `Provisioning failed: ${message}`);
        throw error;
      }
    }).catch(() => undefined);
    return instance;
  }

  /**
   * Ports to try from the configured range (`krint.port_ranges.<engine>`), skipping those Krint
   * already gave to an instance on the same host; null lets the agent use the engine's own range.
   */
  async #portCandidates(engineId: string, nodeId: string | null): Promise<number[] | null> {
    const range = this.deps.config.portRanges[engineId];
    if (!range) return null;
    const used = new Set((await this.deps.orm.em.fork().find(Instance, { nodeId }, { fields: ['hostPort'] })).map((i) => i.hostPort));
    const free: number[] = [];
    for (let port = range[0]; port <= range[1] && free.length < MAX_PORT_ATTEMPTS; port++) if (!used.has(port)) free.push(port);
    if (free.length === 0) throw new ConflictError(`No free host port in ${range[0]}-${range[1]} for ${engineId}; widen krint.port_ranges.${engineId} or delete an instance.`);
    return free;
  }

  /** Creates the container on the first candidate port nothing else holds (or any port of the engine's range). */
  async #createOnFreePort(executor: CommandExecutor, args: CommandArgs<'instance.create'>, candidates: number[] | null, signal: AbortSignal) {
    if (!candidates) return executor.run('instance.create', args, { signal });
    let lastError: unknown;
    for (const hostPort of candidates) {
      try {
        return await executor.run('instance.create', { ...args, hostPort }, { signal });
      } catch (error) {
        if (!/already in use|already allocated/i.test(describeError(error))) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }

  /** Live container state for several instances, grouped per host; unreachable hosts answer `null`. */
  async liveStatus(instances: readonly Instance[]): Promise<Map<string, ContainerStatus | null>> {
    const result = new Map<string, ContainerStatus | null>();
    const byHost = new Map<string | null, Instance[]>();
    for (const instance of instances) {
      if (!instance.containerId) continue;
      byHost.set(instance.nodeId, [...(byHost.get(instance.nodeId) ?? []), instance]);
    }
    await Promise.all(
      [...byHost].map(async ([host, group]) => {
        try {
          const statuses = await this.deps.executors.for(host).run('instance.status', { containerIds: group.map((i) => i.containerId!) });
          for (const instance of group) result.set(instance.id, statuses[instance.containerId!] ?? null);
        } catch {
          for (const instance of group) result.set(instance.id, null);
        }
      }),
    );
    return result;
  }

  /**
   * Connection details and strings as a client would use them. Contains the password. The host is
   * the machine that publishes the port: the node's public host (what it reported at
   * registration) for a node instance, the control plane's public address for a local one.
   */
  async connection(instance: Instance): Promise<ConnectionDetails> {
    const engine = this.deps.engines.get(instance.engine);
    const host = instance.nodeId ? await this.#nodePublicHost(instance.nodeId) : this.deps.config.publicUrl ? new URL(this.deps.config.publicUrl).hostname : 'localhost';
    const password = this.deps.vault.open(instance.rootPasswordSealed);
    const target = { host, port: instance.hostPort ?? 0, user: instance.rootUser, password, database: instance.defaultDatabase };
    return { ...target, database: instance.defaultDatabase, strings: engine.connectionStrings(target) };
  }

  async #nodePublicHost(nodeId: string): Promise<string> {
    const node = await this.deps.orm.em.fork().findOne(Node, { id: nodeId });
    const reported = node?.details?.publicHost;
    // A node registers before it runs anything, so a node instance always has one; the name is a last resort.
    return typeof reported === 'string' && reported ? reported : (node?.name ?? 'localhost');
  }

  async rename(id: string, rawName: string, actor: Actor): Promise<Instance> {
    const name = validateDisplayName(rawName);
    const em = this.deps.orm.em.fork();
    const instance = await em.findOne(Instance, { id });
    if (!instance) throw new NotFoundError(`No instance with id "${id}".`);
    const previous = instance.name;
    return audited(this.deps, { actor, action: 'instance.rename', targetType: 'instance', targetId: id, targetName: name, detail: `from "${previous}"` }, async () => {
      instance.name = name;
      await em.flush();
      publishInstanceEvent(this.deps, id, 'renamed', name);
      return instance;
    });
  }

  /** Starts, stops or restarts the container; start and restart wait for readiness. */
  async lifecycle(id: string, action: 'start' | 'stop' | 'restart', actor: Actor): Promise<Instance> {
    const instance = await loadInstance(this.deps, id);
    assertAllowed(instance, action);
    const handle = await handleFor(this.deps, id);
    return audited(this.deps, { actor, action: `instance.${action}`, targetType: 'instance', targetId: id, targetName: handle.instance.name }, async () => {
      await handle.executor.run(`instance.${action}`, { containerId: handle.address.containerId });
      if (action !== 'stop') await handle.executor.run('instance.waitReady', { instance: handle.address });
      // A failed instance whose engine answers again is repaired.
      if (action !== 'stop' && handle.instance.status === 'failed') {
        await releaseInstance(this.deps, id, 'ready');
        Object.assign(handle.instance, { status: 'ready', statusDetail: null });
        publishInstanceEvent(this.deps, id, 'status', 'ready');
      }
      publishInstanceEvent(this.deps, id, 'status', action === 'stop' ? 'stopped' : 'running');
      return handle.instance;
    });
  }

  /**
   * Sets a new root password (given or generated) on the running engine, then stores it. The
   * engine is changed first: if that fails, the stored password still matches the engine.
   */
  async rotateRootPassword(id: string, newPassword: string | null | undefined, actor: Actor): Promise<Instance> {
    const password = newPassword ? assertSafePassword(newPassword, 'password') : generatePassword();
    assertAllowed(await loadInstance(this.deps, id), 'rotate');
    const handle = await handleFor(this.deps, id);
    return audited(this.deps, { actor, action: 'instance.root-password', targetType: 'instance', targetId: id, targetName: handle.instance.name }, async () => {
      await handle.executor.run('users.setPassword', { instance: handle.address, name: handle.instance.rootUser, password });
      const em = this.deps.orm.em.fork();
      const instance = await em.findOneOrFail(Instance, { id });
      instance.rootPasswordSealed = this.deps.vault.seal(password);
      await em.flush();
      publishInstanceEvent(this.deps, id, 'password', 'Root password rotated');
      return instance;
    });
  }

  /**
   * Removes the container and its volume (and a container kept for rollback), the stored
   * secrets, managed databases/users, schedules and, when asked, backups with their files.
   */
  async delete(id: string, deleteBackups: boolean, actor: Actor): Promise<{ id: string }> {
    const instance = await loadInstance(this.deps, id);
    const executor = this.deps.executors.for(instance.nodeId);
    const previousStatus = await claimFor(this.deps, id, 'delete');
    const run = await this.deps.operations.begin({ kind: 'delete', instanceId: id, instanceName: instance.name, actor, detail: deleteBackups ? 'with backups' : 'backups kept' });
    return audited(this.deps, { actor, action: 'instance.delete', targetType: 'instance', targetId: id, targetName: instance.name, detail: deleteBackups ? 'with backups' : 'backups kept' }, async () => {
      try {
        run.step('remove', 'Removing every container and volume labelled for the instance');
        await removeLabelled(this.deps, executor, instance);
        await this.deps.faults.reach('delete.removed');
      } catch (error) {
        await releaseInstance(this.deps, id, previousStatus, instance.statusDetail);
        await run.fail(error);
        throw error;
      }
      await forgetInstance(this.deps, id);
      if (deleteBackups) {
        const em = this.deps.orm.em.fork();
        const backups = await em.find(Backup, { instanceId: id });
        for (const backup of backups) await this.backups.removeFile(backup.file);
        await em.nativeDelete(Backup, { instanceId: id });
      }
      await run.succeed(`${instance.name} was deleted`);
      publishInstanceEvent(this.deps, id, 'deleted', `${instance.name} was deleted`);
      return { id };
    });
  }
}

/** Removes the rows of a deleted instance: managed databases and users, schedules, the instance. */
export async function forgetInstance(deps: Pick<ServiceDeps, 'orm'>, id: string): Promise<void> {
  await deps.orm.em.fork().transactional(async (tx) => {
    await tx.nativeDelete(ManagedDatabase, { instanceId: id });
    await tx.nativeDelete(ManagedUser, { instanceId: id });
    await tx.nativeDelete(BackupSchedule, { instanceId: id });
    await tx.nativeDelete(Instance, { id });
  });
}

/**
 * Removes every container and volume on the instance's host labelled for it by this control
 * plane, and the containers its row names (made before the installation label existed): what a
 * crash, a cut-short create or an upgrade left behind goes with it.
 */
export async function removeLabelled(deps: Pick<ServiceDeps, 'installationId'>, executor: CommandExecutor, instance: Pick<Instance, 'id' | 'containerId' | 'previousContainerId'>): Promise<void> {
  const found = await executor.run('instance.discover', { installationId: deps.installationId });
  const containers = new Set([instance.containerId, instance.previousContainerId].filter((id): id is string => id !== null));
  for (const container of found.containers) if (container.instanceId === instance.id) containers.add(container.containerId);
  for (const containerId of containers) await executor.run('instance.remove', { containerId, removeVolume: true });
  for (const volume of found.volumes) if (volume.instanceId === instance.id) await executor.run('volume.remove', { name: volume.name });
}
