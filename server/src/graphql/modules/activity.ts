import { ActivityEntry } from '../../db/entities.js';
import { MAX_ACTIVITY_PAGE, type ActivityPage } from '../../services/activity.js';
import { builder } from '../builder.js';
import { stringEnum } from '../enum.js';

const OutcomeEnum = stringEnum('ActivityOutcome', ['succeeded', 'failed'] as const);

const ActivityEntryRef = builder.objectType(ActivityEntry, {
  name: 'ActivityEntry',
  fields: (t) => ({
    id: t.exposeInt('id'),
    actor: t.exposeString('actor'),
    action: t.exposeString('action'),
    targetType: t.exposeString('targetType'),
    targetId: t.exposeString('targetId', { nullable: true }),
    targetName: t.exposeString('targetName', { nullable: true }),
    outcome: t.field({ type: OutcomeEnum, resolve: (e) => e.outcome }),
    detail: t.exposeString('detail', { nullable: true }),
    at: t.expose('at', { type: 'DateTime' }),
  }),
});

const ActivityPageRef = builder.objectRef<ActivityPage>('ActivityPage').implement({
  fields: (t) => ({
    entries: t.field({ type: [ActivityEntryRef], resolve: (p) => p.entries }),
    nextCursor: t.exposeInt('nextCursor', { nullable: true, description: 'Pass as `before` for older entries; null on the last page.' }),
  }),
});

builder.queryField('activity', (t) =>
  t.field({
    description: 'Every change, newest first.',
    type: ActivityPageRef,
    args: { first: t.arg.int({ defaultValue: 50, description: `Entries per page, 1 to ${MAX_ACTIVITY_PAGE}.` }), before: t.arg.int(), targetId: t.arg.string() },
    resolve: (_r, a, ctx) => ctx.services.deps.activity.page({ first: a.first ?? 50, before: a.before ?? null, targetId: a.targetId ?? null }),
  }),
);

builder.subscriptionField('activity', (t) =>
  t.field({
    type: ActivityEntryRef,
    subscribe: (_r, _a, ctx) => ctx.services.deps.pubsub.subscribe('activity.recorded'),
    resolve: (entry) => entry,
  }),
);
