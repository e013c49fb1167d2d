import { createHash } from 'node:crypto';
import type { ContainerSpec, ProvisionInput } from '@krint/engine-sdk';

export const REDIS_PORT = 6379;
export const REDIS_DATA_PATH = '/data';
/** Users and passwords live here, on the data volume, so ACL changes survive restarts. */
export const ACL_FILE = `${REDIS_DATA_PATH}/users.acl`;

/**
 * The server starts with an ACL file instead of `--requirepass`:
 *
 * - on first start the file is written with the `default` user and the SHA-256 of the root
 *   password, so the password itself never appears in the container's argv or environment;
 * - users created later and password rotations are saved to the same file (`ACL SAVE`), so a
 *   restart keeps them; with `--requirepass` a restart would reset the root password;
 * - `--appendonly yes` makes every write durable, not just the last snapshot;
 * - `--repl-diskless-sync-delay 0`: the delay exists to batch several replicas into one transfer;
 *   Krint runs single servers, and a dump (`redis-cli --rdb`) would otherwise wait 5 s to start.
 *
 * The image's own entrypoint still starts the server, so it drops to the image's unprivileged
 * user and owns `/data` as it does for a plain `redis-server` command.
 */
export function redisContainerSpec(input: ProvisionInput, serverBinary: string, pluginArgs: readonly string[] = []): ContainerSpec {
  const startScript = [
    'set -eu',
    `if [ ! -s ${ACL_FILE} ]; then`,
    '  umask 077',
    `  printf 'user default on #%s ~* &* +@all\\n' "$KRINT_ROOT_PASSWORD_SHA256" > ${ACL_FILE}`,
    'fi',
    `exec docker-entrypoint.sh ${serverBinary} --aclfile ${ACL_FILE} --appendonly yes --repl-diskless-sync-delay 0 "$@"`,
  ].join('\n');
  return {
    image: input.version.image,
    env: { KRINT_ROOT_PASSWORD_SHA256: sha256Hex(input.rootPassword) },
    cmd: ['sh', '-c', startScript, 'krint-start', ...pluginArgs],
    internalPort: REDIS_PORT,
    dataPath: REDIS_DATA_PATH,
  };
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
