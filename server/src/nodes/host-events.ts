import type { ContainerEvent, ContainerEventAction } from '@krint/agent';
import { Instance } from '../db/entities.js';
import type { HostId } from '../executors/router.js';
import { publishInstanceEvent, type ServiceDeps } from '../services/context.js';
import type { NodeChange, NodeHub } from './node-hub.js';

/** Waits between attempts to watch a host whose event stream failed while it stays reachable. */
const RETRY_INITIAL_MS = 1_000;
const RETRY_MAX_MS = 30_000;

const ACTION_WORDS: { readonly [K in ContainerEventAction]: (event: ContainerEvent) => string } = {
  start: () => 'Its container started.',
  die: (event) => `Its container ended${event.exitCode === null ? '' : ` with exit code ${event.exitCode}`}.`,
  stop: () => 'Its container was stopped.',
  oom: () => 'Its container ran out of memory.',
  destroy: () => 'Its container was removed.',
};

export interface HostEventsOptions {
  readonly deps: Pick<ServiceDeps, 'orm' | 'executors' | 'pubsub'>;
  readonly hub: NodeHub;
  readonly log: (message: string) => void;
}

/**
 * Turns what happens on each host into `instanceEvents`, so a UI never goes stale:
 * - Docker's container events of every host (`events.watch`): the control plane's own host from
 *   start, each node from its registration (the stream is opened again after every reconnect),
 *   whoever caused them, a `docker stop` behind Krint's back included;
 * - a node connecting, disconnecting or being revoked, for each of its instances.
 * Each event carries the instance's new state.
 */
export class HostEvents {
  readonly #options: HostEventsOptions;
  readonly #watches = new Map<HostId, AbortController>();
  #stopped = false;

  constructor(options: HostEventsOptions) {
    this.#options = options;
    options.hub.onNodeChanged((change) => void this.#nodeChanged(change));
  }

  /** Starts watching the control plane's own host (when it has Docker). */
  start(): void {
    if (this.#options.deps.executors.isConnected(null)) this.#watch(null);
  }

  stop(): void {
    this.#stopped = true;
    for (const controller of this.#watches.values()) controller.abort();
    this.#watches.clear();
  }

  /** Hosts whose event stream is open or being opened again. */
  get watchedHosts(): HostId[] {
    return [...this.#watches.keys()];
  }

  async #nodeChanged(change: NodeChange): Promise<void> {
    if (change.status === 'online') this.#watch(change.nodeId);
    else this.#unwatch(change.nodeId);
    try {
      await this.#publishNodeChange(change);
    } catch (error) {
      this.#options.log(`Could not publish events for node "${change.name}" going ${change.status}: ${describe(error)}`);
    }
  }

  /** One event per instance of the node, with what its state is now. */
  async #publishNodeChange(change: NodeChange): Promise<void> {
    // A deleted node's instances were forgotten, each with its own `deleted` event.
    if (change.status === 'deleted') return;
    const { deps } = this.#options;
    const instances = await deps.orm.em.fork().find(Instance, { nodeId: change.nodeId }, { fields: ['id', 'containerId'] });
    if (instances.length === 0) return;
    if (change.status !== 'online') {
      const message = change.status === 'revoked' ? `Node "${change.name}" was revoked; its instances cannot be reached.` : `Node "${change.name}" disconnected.`;
      for (const instance of instances) publishInstanceEvent(deps, instance.id, 'node', message, 'node-offline');
      return;
    }
    const containerIds = instances.map((instance) => instance.containerId).filter((id): id is string => id !== null);
    const statuses = containerIds.length > 0 ? await deps.executors.for(change.nodeId).run('instance.status', { containerIds }).catch(() => null) : {};
    for (const instance of instances) {
      const state = instance.containerId === null ? null : (statuses?.[instance.containerId]?.state ?? 'unknown');
      publishInstanceEvent(deps, instance.id, 'node', `Node "${change.name}" is connected.`, state);
    }
  }

  #watch(host: HostId): void {
    if (this.#stopped) return;
    // A node that registers again (a reconnect) gets a fresh stream on its new connection.
    this.#watches.get(host)?.abort();
    const controller = new AbortController();
    this.#watches.set(host, controller);
    void this.#follow(host, controller.signal);
  }

  #unwatch(host: HostId): void {
    this.#watches.get(host)?.abort();
    this.#watches.delete(host);
  }

  /** Reads the host's events while it is reachable; a stream that fails is opened again, with backoff. */
  async #follow(host: HostId, signal: AbortSignal): Promise<void> {
    const { deps, log } = this.#options;
    const where = host === null ? 'this host' : `node ${host}`;
    let delay = RETRY_INITIAL_MS;
    let lastFailure = '';
    while (!signal.aborted && deps.executors.isConnected(host)) {
      try {
        for await (const event of deps.executors.for(host).stream('events.watch', {}, { signal })) {
          delay = RETRY_INITIAL_MS;
          await this.#publishContainerEvent(host, event);
        }
      } catch (error) {
        if (signal.aborted) return;
        // One line per distinct failure, not one per retry.
        const failure = describe(error);
        if (failure !== lastFailure) log(`Container events of ${where} stopped (${failure}); watching again.`);
        lastFailure = failure;
      }
      await sleep(delay, signal);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }

  async #publishContainerEvent(host: HostId, event: ContainerEvent): Promise<void> {
    const instance = await this.#options.deps.orm.em.fork().findOne(Instance, { id: event.instanceId }, { fields: ['id', 'nodeId', 'containerId'] });
    // Only the instance's own container on its own host says what the instance's state is: the
    // containers an upgrade or a recovery works with report through their operation instead.
    if (!instance || instance.nodeId !== host || instance.containerId !== event.containerId) return;
    publishInstanceEvent(this.#options.deps, instance.id, 'container', ACTION_WORDS[event.action](event), event.state);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
