import { InvalidInputError } from '@krint/engine-sdk';
import type { DashboardSnapshot, EngineUsage, InstanceUsage } from '../../services/dashboard.js';
import { builder } from '../builder.js';

const InstanceUsageRef = builder.objectRef<InstanceUsage>('InstanceUsage').implement({
  fields: (t) => ({
    instanceId: t.exposeID('instanceId'),
    name: t.exposeString('name'),
    engine: t.exposeString('engine'),
    state: t.exposeString('state'),
    cpuPercent: t.exposeFloat('cpuPercent', { nullable: true }),
    memoryBytes: t.exposeFloat('memoryBytes', { nullable: true }),
  }),
});

const EngineUsageRef = builder.objectRef<EngineUsage>('EngineUsage').implement({
  fields: (t) => ({
    engine: t.exposeString('engine'),
    instances: t.exposeInt('instances'),
    running: t.exposeInt('running'),
    cpuPercent: t.exposeFloat('cpuPercent'),
    memoryBytes: t.exposeFloat('memoryBytes'),
  }),
});

const DashboardRef = builder.objectRef<DashboardSnapshot>('Dashboard').implement({
  fields: (t) => ({
    totalInstances: t.exposeInt('totalInstances'),
    runningInstances: t.exposeInt('runningInstances'),
    cpuPercent: t.exposeFloat('cpuPercent'),
    memoryBytes: t.exposeFloat('memoryBytes'),
    instances: t.field({ type: [InstanceUsageRef], resolve: (d) => d.instances }),
    engines: t.field({ type: [EngineUsageRef], resolve: (d) => d.engines }),
    at: t.expose('at', { type: 'DateTime' }),
  }),
});

builder.queryField('dashboard', (t) => t.field({ type: DashboardRef, resolve: (_r, _a, ctx) => ctx.services.dashboard.snapshot() }));

builder.subscriptionField('dashboard', (t) =>
  t.field({
    description: 'A snapshot now, then one every `intervalMs` (1000 to 60000).',
    type: DashboardRef,
    args: { intervalMs: t.arg.int({ defaultValue: 3000 }) },
    subscribe: (_r, a, ctx) => {
      const interval = a.intervalMs ?? 3000;
      if (interval < 1000 || interval > 60_000) throw new InvalidInputError('intervalMs must be from 1000 to 60000.', 'intervalMs');
      return ctx.services.dashboard.follow(interval);
    },
    resolve: (snapshot) => snapshot,
  }),
);
