import {
  ENGINE_SDK_VERSION,
  EngineError,
  Ready,
  defineCapabilities,
  type ConnectionTarget,
  type Engine,
  type EnginePlugin,
  type EngineVersion,
} from '@krint/engine-sdk';
import { redisFamilyCredentials } from './redis-credentials.js';
import { redisBackup, REDIS_BINARIES, type RedisBinaries } from './redis-backup.js';
import { redisContainerSpec } from './redis-container.js';
import { RedisSession } from './redis-session.js';
import { DEFAULT_USER } from './redis-users.js';
import { sameOrNewerUpgrade } from './redis-upgrade.js';

/** What differs between Redis and servers speaking its protocol from the same kind of image (Valkey). */
export interface RedisFamilyOptions {
  readonly id: string;
  readonly displayName: string;
  readonly description: string;
  readonly versions: readonly EngineVersion[];
  readonly hostPortRange: readonly [number, number];
  /** Server binary the image's entrypoint starts, e.g. `redis-server`. */
  readonly serverBinary: string;
  /** CLI named in connection strings, e.g. `redis-cli`. */
  readonly cliName: string;
  /** Binaries the backup scripts look for inside the container, in order. */
  readonly binaries: RedisBinaries;
  readonly plugins?: readonly EnginePlugin[];
}

/** Readiness gives up after this long; a Redis server with an empty or small dataset starts in a second. */
const READY_CEILING_MS = 30_000;

/** Builds an engine for a Redis-protocol server. `@krint/engine-valkey` uses it with its own options. */
export function createRedisFamilyEngine(options: RedisFamilyOptions): Engine {
  const plugins = options.plugins ?? [];
  return {
    id: options.id,
    displayName: options.displayName,
    description: options.description,
    sdkVersion: ENGINE_SDK_VERSION,
    versions: options.versions,
    hostPortRange: options.hostPortRange,
    rootUser: DEFAULT_USER,
    defaultDatabase: '0',
    capabilities: defineCapabilities({
      browse: true,
      editRows: true,
      query: true,
      users: true,
      backup: true,
      upgrade: true,
    }),
    terms: { database: 'DB number', table: 'key pattern', row: 'key', queryLanguage: 'redis' },
    plugins,
    containerSpec(input) {
      const args = input.plugins.flatMap((id) => {
        const plugin = plugins.find((candidate) => candidate.id === id);
        return plugin?.install.kind === 'args' ? plugin.install.args : [];
      });
      return redisContainerSpec(input, options.serverBinary, args);
    },
    readiness: Ready.forProbe(probeReady, { ceilingMs: READY_CEILING_MS }),
    connect: (target) => RedisSession.open(target),
    connectionStrings(target) {
      const url = new URL('redis://placeholder');
      url.hostname = target.host;
      url.port = String(target.port);
      url.username = target.user;
      url.password = target.password;
      url.pathname = `/${target.database || '0'}`;
      const cli = [
        `REDISCLI_AUTH=${target.password}`,
        options.cliName,
        '-h',
        target.host,
        '-p',
        String(target.port),
        '--user',
        target.user,
        '-n',
        target.database || '0',
      ].join(' ');
      return [
        { label: 'URI', value: url.toString() },
        { label: options.cliName, value: cli },
      ];
    },
    backup: redisBackup(options.binaries),
    upgrade: sameOrNewerUpgrade(options.displayName),
    credentials: redisFamilyCredentials,
  };
}

/** Ready means: AUTH works, PING answers PONG, and the server is not loading its data files. */
async function probeReady(target: ConnectionTarget): Promise<void> {
  const session = await RedisSession.open(target);
  try {
    if (await session.isLoading()) throw new EngineError('UNAVAILABLE', 'The server is still loading its data.');
  } finally {
    await session.close();
  }
}

export const redisEngine: Engine = createRedisFamilyEngine({
  id: 'redis',
  displayName: 'Redis',
  description: 'In-memory key-value store with strings, hashes, lists, sets and sorted sets; persisted with an append-only file.',
  versions: [
    { version: '8', image: 'redis:8' },
    { version: '7.4', image: 'redis:7.4' },
    { version: '7.2', image: 'redis:7.2' },
    { version: '7', image: 'redis:7', isDefault: true },
  ],
  hostPortRange: [16379, 16679],
  serverBinary: 'redis-server',
  cliName: 'redis-cli',
  binaries: REDIS_BINARIES,
});
