import type { ContainerStatus } from '@krint/agent';
import type { Auth, Caller } from '../auth/index.js';
import type { Instance } from '../db/entities.js';
import type { Services } from '../services/index.js';

/** What every resolver sees. `caller` and `actor` come from the auth layer (`auth/`). */
export interface KrintContext {
  readonly services: Services;
  readonly auth: Auth;
  /** Null for an anonymous request (which the scope policy refuses everywhere). */
  readonly caller: Caller | null;
  /** The caller's name as the activity log records it. */
  readonly actor: string;
  /** Live container state, batched per request: one status call per host for a whole list. */
  readonly liveStatus: (instance: Instance) => Promise<ContainerStatus | null>;
}

export function createContext(services: Services, auth: Auth, caller: Caller | null): KrintContext {
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
    auth,
    caller,
    actor: caller?.name ?? 'anonymous',
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
