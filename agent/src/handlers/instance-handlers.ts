import { InvalidInputError, NotSupportedError } from '@krint/engine-sdk';
import type { Engine, EnginePlugin } from '@krint/engine-sdk';
import type { ContainerStats, ContainerStatus } from '../protocol/commands.js';
import { containerStatus, createInstanceContainer, discoverResources, removeContainer, removeVolume, restartContainer, startContainer, stopContainer } from '../docker/containers.js';
import { watchContainerEvents } from '../docker/events.js';
import { pullImage } from '../docker/images.js';
import { containerStats } from '../docker/stats.js';
import { waitUntilReady } from '../readiness.js';
import type { CommandHandlers, StreamHandlers } from './context.js';
import { sessionMember, withSession } from './context.js';

/** How long one plugin statement (e.g. `CREATE EXTENSION postgis`) may take. */
const PLUGIN_STATEMENT_TIMEOUT_MS = 120_000;

/** Container lifecycle: create, start, stop, remove, state, stats, readiness, plugins. */
export const instanceCommands = {
  async 'instance.create'(context, args, signal) {
    const { engine, version } = context.engines.getVersion(args.engineId, args.version);
    pickPlugins(engine, args.plugins);
    // The engine folds `env` and `args` plugins into its spec; `statements` wait for installPlugins.
    const spec = engine.containerSpec({ version, rootPassword: args.rootPassword, defaultDatabase: args.defaultDatabase || engine.defaultDatabase, plugins: args.plugins });
    // The image must be there before anything is created; a missing one fails with its name.
    for await (const _ of pullImage(context.docker, spec.image, signal)) void _;
    return createInstanceContainer(context.docker, {
      spec,
      identity: { instanceId: args.instanceId, engineId: engine.id, version: version.version },
      slug: args.slug,
      isPublic: args.isPublic,
      storage: args.storage,
      ...(args.hostPath === undefined ? {} : { hostPath: args.hostPath }),
      ...(args.hostPort === undefined ? {} : { hostPort: args.hostPort }),
      portRange: engine.hostPortRange,
      ...(args.labels ? { extraLabels: args.labels } : {}),
      network: context.reach.network,
    });
  },

  async 'instance.start'(context, args) {
    await context.sessions.evict(args.containerId);
    return startContainer(context.docker, args.containerId);
  },

  async 'instance.stop'(context, args) {
    await context.sessions.evict(args.containerId);
    return stopContainer(context.docker, args.containerId);
  },

  async 'instance.restart'(context, args) {
    await context.sessions.evict(args.containerId);
    return restartContainer(context.docker, args.containerId);
  },

  async 'instance.remove'(context, args) {
    await context.sessions.evict(args.containerId);
    return { removed: await removeContainer(context.docker, args.containerId, args.removeVolume) };
  },

  async 'instance.status'(context, args) {
    const entries = await Promise.all(args.containerIds.map(async (id) => [id, await containerStatus(context.docker, id)] as const));
    return Object.fromEntries(entries) as Record<string, ContainerStatus>;
  },

  async 'instance.discover'(context, args) {
    return discoverResources(context.docker, args.installationId);
  },

  async 'volume.remove'(context, args) {
    const known = (await context.docker.listVolumes({ filters: { name: [args.name] } })).Volumes ?? [];
    if (!known.some((volume) => volume.Name === args.name)) return { removed: false };
    await removeVolume(context.docker, args.name, true);
    return { removed: true };
  },

  async 'instance.stats'(context, args) {
    const entries = await Promise.all(args.containerIds.map(async (id) => [id, await containerStats(context.docker, id)] as const));
    return Object.fromEntries(entries) as Record<string, ContainerStats>;
  },

  async 'instance.waitReady'(context, args, signal) {
    const engine = context.engines.get(args.instance.engineId);
    return waitUntilReady(context.docker, context.reach, engine, args.instance, { ...(args.ceilingMs ? { ceilingMs: args.ceilingMs } : {}), signal });
  },

  async 'instance.installPlugins'(context, args) {
    const engine = context.engines.get(args.instance.engineId);
    const statements = pickPlugins(engine, args.plugins).flatMap((plugin) => (plugin.install.kind === 'statements' ? plugin.install.statements : []));
    if (statements.length === 0) return {};
    await withSession(context, args.instance, async (session) => {
      const query = sessionMember(engine, session, 'query');
      for (const statement of statements) {
        await query(args.instance.defaultDatabase, statement, { rowLimit: 1, timeoutMs: PLUGIN_STATEMENT_TIMEOUT_MS });
      }
    });
    return {};
  },
} satisfies Pick<
  CommandHandlers,
  | 'instance.create'
  | 'instance.start'
  | 'instance.stop'
  | 'instance.restart'
  | 'instance.remove'
  | 'instance.status'
  | 'instance.discover'
  | 'volume.remove'
  | 'instance.stats'
  | 'instance.waitReady'
  | 'instance.installPlugins'
>;

export const instanceStreams = {
  'image.pull'(context, args, signal) {
    return pullImage(context.docker, args.image, signal);
  },

  'events.watch'(context, _args, signal) {
    return watchContainerEvents(context.docker, signal);
  },
} satisfies Pick<StreamHandlers, 'image.pull' | 'events.watch'>;

/** The engine's plugins with these ids; an unknown id is refused (never silently dropped). */
function pickPlugins(engine: Engine, ids: readonly string[]): EnginePlugin[] {
  return [...new Set(ids)].map((id) => {
    const plugin = engine.plugins.find((candidate) => candidate.id === id);
    if (!plugin) {
      const known = engine.plugins.map((candidate) => candidate.id);
      if (known.length === 0) throw new NotSupportedError(engine.id, `plugins (asked for "${id}")`);
      throw new InvalidInputError(`Unknown ${engine.displayName} plugin "${id}". Available: ${known.join(', ')}.`, 'plugins');
    }
    return plugin;
  });
}
