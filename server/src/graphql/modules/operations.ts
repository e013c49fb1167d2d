import { OPERATION_KINDS, OPERATION_STATES, Operation, type OperationKind } from '../../db/entities.js';
import { InvalidInputError } from '../../errors.js';
import type { InstanceEvent } from '../pubsub.js';
import type { OperationProgress } from '../../services/progress.js';
import { CANCELLABLE_KINDS, MAX_LISTED_OPERATIONS } from '../../services/progress.js';
import type { Orphan } from '../../services/reconcile.js';
import { builder } from '../builder.js';
import { stringEnum } from '../enum.js';
import { ContainerStateEnum, InstanceRef } from './instances.js';

const OperationKindEnum = stringEnum('OperationKind', OPERATION_KINDS);
const OperationStateEnum = stringEnum('OperationState', OPERATION_STATES, 'RUNNING until it ends; INTERRUPTED when the control plane stopped meanwhile (the next start reconciles what it left).');

const ProgressRef = builder.objectRef<OperationProgress>('OperationProgress').implement({
  description: 'One step of a long operation; the last event has `done` set, its final `state`, and `error` unless it succeeded.',
  fields: (t) => ({
    operationId: t.exposeID('operationId'),
    instanceId: t.exposeID('instanceId'),
    operation: t.field({ type: OperationKindEnum, resolve: (p) => p.operation }),
    phase: t.exposeString('phase'),
    message: t.exposeString('message'),
    current: t.exposeFloat('current', { nullable: true }),
    total: t.exposeFloat('total', { nullable: true }),
    done: t.exposeBoolean('done'),
    state: t.field({ type: OperationStateEnum, resolve: (p) => p.state }),
    error: t.exposeString('error', { nullable: true }),
    at: t.expose('at', { type: 'DateTime' }),
  }),
});

const OperationStepRef = builder.objectRef<Operation['steps'][number]>('OperationStep').implement({
  fields: (t) => ({ phase: t.exposeString('phase'), message: t.exposeString('message'), at: t.field({ type: 'DateTime', resolve: (step) => new Date(step.at) }) }),
});

export const OperationRef = builder.objectType(Operation, {
  name: 'Operation',
  description: 'A long operation on an instance, recorded in the state database from its start to its end (and after a restart).',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: OperationKindEnum, resolve: (o) => o.kind }),
    instanceId: t.exposeID('instanceId'),
    instanceName: t.exposeString('instanceName'),
    actor: t.exposeString('actor'),
    owner: t.exposeString('owner', { description: 'The control-plane process that runs (or ran) it.' }),
    state: t.field({ type: OperationStateEnum, resolve: (o) => o.state }),
    steps: t.field({ type: [OperationStepRef], description: 'The phases it went through, oldest first.', resolve: (o) => o.steps }),
    detail: t.exposeString('detail', { nullable: true }),
    message: t.exposeString('message', { nullable: true }),
    error: t.exposeString('error', { nullable: true }),
    reconciliation: t.exposeString('reconciliation', { nullable: true, description: 'What reconciliation did after it was interrupted.' }),
    backupId: t.id({ nullable: true, description: 'The backup a finished backup operation made.', resolve: (o) => (typeof o.result?.backupId === 'string' && o.kind === 'backup' ? o.result.backupId : null) }),
    bytes: t.float({ nullable: true, description: 'Bytes dumped or restored.', resolve: (o) => (typeof o.result?.bytes === 'number' ? o.result.bytes : null) }),
    cancellable: t.boolean({ resolve: (o) => o.state === 'running' && CANCELLABLE_KINDS.includes(o.kind) }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
  }),
});

const OrphanKindEnum = stringEnum('OrphanKind', ['container', 'volume'] as const);

const OrphanRef = builder.objectRef<Orphan>('Orphan').implement({
  description: 'A container or volume this control plane labelled for an instance it has no record of (a crash, or a database restored from an older copy).',
  fields: (t) => ({
    kind: t.field({ type: OrphanKindEnum, resolve: (o) => o.kind }),
    id: t.exposeID('id', { description: 'Container id, or the volume name.' }),
    name: t.exposeString('name'),
    instanceId: t.exposeString('instanceId'),
    nodeId: t.exposeString('nodeId', { nullable: true }),
    engine: t.exposeString('engine', { nullable: true }),
    version: t.exposeString('version', { nullable: true }),
    state: t.exposeString('state', { nullable: true }),
  }),
});

const InstanceEventRef = builder.objectRef<InstanceEvent>('InstanceEvent').implement({
  fields: (t) => ({
    instanceId: t.exposeID('instanceId'),
    kind: t.exposeString('kind'),
    message: t.exposeString('message'),
    at: t.expose('at', { type: 'DateTime' }),
    state: t.field({
      type: ContainerStateEnum,
      nullable: true,
      description: "The instance's `state` after this event, for the kinds that say it: `container` (Docker reported a change of its container, whoever caused it) and `node` (its node connected, disconnected or was revoked).",
      resolve: (event) => event.state ?? null,
    }),
  }),
});

builder.objectField(InstanceRef, 'activeOperation', (t) =>
  t.field({ type: OperationRef, nullable: true, description: 'The operation running on it now, if any.', resolve: (i, _a, ctx) => ctx.services.deps.operations.running(i.id) }),
);
builder.objectField(InstanceRef, 'operations', (t) =>
  t.field({ type: [OperationRef], args: { limit: t.arg.int({ defaultValue: 10 }) }, description: 'Its latest operations, newest first.', resolve: (i, a, ctx) => ctx.services.deps.operations.list({ instanceId: i.id, limit: a.limit ?? 10 }) }),
);

/**
 * Follows one operation (by id: exact, replayed from its start, ends even after a restart), or
 * the running-or-next operation of a kind on an instance.
 */
function progressField(kind: OperationKind | null) {
  return builder.subscriptionField(kind === null ? 'operationProgress' : `${kind}Progress`, (t) =>
    t.field({
      type: ProgressRef,
      description:
        kind === null
          ? 'Every event of an operation until it ends. With `operationId`: that operation, replayed from its start. Otherwise: the running, or next, operation of `operation` on `instanceId`.'
          : `The ${kind} of the instance: the running or next one${kind === 'provision' ? ' (or the one that ended: there is one per instance)' : ''}. Prefer \`operationProgress(operationId)\`.`,
      args: {
        instanceId: t.arg.id({ required: kind !== null }),
        ...(kind === null ? { operation: t.arg({ type: OperationKindEnum }), operationId: t.arg.id() } : {}),
      },
      subscribe: (_root, args, ctx) => {
        const { operations } = ctx.services.deps;
        const byId = (args as { operationId?: string | number | null }).operationId;
        if (byId) return operations.follow(String(byId));
        const of = kind ?? (args as { operation?: OperationKind | null }).operation;
        if (!of || !args.instanceId) throw new InvalidInputError('Give `operationId`, or `instanceId` with `operation`.');
        return operations.followKind(String(args.instanceId), of);
      },
      resolve: (event: OperationProgress) => event,
    }),
  );
}
progressField('provision');
progressField('upgrade');
progressField(null);

builder.queryFields((t) => ({
  operation: t.field({ type: OperationRef, args: { id: t.arg.id({ required: true }) }, errors: { directResult: true }, resolve: (_r, a, ctx) => ctx.services.deps.operations.get(String(a.id)) }),
  operations: t.field({
    type: [OperationRef],
    description: 'Operations, newest first.',
    args: { instanceId: t.arg.id(), kind: t.arg({ type: OperationKindEnum }), state: t.arg({ type: OperationStateEnum }), limit: t.arg.int({ defaultValue: 50, description: `1 to ${MAX_LISTED_OPERATIONS}; another limit is refused (InvalidInputError).` }) },
    resolve: (_r, a, ctx) => ctx.services.deps.operations.list({ instanceId: a.instanceId ? String(a.instanceId) : null, kind: a.kind ?? null, state: a.state ?? null, limit: a.limit ?? 50 }),
  }),
  orphans: t.field({
    type: [OrphanRef],
    description: 'Containers and volumes labelled by this control plane for instances it has no record of, on every host that answers.',
    resolve: (_r, _a, ctx) => ctx.services.reconciler.orphans(),
  }),
}));

builder.subscriptionFields((t) => ({
  instanceEvents: t.field({
    description: 'Changes to instances (all of them, or one): refetch what you show.',
    type: InstanceEventRef,
    args: { instanceId: t.arg.id() },
    subscribe: async function* (_root, args, ctx) {
      for await (const event of ctx.services.deps.pubsub.subscribe('instance.event')) {
        if (!args.instanceId || event.instanceId === String(args.instanceId)) yield event;
      }
    },
    resolve: (event) => event,
  }),
}));

builder.mutationFields((t) => ({
  upgradeInstance: t.field({
    description: 'Starts an in-place upgrade (backup, new container on the same port, restore, verify, swap; automatic rollback on failure). Follow `activeOperation` with `operationProgress(operationId)`.',
    type: InstanceRef,
    args: { id: t.arg.id({ required: true }), version: t.arg.string({ required: true }) },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.upgrades.upgrade(String(a.id), a.version, ctx.actor),
  }),
  discardPreviousVersion: t.field({
    description: 'Keeps the upgrade for good: removes the container and volume kept for `rollbackUpgrade`.',
    type: InstanceRef,
    args: { id: t.arg.id({ required: true }) },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.upgrades.discardPreviousVersion(String(a.id), ctx.actor),
  }),
  rollbackUpgrade: t.field({
    description: 'Returns to the container and version kept by the last upgrade; changes made since are not carried back.',
    type: InstanceRef,
    args: { id: t.arg.id({ required: true }) },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.upgrades.rollback(String(a.id), ctx.actor),
  }),
  startBackup: t.field({
    description: 'Starts a backup and returns its operation at once; the backup id is on the operation when it succeeds. `cancelOperation` stops it.',
    type: OperationRef,
    args: { instanceId: t.arg.id({ required: true }) },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.backups.startBackup(String(a.instanceId), ctx.actor),
  }),
  startRestore: t.field({
    description: "Starts restoring a backup into its own instance, or `targetInstanceId` of the same engine, and returns the operation at once. `cancelOperation` stops it (the instance is then FAILED: restore again to repair it).",
    type: OperationRef,
    args: { backupId: t.arg.id({ required: true }), targetInstanceId: t.arg.id() },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.backups.startRestore(String(a.backupId), a.targetInstanceId ? String(a.targetInstanceId) : null, ctx.actor),
  }),
  cancelOperation: t.field({
    description: `Stops a running ${CANCELLABLE_KINDS.join(' or ')}; answers when it has stopped and its undo is done.`,
    type: OperationRef,
    args: { id: t.arg.id({ required: true }) },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.deps.operations.cancel(String(a.id)),
  }),
  removeOrphan: t.field({
    description: 'Removes one container (with its volumes) or volume from `orphans`, after checking that it still is one.',
    type: OrphanRef,
    args: { kind: t.arg({ type: OrphanKindEnum, required: true }), id: t.arg.id({ required: true }), nodeId: t.arg.id({ description: "Null for the control plane's own host." }) },
    errors: { directResult: true },
    resolve: (_r, a, ctx) => ctx.services.reconciler.removeOrphan(a.nodeId ? String(a.nodeId) : null, a.kind, String(a.id)),
  }),
}));
