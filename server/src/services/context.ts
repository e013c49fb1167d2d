import { LABEL_INSTALLATION, LABEL_REPLACES, LABEL_ROLE, type CommandExecutor, type ContainerRole, type InstanceAddress } from '@krint/agent';
import type { Engine, EngineRegistry } from '@krint/engine-sdk';
import { SAFE_PASSWORD_ALPHABET } from '@krint/engine-sdk';
import { randomInt } from 'node:crypto';
import type { KrintConfig } from '../config.js';
import { Instance, type InstanceStatus, Node } from '../db/entities.js';
import type { KrintOrm } from '../db/orm.js';
import { ConflictError, describeError, NotFoundError } from '../errors.js';
import type { ExecutorRouter } from '../executors/router.js';
import type { InstanceState, KrintPubSub } from '../graphql/pubsub.js';
import type { Vault } from '../vault/index.js';
import type { ActivityLog } from './activity.js';
import type { FaultPoints } from './fault-points.js';
import { claimedStatus, refusal, statusesAllowing, type InstanceAction } from './lifecycle.js';
import type { OperationTracker } from './progress.js';

/** Everything the services share; built once at start-up (see `app.ts`). */
export interface ServiceDeps {
  readonly config: KrintConfig;
  readonly orm: KrintOrm;
  readonly vault: Vault;
  readonly engines: EngineRegistry;
  readonly executors: ExecutorRouter;
  readonly activity: ActivityLog;
  readonly pubsub: KrintPubSub;
  /** Long operations: their rows, live progress and cancellation. */
  readonly operations: OperationTracker;
  /** Test-only failure points; nothing is armed in a deployed control plane. */
  readonly faults: FaultPoints;
  /** This control plane's id, put on every container and volume it makes (`krint.installation`). */
  readonly installationId: string;
}

/** Who asked for a change; the auth layer fills it in later, `local` until then. */
export type Actor = string;

/** An instance loaded for an operation: its row, engine, executor and address. */
export interface InstanceHandle {
  readonly instance: Instance;
  readonly engine: Engine;
  readonly executor: CommandExecutor;
  readonly address: InstanceAddress;
}

/**
 * Loads an instance or throws a NotFoundError naming the id. Every data request starts here, so it
 * is one plain SELECT by primary key mapped onto the entity: the ORM's `findOne` builds the same
 * statement through its query builder at several times the cost.
 */
export async function loadInstance(deps: Pick<ServiceDeps, 'orm'>, id: string): Promise<Instance> {
  const em = deps.orm.em.fork();
  const table = em.getMetadata().get(Instance.name).tableName;
  const [row] = await em.getConnection().execute<Record<string, unknown>[]>(`SELECT * FROM ${table} WHERE id = ?`, [id]);
  if (!row) throw new NotFoundError(`No instance with id "${id}". It may have been deleted; refresh the list.`);
  return em.map(Instance, row);
}

/** The address the agent needs to reach the instance. Carries the root password: never log it. */
export function addressOf(deps: ServiceDeps, instance: Instance): InstanceAddress {
  if (!instance.containerId || instance.hostPort === null) {
    throw new NotFoundError(`Instance "${instance.name}" has no container yet (status ${instance.status}).`);
  }
  return {
    engineId: instance.engine,
    version: instance.version,
    containerId: instance.containerId,
    hostPort: instance.hostPort,
    rootUser: instance.rootUser,
    rootPassword: deps.vault.open(instance.rootPasswordSealed),
    defaultDatabase: instance.defaultDatabase,
  };
}

/** Loads everything an operation on a running instance needs; fails fast for an offline node. */
export async function handleFor(deps: ServiceDeps, id: string): Promise<InstanceHandle> {
  const instance = await loadInstance(deps, id);
  const engine = deps.engines.get(instance.engine);
  const executor = deps.executors.for(instance.nodeId);
  return { instance, engine, executor, address: addressOf(deps, instance) };
}

/** A random password from the SDK's safe alphabet. */
export function generatePassword(length = 24): string {
  let password = '';
  for (let i = 0; i < length; i++) password += SAFE_PASSWORD_ALPHABET[randomInt(SAFE_PASSWORD_ALPHABET.length)];
  return password;
}

/** A lower-case slug for container names: letters, digits and dashes, at most 24 characters. */
export function slugify(name: string, fallback: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 24)
    .replace(/-+$/g, '');
  return slug || fallback;
}

/**
 * Runs a change and records it in the activity log with its outcome, whether it succeeded or not.
 * The detail must not contain secrets; failures record the error message (already redacted).
 */
export async function audited<T>(
  deps: ServiceDeps,
  entry: { actor: Actor; action: string; targetType: string; targetId?: string | null; targetName?: string | null; detail?: string | null },
  work: () => Promise<T>,
  /** What a failure records instead of the error message, for work whose errors can quote secrets. */
  describeFailure: (error: unknown) => string = describeError,
): Promise<T> {
  try {
    const result = await work();
    await deps.activity.record({ ...entry, outcome: 'succeeded' });
    return result;
  } catch (error) {
    await deps.activity
      .record({ ...entry, outcome: 'failed', detail: [entry.detail, describeFailure(error)].filter(Boolean).join(' — ') })
      .catch(() => undefined);
    throw error;
  }
}

/** Publishes an instance event for `instanceEvents` subscribers, with the instance's new state when known. */
export function publishInstanceEvent(deps: Pick<ServiceDeps, 'pubsub'>, instanceId: string, kind: string, message: string, state: InstanceState | null = null): void {
  deps.pubsub.publish('instance.event', { instanceId, kind, message, at: new Date(), state });
}

/** Display name of a node for error messages (null when unknown). */
export async function nodeName(deps: ServiceDeps, nodeId: string): Promise<string | null> {
  return (await deps.orm.em.fork().findOne(Node, { id: nodeId }))?.name ?? null;
}

/** Throws a ConflictError saying why, when the lifecycle does not allow `action` on the instance now. */
export function assertAllowed(instance: Instance, action: InstanceAction): void {
  const reason = refusal(instance, action);
  if (reason) throw new ConflictError(reason);
}

/**
 * Moves an instance into the status `action` holds it in (see `lifecycle.ts`) in one conditional
 * UPDATE, so two long operations (an upgrade and a delete, say) can never both start. Throws
 * Conflict (or NotFound) saying why when the lifecycle refuses. Returns the status it left.
 */
export async function claimFor(deps: Pick<ServiceDeps, 'orm'>, id: string, action: InstanceAction): Promise<InstanceStatus> {
  const to = claimedStatus(action);
  const instance = await loadInstance(deps, id);
  assertAllowed(instance, action);
  if (to === null) return instance.status;
  const changed = await deps.orm.em.fork().nativeUpdate(Instance, { id, status: { $in: statusesAllowing(action) } }, { status: to, updatedAt: new Date() });
  if (changed === 1) return instance.status;
  const now = await loadInstance(deps, id);
  throw new ConflictError(refusal(now, action) ?? `Instance "${now.name}" changed meanwhile; try again.`);
}

/** Puts an instance back to `status` after a claimed operation ended without changing it. */
export async function releaseInstance(deps: Pick<ServiceDeps, 'orm'>, id: string, status: InstanceStatus = 'ready', detail: string | null = null): Promise<void> {
  await deps.orm.em.fork().nativeUpdate(Instance, { id }, { status, statusDetail: detail, updatedAt: new Date() });
}

/** The labels every container and volume this control plane makes carries besides the agent's own. */
export function ownershipLabels(deps: Pick<ServiceDeps, 'installationId'>, role: ContainerRole, replaces?: string): Record<string, string> {
  return { [LABEL_INSTALLATION]: deps.installationId, [LABEL_ROLE]: role, ...(replaces ? { [LABEL_REPLACES]: replaces } : {}) };
}
