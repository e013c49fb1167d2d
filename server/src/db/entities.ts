import { BigIntType, EntitySchema, OptionalProps, PrimaryKeyProp } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { InstanceStatus } from '../services/lifecycle.js';

/**
 * Persistent state of the control plane, defined with `EntitySchema` (no decorators, no
 * reflect-metadata) so it behaves the same under tsx, esbuild and vitest. Relations are plain id
 * columns: every aggregate is loaded by id and the services delete dependants explicitly.
 */

export type { InstanceStatus } from '../services/lifecycle.js';
export type StorageModeName = 'volume' | 'host';

export class Instance {
  [OptionalProps]?: 'id' | 'previousVersion' | 'previousContainerId' | 'previousContainerName' | 'previousVolumeName' | 'nodeId' | 'containerId' | 'containerName' | 'volumeName' | 'hostPort' | 'isPublic' | 'storage' | 'hostPath' | 'plugins' | 'status' | 'statusDetail' | 'createdAt' | 'updatedAt';
  id: string = randomUUID();
  engine!: string;
  version!: string;
  /** The version before the last upgrade; set while a rollback is possible. */
  previousVersion: string | null = null;
  /** Container kept (stopped) after an upgrade so `rollbackUpgrade` can return to it. */
  previousContainerId: string | null = null;
  previousContainerName: string | null = null;
  previousVolumeName: string | null = null;
  name!: string;
  slug!: string;
  /** Null for the control plane's own Docker host. */
  nodeId: string | null = null;
  containerId: string | null = null;
  containerName: string | null = null;
  volumeName: string | null = null;
  hostPort: number | null = null;
  isPublic = false;
  storage: StorageModeName = 'volume';
  hostPath: string | null = null;
  plugins: string[] = [];
  defaultDatabase!: string;
  rootUser!: string;
  /** Sealed by the vault. */
  rootPasswordSealed!: string;
  status: InstanceStatus = 'provisioning';
  statusDetail: string | null = null;
  createdAt: Date = new Date();
  updatedAt: Date = new Date();
}

export const InstanceSchema = new EntitySchema<Instance>({
  class: Instance,
  tableName: 'instances',
  properties: {
    id: { type: 'string', length: 36, primary: true },
    engine: { type: 'string', length: 64 },
    version: { type: 'string', length: 64 },
    previousVersion: { type: 'string', length: 64, nullable: true },
    previousContainerId: { type: 'string', length: 128, nullable: true },
    previousContainerName: { type: 'string', length: 255, nullable: true },
    previousVolumeName: { type: 'string', length: 255, nullable: true },
    name: { type: 'string', length: 64 },
    slug: { type: 'string', length: 64 },
    nodeId: { type: 'string', length: 36, nullable: true, index: true },
    containerId: { type: 'string', length: 128, nullable: true },
    containerName: { type: 'string', length: 255, nullable: true },
    volumeName: { type: 'string', length: 255, nullable: true },
    hostPort: { type: 'integer', nullable: true },
    isPublic: { type: 'boolean' },
    storage: { type: 'string', length: 16 },
    hostPath: { type: 'text', nullable: true },
    plugins: { type: 'json' },
    defaultDatabase: { type: 'string', length: 255 },
    rootUser: { type: 'string', length: 255 },
    rootPasswordSealed: { type: 'text' },
    status: { type: 'string', length: 16 },
    statusDetail: { type: 'text', nullable: true },
    createdAt: { type: 'datetime' },
    updatedAt: { type: 'datetime', onUpdate: () => new Date() },
  },
});

/** A database created through Krint inside an instance. */
export class ManagedDatabase {
  [OptionalProps]?: 'id' | 'createdAt';
  id: string = randomUUID();
  instanceId!: string;
  name!: string;
  createdAt: Date = new Date();
}

export const ManagedDatabaseSchema = new EntitySchema<ManagedDatabase>({
  class: ManagedDatabase,
  tableName: 'managed_databases',
  uniques: [{ properties: ['instanceId', 'name'] }],
  properties: {
    id: { type: 'string', length: 36, primary: true },
    instanceId: { type: 'string', length: 36, index: true },
    name: { type: 'string', length: 255 },
    createdAt: { type: 'datetime' },
  },
});

/** A user created through Krint; its password is kept so it can be shown again. */
export class ManagedUser {
  [OptionalProps]?: 'id' | 'createdAt';
  id: string = randomUUID();
  instanceId!: string;
  name!: string;
  passwordSealed!: string;
  createdAt: Date = new Date();
}

export const ManagedUserSchema = new EntitySchema<ManagedUser>({
  class: ManagedUser,
  tableName: 'managed_users',
  uniques: [{ properties: ['instanceId', 'name'] }],
  properties: {
    id: { type: 'string', length: 36, primary: true },
    instanceId: { type: 'string', length: 36, index: true },
    name: { type: 'string', length: 255 },
    passwordSealed: { type: 'text' },
    createdAt: { type: 'datetime' },
  },
});

export type BackupKind = 'manual' | 'scheduled' | 'pre-upgrade' | 'upload';
export type BackupStatus = 'running' | 'succeeded' | 'failed';

export class Backup {
  [OptionalProps]?: 'id' | 'sizeBytes' | 'status' | 'kind' | 'scheduleId' | 'error' | 'createdAt' | 'completedAt';
  id: string = randomUUID();
  /** The instance the dump came from; kept after the instance is deleted with `keepBackups`. */
  instanceId!: string;
  instanceName!: string;
  engine!: string;
  engineVersion!: string;
  /** File name inside the backup directory (never a path from a client). */
  file!: string;
  sizeBytes = 0;
  status: BackupStatus = 'running';
  kind: BackupKind = 'manual';
  scheduleId: string | null = null;
  error: string | null = null;
  createdAt: Date = new Date();
  completedAt: Date | null = null;
}

export const BackupSchema = new EntitySchema<Backup>({
  class: Backup,
  tableName: 'backups',
  properties: {
    id: { type: 'string', length: 36, primary: true },
    instanceId: { type: 'string', length: 36, index: true },
    instanceName: { type: 'string', length: 64 },
    engine: { type: 'string', length: 64 },
    engineVersion: { type: 'string', length: 64 },
    file: { type: 'string', length: 255, unique: true },
    sizeBytes: { type: new BigIntType('number') },
    status: { type: 'string', length: 16 },
    kind: { type: 'string', length: 16 },
    scheduleId: { type: 'string', length: 36, nullable: true, index: true },
    error: { type: 'text', nullable: true },
    createdAt: { type: 'datetime' },
    completedAt: { type: 'datetime', nullable: true },
  },
});

export class BackupSchedule {
  [OptionalProps]?: 'id' | 'enabled' | 'retentionCount' | 'retentionDays' | 'lastRunAt' | 'lastStatus' | 'lastError' | 'createdAt';
  id: string = randomUUID();
  instanceId!: string;
  /** Cron expression evaluated in UTC (5 fields, or 6 with seconds). */
  cron!: string;
  enabled = true;
  /** Keep only the newest N scheduled backups of this schedule. */
  retentionCount: number | null = null;
  /** Delete scheduled backups older than D days. */
  retentionDays: number | null = null;
  lastRunAt: Date | null = null;
  lastStatus: BackupStatus | null = null;
  lastError: string | null = null;
  createdAt: Date = new Date();
}

export const BackupScheduleSchema = new EntitySchema<BackupSchedule>({
  class: BackupSchedule,
  tableName: 'backup_schedules',
  properties: {
    id: { type: 'string', length: 36, primary: true },
    instanceId: { type: 'string', length: 36, index: true },
    cron: { type: 'string', length: 120 },
    enabled: { type: 'boolean' },
    retentionCount: { type: 'integer', nullable: true },
    retentionDays: { type: 'integer', nullable: true },
    lastRunAt: { type: 'datetime', nullable: true },
    lastStatus: { type: 'string', length: 16, nullable: true },
    lastError: { type: 'text', nullable: true },
    createdAt: { type: 'datetime' },
  },
});

/** The long operations, each recorded as an `Operation` row while and after it runs. */
export const OPERATION_KINDS = ['provision', 'upgrade', 'rollback', 'visibility', 'backup', 'restore', 'rotate', 'delete'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];
export const OPERATION_STATES = ['running', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const;
export type OperationState = (typeof OPERATION_STATES)[number];

/** One step an operation went through, kept in its row so the history survives a restart. */
export interface OperationStep {
  readonly phase: string;
  readonly message: string;
  readonly at: string;
}

/**
 * A long operation on an instance, written when it starts and at every step, so a restart knows
 * what was cut short and where (`steps`), and a subscriber who arrives late, or after a restart,
 * still learns how it ended. `owner` names the process running it (for a lease across replicas).
 */
export class Operation {
  [OptionalProps]?: 'id' | 'steps' | 'message' | 'error' | 'detail' | 'result' | 'reconciliation' | 'state' | 'createdAt' | 'updatedAt' | 'finishedAt';
  id: string = randomUUID();
  kind!: OperationKind;
  instanceId!: string;
  instanceName!: string;
  /** Who asked (a user, a token, the scheduler). */
  actor!: string;
  /** The process that runs it: `<host>:<pid>:<start id>`. */
  owner!: string;
  state: OperationState = 'running';
  /** The phases passed so far, oldest first (consecutive repeats of one phase are one step). */
  steps: OperationStep[] = [];
  /** What it was asked to do, for people ("15 → 17", "private"...). Never a secret. */
  detail: string | null = null;
  /** The last message: the success text, or what went wrong. */
  message: string | null = null;
  /** Why it did not succeed (failed, cancelled or interrupted); null otherwise. */
  error: string | null = null;
  /** What the operation produced that a caller may look up (the backup's id, the restored bytes). */
  result: Record<string, string | number> | null = null;
  /** What reconciliation did after the operation was interrupted. */
  reconciliation: string | null = null;
  createdAt: Date = new Date();
  updatedAt: Date = new Date();
  finishedAt: Date | null = null;
}

export const OperationSchema = new EntitySchema<Operation>({
  class: Operation,
  tableName: 'operations',
  indexes: [{ properties: ['instanceId', 'createdAt'] }],
  properties: {
    id: { type: 'string', length: 36, primary: true },
    kind: { type: 'string', length: 16 },
    instanceId: { type: 'string', length: 36 },
    instanceName: { type: 'string', length: 64 },
    actor: { type: 'string', length: 128 },
    owner: { type: 'string', length: 128 },
    state: { type: 'string', length: 16, index: true },
    steps: { type: 'json' },
    detail: { type: 'text', nullable: true },
    message: { type: 'text', nullable: true },
    error: { type: 'text', nullable: true },
    result: { type: 'json', nullable: true },
    reconciliation: { type: 'text', nullable: true },
    createdAt: { type: 'datetime' },
    updatedAt: { type: 'datetime', onUpdate: () => new Date() },
    finishedAt: { type: 'datetime', nullable: true },
  },
});

/** A remote Docker host running the agent, connected over the hub. */
export class Node {
  [OptionalProps]?: 'id' | 'details' | 'lastSeenAt' | 'createdAt';
  id: string = randomUUID();
  name!: string;
  /** Hash of the registration token; the token itself is shown once. */
  tokenHash!: string;
  details: Record<string, unknown> | null = null;
  lastSeenAt: Date | null = null;
  createdAt: Date = new Date();
}

export const NodeSchema = new EntitySchema<Node>({
  class: Node,
  tableName: 'nodes',
  properties: {
    id: { type: 'string', length: 36, primary: true },
    name: { type: 'string', length: 64, unique: true },
    tokenHash: { type: 'string', length: 255 },
    details: { type: 'json', nullable: true },
    lastSeenAt: { type: 'datetime', nullable: true },
    createdAt: { type: 'datetime' },
  },
});

export type ActivityOutcome = 'succeeded' | 'failed';

export class ActivityEntry {
  [OptionalProps]?: 'id' | 'targetId' | 'targetName' | 'outcome' | 'detail' | 'at';
  /** Increasing, so pages are cursor-based on the id. */
  id!: number;
  actor!: string;
  /** `instance.create`, `backup.restore`, `user.grant`... */
  action!: string;
  targetType!: string;
  targetId: string | null = null;
  targetName: string | null = null;
  outcome: ActivityOutcome = 'succeeded';
  /** Human-readable detail; never contains a password. */
  detail: string | null = null;
  at: Date = new Date();
}

export const ActivityEntrySchema = new EntitySchema<ActivityEntry>({
  class: ActivityEntry,
  tableName: 'activity',
  properties: {
    id: { type: 'integer', primary: true, autoincrement: true },
    actor: { type: 'string', length: 128 },
    action: { type: 'string', length: 64, index: true },
    targetType: { type: 'string', length: 32 },
    targetId: { type: 'string', length: 64, nullable: true, index: true },
    targetName: { type: 'string', length: 255, nullable: true },
    outcome: { type: 'string', length: 16 },
    detail: { type: 'text', nullable: true },
    at: { type: 'datetime' },
  },
});

export type AuthRole = 'admin' | 'viewer';

/** An API token for automation; only the SHA-256 of the token is stored (it is shown once). */
export class ApiToken {
  [OptionalProps]?: 'id' | 'role' | 'createdBy' | 'expiresAt' | 'lastUsedAt' | 'createdAt';
  id: string = randomUUID();
  name!: string;
  hash!: string;
  /** The role the token acts with; never more than its creator had. */
  role: AuthRole = 'viewer';
  /** Name of the person who created it (recorded as the actor with a `token:` prefix). */
  createdBy: string | null = null;
  expiresAt: Date | null = null;
  lastUsedAt: Date | null = null;
  createdAt: Date = new Date();
}

export const ApiTokenSchema = new EntitySchema<ApiToken>({
  class: ApiToken,
  tableName: 'api_tokens',
  properties: {
    id: { type: 'string', length: 36, primary: true },
    name: { type: 'string', length: 128 },
    hash: { type: 'string', length: 255, unique: true },
    role: { type: 'string', length: 16 },
    createdBy: { type: 'string', length: 128, nullable: true },
    expiresAt: { type: 'datetime', nullable: true },
    lastUsedAt: { type: 'datetime', nullable: true },
    createdAt: { type: 'datetime' },
  },
});

/** A built-in (password) user. OIDC users have no row: their sessions carry name and role. */
export class User {
  [OptionalProps]?: 'id' | 'role' | 'createdAt' | 'passwordChangedAt';
  id: string = randomUUID();
  /** As it was typed when the user was created; shown everywhere. */
  name!: string;
  /** The name in lower case: unique, so two names differing only in case cannot coexist. */
  nameKey!: string;
  /** `scrypt$N$r$p$salt$hash` (see `auth/passwords.ts`); never the password. */
  passwordHash!: string;
  role: AuthRole = 'viewer';
  createdAt: Date = new Date();
  passwordChangedAt: Date = new Date();
}

export const UserSchema = new EntitySchema<User>({
  class: User,
  tableName: 'users',
  properties: {
    id: { type: 'string', length: 36, primary: true },
    name: { type: 'string', length: 64, unique: true },
    nameKey: { type: 'string', length: 64, unique: true },
    passwordHash: { type: 'string', length: 255 },
    role: { type: 'string', length: 16 },
    createdAt: { type: 'datetime' },
    passwordChangedAt: { type: 'datetime' },
  },
});

/** A signed-in browser. The cookie holds the session id; only its SHA-256 is stored. */
export class Session {
  [OptionalProps]?: 'id' | 'userId' | 'createdAt' | 'lastSeenAt';
  id: string = randomUUID();
  idHash!: string;
  /** The built-in user; null for an OIDC session. */
  userId: string | null = null;
  name!: string;
  role!: AuthRole;
  /** `password` or `oidc`. */
  source!: string;
  /** The token the browser must echo in `x-krint-csrf` on every state-changing request. */
  csrfToken!: string;
  expiresAt!: Date;
  createdAt: Date = new Date();
  lastSeenAt: Date = new Date();
}

export const SessionSchema = new EntitySchema<Session>({
  class: Session,
  tableName: 'sessions',
  properties: {
    id: { type: 'string', length: 36, primary: true },
    idHash: { type: 'string', length: 64, unique: true },
    userId: { type: 'string', length: 36, nullable: true, index: true },
    name: { type: 'string', length: 128 },
    role: { type: 'string', length: 16 },
    source: { type: 'string', length: 16 },
    csrfToken: { type: 'string', length: 64 },
    expiresAt: { type: 'datetime', index: true },
    createdAt: { type: 'datetime' },
    lastSeenAt: { type: 'datetime' },
  },
});

/** Small key → value facts about this installation (the vault check value, ...). */
export class Setting {
  [PrimaryKeyProp]?: 'key';
  key!: string;
  value!: string;
}

export const SettingSchema = new EntitySchema<Setting>({
  class: Setting,
  tableName: 'settings',
  properties: {
    key: { type: 'string', length: 128, primary: true },
    value: { type: 'text' },
  },
});

export const ALL_ENTITIES = [
  InstanceSchema,
  ManagedDatabaseSchema,
  ManagedUserSchema,
  BackupSchema,
  BackupScheduleSchema,
  NodeSchema,
  ActivityEntrySchema,
  ApiTokenSchema,
  UserSchema,
  SessionSchema,
  SettingSchema,
  OperationSchema,
];
