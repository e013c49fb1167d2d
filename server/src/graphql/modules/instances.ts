import { Instance, Node } from '../../db/entities.js';
import type { ConnectionDetails } from '../../services/instances.js';
import { allowedActions, INSTANCE_ACTIONS, INSTANCE_STATUSES, repairsFor, type Repair } from '../../services/lifecycle.js';
import { builder } from '../builder.js';
import { stringEnum } from '../enum.js';
import { EngineRef } from './engines.js';

export const InstanceStatusEnum = stringEnum('InstanceStatus', INSTANCE_STATUSES, "Krint's view of the instance (see `allowedActions`); `state` is Docker's view of the container.");

const InstanceActionEnum = stringEnum('InstanceAction', INSTANCE_ACTIONS);

const RepairRef = builder.objectRef<Repair>('Repair').implement({
  description: 'An action that can bring a FAILED instance back, and why.',
  fields: (t) => ({ action: t.field({ type: InstanceActionEnum, resolve: (r) => r.action }), description: t.exposeString('description') }),
});

export const ContainerStateEnum = stringEnum('ContainerState', ['created', 'running', 'paused', 'restarting', 'exited', 'dead', 'removing', 'missing', 'node-offline', 'unknown'] as const);

export const StorageModeEnum = stringEnum('StorageMode', ['volume', 'host'] as const);

const ConnectionStringRef = builder.objectRef<{ label: string; value: string }>('ConnectionString').implement({
  fields: (t) => ({ label: t.exposeString('label'), value: t.exposeString('value') }),
});

const ConnectionRef = builder.objectRef<ConnectionDetails>('Connection').implement({
  description: 'How to connect as the administrative user. Contains the password.',
  fields: (t) => ({
    host: t.exposeString('host'),
    port: t.exposeInt('port'),
    user: t.exposeString('user'),
    password: t.exposeString('password'),
    database: t.exposeString('database'),
    strings: t.field({ type: [ConnectionStringRef], resolve: (c) => c.strings }),
  }),
});

const ManagedUserRef = builder.objectRef<{ name: string; password: string; createdAt: Date }>('ManagedUserCredentials').implement({
  description: 'A user created through Krint, with the password Krint keeps for it.',
  fields: (t) => ({ name: t.exposeString('name'), password: t.exposeString('password'), createdAt: t.expose('createdAt', { type: 'DateTime' }) }),
});

export const InstanceRef = builder.objectType(Instance, {
  name: 'Instance',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    engineId: t.exposeString('engine'),
    engine: t.field({ type: EngineRef, resolve: (i, _args, ctx) => ctx.services.deps.engines.get(i.engine) }),
    version: t.exposeString('version'),
    previousVersion: t.exposeString('previousVersion', { nullable: true, description: 'Set after an upgrade while `rollbackUpgrade` can return to it.' }),
    canRollback: t.boolean({ resolve: (i) => i.previousContainerId !== null }),
    nodeId: t.exposeString('nodeId', { nullable: true, description: "Null when the instance runs on the control plane's own Docker host." }),
    nodeName: t.string({
      nullable: true,
      resolve: async (i, _args, ctx) => (i.nodeId ? ((await ctx.services.deps.orm.em.fork().findOne(Node, { id: i.nodeId }))?.name ?? null) : null),
    }),
    nodeConnected: t.boolean({ resolve: (i, _args, ctx) => ctx.services.deps.executors.isConnected(i.nodeId) }),
    status: t.field({ type: InstanceStatusEnum, resolve: (i) => i.status }),
    statusDetail: t.exposeString('statusDetail', { nullable: true }),
    allowedActions: t.field({ type: [InstanceActionEnum], description: 'What its lifecycle allows now.', resolve: (i) => allowedActions(i) }),
    repairs: t.field({ type: [RepairRef], description: 'For a FAILED instance: the actions that can repair it, and why. Empty otherwise.', resolve: (i) => repairsFor(i) }),
    state: t.field({
      type: ContainerStateEnum,
      description: 'Live container state; `NODE_OFFLINE` while its node is not connected, `UNKNOWN` when its host does not answer.',
      resolve: async (i, _args, ctx) => {
        // An offline node is known without asking anyone: say so instead of a guess.
        if (i.nodeId && !ctx.services.deps.executors.isConnected(i.nodeId)) return 'node-offline' as const;
        return (await ctx.liveStatus(i))?.state ?? 'unknown';
      },
    }),
    startedAt: t.string({ nullable: true, resolve: async (i, _args, ctx) => (await ctx.liveStatus(i))?.startedAt ?? null }),
    containerName: t.exposeString('containerName', { nullable: true }),
    volumeName: t.exposeString('volumeName', { nullable: true }),
    hostPort: t.exposeInt('hostPort', { nullable: true }),
    isPublic: t.exposeBoolean('isPublic'),
    storage: t.field({ type: StorageModeEnum, resolve: (i) => i.storage }),
    plugins: t.exposeStringList('plugins'),
    defaultDatabase: t.exposeString('defaultDatabase'),
    rootUser: t.exposeString('rootUser'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    connection: t.field({
      type: ConnectionRef,
      nullable: true,
      description: 'Credentials and connection strings; null until the container exists.',
      resolve: (i, _args, ctx) => (i.hostPort === null ? null : ctx.services.instances.connection(i)),
    }),
    managedUsers: t.field({ type: [ManagedUserRef], resolve: (i, _args, ctx) => ctx.services.data.managedUsers(i.id) }),
  }),
});

const ProvisionInput = builder.inputType('ProvisionInput', {
  fields: (t) => ({
    engine: t.string({ required: true }),
    version: t.string({ description: "The engine's default version when absent." }),
    name: t.string({ required: true, description: 'Display name, 1 to 64 characters.' }),
    defaultDatabase: t.string(),
    password: t.string({ description: 'Root password (8-128 of A-Z a-z 0-9 - _ . ~); generated when absent.' }),
    isPublic: t.boolean({ defaultValue: false, description: 'Bind 0.0.0.0 instead of 127.0.0.1.' }),
    plugins: t.stringList({ defaultValue: [] }),
    storage: t.field({ type: StorageModeEnum }),
    nodeId: t.string({ description: "Target node; the control plane's own Docker host when absent." }),
  }),
});

export const DeletedRef = builder.objectRef<{ id: string }>('Deleted').implement({ fields: (t) => ({ id: t.exposeID('id') }) });

builder.queryFields((t) => ({
  instances: t.field({ type: [InstanceRef], resolve: (_root, _args, ctx) => ctx.services.instances.list() }),
  instance: t.field({
    type: InstanceRef,
    args: { id: t.arg.id({ required: true }) },
    errors: { directResult: true },
    resolve: (_root, args, ctx) => ctx.services.instances.get(String(args.id)),
  }),
}));

builder.mutationFields((t) => ({
  provisionInstance: t.field({
    description: 'Validates and starts provisioning; follow `provisionProgress(instanceId)` until it is done.',
    type: InstanceRef,
    args: { input: t.arg({ type: ProvisionInput, required: true }) },
    errors: { directResult: true },
    resolve: (_root, { input }, ctx) => ctx.services.instances.provision(input, ctx.actor),
  }),
  renameInstance: t.field({
    type: InstanceRef,
    args: { id: t.arg.id({ required: true }), name: t.arg.string({ required: true }) },
    errors: { directResult: true },
    resolve: (_root, args, ctx) => ctx.services.instances.rename(String(args.id), args.name, ctx.actor),
  }),
  startInstance: t.field({
    type: InstanceRef,
    args: { id: t.arg.id({ required: true }) },
    errors: { directResult: true },
    resolve: (_root, args, ctx) => ctx.services.instances.lifecycle(String(args.id), 'start', ctx.actor),
  }),
  stopInstance: t.field({
    type: InstanceRef,
    args: { id: t.arg.id({ required: true }) },
    errors: { directResult: true },
    resolve: (_root, args, ctx) => ctx.services.instances.lifecycle(String(args.id), 'stop', ctx.actor),
  }),
  restartInstance: t.field({
    type: InstanceRef,
    args: { id: t.arg.id({ required: true }) },
    errors: { directResult: true },
    resolve: (_root, args, ctx) => ctx.services.instances.lifecycle(String(args.id), 'restart', ctx.actor),
  }),
  setInstanceVisibility: t.field({
    description: 'Recreates the container on the same port with the new binding (data is moved and verified); follow `operationProgress(instanceId, visibility)`.',
    type: InstanceRef,
    args: { id: t.arg.id({ required: true }), isPublic: t.arg.boolean({ required: true }) },
    errors: { directResult: true },
    resolve: (_root, args, ctx) => ctx.services.upgrades.setVisibility(String(args.id), args.isPublic, ctx.actor),
  }),
  rotateRootPassword: t.field({
    type: InstanceRef,
    args: { id: t.arg.id({ required: true }), password: t.arg.string({ description: 'Generated when absent.' }) },
    errors: { directResult: true },
    resolve: (_root, args, ctx) => ctx.services.instances.rotateRootPassword(String(args.id), args.password, ctx.actor),
  }),
  deleteInstance: t.field({
    description: 'Removes the container, its volume and stored secrets; backups too when `deleteBackups`.',
    type: DeletedRef,
    args: { id: t.arg.id({ required: true }), deleteBackups: t.arg.boolean({ defaultValue: false }) },
    errors: { directResult: true },
    resolve: (_root, args, ctx) => ctx.services.instances.delete(String(args.id), args.deleteBackups ?? false, ctx.actor),
  }),
}));
