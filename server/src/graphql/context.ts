import type { ContainerStatus } from '@krint/agent';
import type { Instance } from '../db/entities.js';
import type { Services } from '../services/index.js';

/** What every resolver sees. `actor` comes from the auth layer (a fixed `local` until it exists). */
export interface KrintContext {
  readonly services: Services;
  readonly actor: string;
  /** Live container state, batched per request: one status call per host for a whole list. */
  readonly liveStatus: (instance: Instance) => Promise<ContainerStatus | null>;
}

export function createContext(services: Services, actor: string): KrintContext {
  let pending: { instance: Instance; resolve: (status: ContainerStatus | null) => void }[] = [];
  const cache = new Map<string, Promise<ContainerStatus | null>>();
  const flush = async () => {
    const batch = pending;
    pending = [];
    const statuses = await services.instances.liveStatus(batch.map((entry) => entry.instance));
    for (const entry of batch) entry.resolve(statuses.get(entry.instance.id) ?? null);
  };
  return {
    services,
    actor,
    liveStatus(instance) {
      const cached = cache.get(instance.id);
      if (cached) return cached;
      const promise = new Promise<ContainerStatus | null>((resolve) => {
        if (pending.length === 0) queueMicrotask(() => void flush());
        pending.push({ instance, resolve });
      });
      cache.set(instance.id, promise);
      return promise;
    },
  };
}
