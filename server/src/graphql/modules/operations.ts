import type { InstanceEvent } from '../pubsub.js';
import type { OperationProgress } from '../../services/progress.js';
import { builder } from '../builder.js';
import { stringEnum } from '../enum.js';
import { InstanceRef } from './instances.js';

const OperationKindEnum = stringEnum('OperationKind', ['provision', 'upgrade', 'visibility', 'rollback', 'restore'] as const);

const ProgressRef = builder.objectRef<OperationProgress>('OperationProgress').implement({
  description: 'One step of a long operation; the last event has `done` set (and `error` when it failed).',
  fields: (t) => ({
    instanceId: t.exposeID('instanceId'),
    operation: t.field({ type: OperationKindEnum, resolve: (p) => p.operation }),
    phase: t.exposeString('phase'),
    message: t.exposeString('message'),
    current: t.exposeFloat('current', { nullable: true }),
    total: t.exposeFloat('total', { nullable: true }),
    done: t.exposeBoolean('done'),
    error: t.exposeString('error', { nullable: true }),
    at: t.expose('at', { type: 'DateTime' }),
  }),
});

const InstanceEventRef = builder.objectRef<InstanceEvent>('InstanceEvent').implement({
  fields: (t) => ({
    instanceId: t.exposeID('instanceId'),
    kind: t.exposeString('kind'),
    message: t.exposeString('message'),
    at: t.expose('at', { type: 'DateTime' }),
  }),
});

/** Replays the current operation's steps, then follows it until done (or the client leaves). */
function progressField(operation: OperationProgress['operation'] | null) {
  return builder.subscriptionField(operation === null ? 'operationProgress' : `${operation}Progress`, (t) =>
    t.field({
      type: ProgressRef,
      args: {
        instanceId: t.arg.id({ required: true }),
        ...(operation === null ? { operation: t.arg({ type: OperationKindEnum, required: true }) } : {}),
      },
      subscribe: (_root, args, ctx) => ctx.services.deps.progress.follow(String(args.instanceId), operation ?? (args as { operation: OperationProgress['operation'] }).operation),
      resolve: (event) => event,
    }),
  );
}
progressField('provision');
progressField('upgrade');
progressField(null);

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
    description: 'Starts an in-place upgrade (backup, new container on the same port, restore, verify, swap; automatic rollback on failure). Follow `upgradeProgress`.',
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
}));
