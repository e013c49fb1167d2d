import { ENGINE_SDK_VERSION, Ready, defineCapabilities, type Engine } from '@krint/engine-sdk';
import { ExampleSession } from './example-session.js';

/**
 * A complete third-party engine in one page: a read-only key browser for any server that speaks the
 * Redis protocol (RESP). It runs the `redis:7` image under its own id, so it can be installed beside
 * the built-in Redis engine. See the engine author guide in Krint's `engines/README.md`.
 */
export const exampleEngine: Engine = {
  id: 'example-kv',
  displayName: 'Example key browser',
  description: 'Worked example of a third-party engine: browses the string keys of a Redis-protocol server.',
  sdkVersion: ENGINE_SDK_VERSION,
  versions: [{ version: '7', image: 'redis:7', isDefault: true }],
  hostPortRange: [17000, 17099],
  rootUser: 'default',
  defaultDatabase: '0',
  // Only what the session implements; every other capability defaults to false.
  capabilities: defineCapabilities({ browse: true }),
  terms: { database: 'database', table: 'keyspace', row: 'key' },
  plugins: [],

  containerSpec(input) {
    return {
      image: input.version.image,
      // The shell expands the password from the environment, so it is not in the container's
      // stored command. (It is still in the server's argv; the built-in Redis engine avoids even
      // that with an ACL file.)
      env: { EXAMPLE_PASSWORD: input.rootPassword },
      cmd: ['sh', '-c', 'exec docker-entrypoint.sh redis-server --requirepass "$EXAMPLE_PASSWORD" --appendonly yes'],
      internalPort: 6379,
      dataPath: '/data',
    };
  },

  // Readiness is a value: a real AUTH + PING, retried by Krint until it passes or 20 s are over.
  readiness: Ready.forProbe(async (target) => (await ExampleSession.open(target)).close(), { ceilingMs: 20_000 }),

  connect: (target) => ExampleSession.open(target),

  connectionStrings(target) {
    const url = new URL('redis://placeholder');
    url.hostname = target.host;
    url.port = String(target.port);
    url.username = target.user;
    url.password = target.password;
    return [{ label: 'URI', value: url.toString() }];
  },
};
