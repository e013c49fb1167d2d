import type { ContainerStats } from '@krint/agent';
import { Instance } from '../db/entities.js';
import type { ServiceDeps } from './context.js';
import type { InstanceService } from './instances.js';

export interface InstanceUsage {
  readonly instanceId: string;
  readonly name: string;
  readonly engine: string;
  readonly state: string;
  readonly cpuPercent: number | null;
  readonly memoryBytes: number | null;
}

export interface EngineUsage {
  readonly engine: string;
  readonly instances: number;
  readonly running: number;
  readonly cpuPercent: number;
  readonly memoryBytes: number;
}

export interface DashboardSnapshot {
  readonly totalInstances: number;
  readonly runningInstances: number;
  readonly cpuPercent: number;
  readonly memoryBytes: number;
  readonly instances: InstanceUsage[];
  readonly engines: EngineUsage[];
  readonly at: Date;
}

/** Counts and resource use per instance and per engine, one stats call per host. */
export class DashboardService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly instances: InstanceService,
  ) {}

  async snapshot(): Promise<DashboardSnapshot> {
    const all = await this.deps.orm.em.fork().find(Instance, {}, { orderBy: { createdAt: 'asc' } });
    const states = await this.instances.liveStatus(all);
    const running = all.filter((i) => states.get(i.id)?.state === 'running');
    const stats = new Map<string, ContainerStats>();
    const byHost = new Map<string | null, Instance[]>();
    for (const instance of running) byHost.set(instance.nodeId, [...(byHost.get(instance.nodeId) ?? []), instance]);
    await Promise.all(
      [...byHost].map(async ([host, group]) => {
        try {
          const result = await this.deps.executors.for(host).run('instance.stats', { containerIds: group.map((i) => i.containerId!) });
          for (const instance of group) {
            const entry = result[instance.containerId!];
            if (entry) stats.set(instance.id, entry);
          }
        } catch {
          // An unreachable host shows its instances without numbers.
        }
      }),
    );
    const usage: InstanceUsage[] = all.map((instance) => ({
      instanceId: instance.id,
      name: instance.name,
      engine: instance.engine,
      state: states.get(instance.id)?.state ?? 'unknown',
      cpuPercent: stats.get(instance.id)?.cpuPercent ?? null,
      memoryBytes: stats.get(instance.id)?.memoryBytes ?? null,
    }));
    const engines = new Map<string, { engine: string; instances: number; running: number; cpuPercent: number; memoryBytes: number }>();
    for (const entry of usage) {
      const total = engines.get(entry.engine) ?? { engine: entry.engine, instances: 0, running: 0, cpuPercent: 0, memoryBytes: 0 };
      total.instances += 1;
      if (entry.state === 'running') total.running += 1;
      total.cpuPercent += entry.cpuPercent ?? 0;
      total.memoryBytes += entry.memoryBytes ?? 0;
      engines.set(entry.engine, total);
    }
    return {
      totalInstances: all.length,
      runningInstances: running.length,
      cpuPercent: round(usage.reduce((sum, u) => sum + (u.cpuPercent ?? 0), 0)),
      memoryBytes: usage.reduce((sum, u) => sum + (u.memoryBytes ?? 0), 0),
      instances: usage,
      engines: [...engines.values()].map((e) => ({ ...e, cpuPercent: round(e.cpuPercent) })),
      at: new Date(),
    };
  }

  /** A snapshot now, then one every `intervalMs` until the subscriber leaves. */
  async *follow(intervalMs: number, signal?: AbortSignal): AsyncGenerator<DashboardSnapshot> {
    for (;;) {
      yield await this.snapshot();
      if (signal?.aborted) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
      if (signal?.aborted) return;
    }
  }
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
