import type { Engine } from '@krint/engine-sdk';
import { createRedisFamilyEngine } from '@krint/engine-redis';

/**
 * Valkey is the open-source fork of Redis 7.2: same protocol, same RDB format, same ACLs, same
 * `docker-entrypoint.sh` contract in its official image. Everything but the names therefore comes
 * from `@krint/engine-redis`; the container runs `valkey-server` and the backup scripts prefer
 * `valkey-cli`/`valkey-server`, falling back to the `redis-*` names the image also ships.
 */
export const valkeyEngine: Engine = createRedisFamilyEngine({
  id: 'valkey',
  displayName: 'Valkey',
  description: 'Open-source fork of Redis (BSD licence), protocol-compatible; persisted with an append-only file.',
  versions: [
    { version: '8.1', image: 'valkey/valkey:8.1' },
    { version: '8', image: 'valkey/valkey:8', isDefault: true },
    { version: '7.2', image: 'valkey/valkey:7.2' },
  ],
  hostPortRange: [16680, 16979],
  serverBinary: 'valkey-server',
  cliName: 'valkey-cli',
  binaries: { cli: ['valkey-cli', 'redis-cli'], server: ['valkey-server', 'redis-server'] },
});
