import { assertCreatableName, assertSafePassword, type ContainerSpec, type ProvisionInput } from '@krint/engine-sdk';

/** The port PostgreSQL listens on inside the official images. */
export const POSTGRES_PORT = 5432;
/** Where the official images up to 17 keep the cluster (the image's VOLUME). */
export const LEGACY_DATA_PATH = '/var/lib/postgresql/data';
/**
 * From 18 the official image's volume is `/var/lib/postgresql` and the cluster lives in a
 * major-specific folder below it (`18/docker`), so a later `pg_upgrade --link` can see both.
 */
export const DATA_PATH_FROM_18 = '/var/lib/postgresql';

/** The major version of a version string (`17`, `17.2`), or null when it is not numeric. */
export function majorOf(version: string): number | null {
  const match = /^(\d+)(?:\.\d+)*$/.exec(String(version).trim());
  return match ? Number(match[1]) : null;
}

/** The data path of a major: the new layout from 18 on, and for versions Krint cannot read (future tags). */
export function dataPathFor(version: string): string {
  const major = majorOf(version);
  return major !== null && major <= 17 ? LEGACY_DATA_PATH : DATA_PATH_FROM_18;
}

/**
 * Server settings on the command line (after the image's default command, `postgres`, as its
 * entrypoint expects; they override `postgresql.conf` and `ALTER SYSTEM`):
 * - `log_min_error_statement=panic`: a failed statement is not copied into the server log. The
 *   default (`error`) writes `STATEMENT: ALTER ROLE … PASSWORD '…'` there for any statement that
 *   fails, and the container log is what viewers follow. The error message itself is still logged.
 */
export const POSTGRES_SERVER_ARGS: readonly string[] = ['postgres', '-c', 'log_min_error_statement=panic'];

/**
 * A container of the official `postgres` image: the superuser password goes in through
 * `POSTGRES_PASSWORD`, and `POSTGRES_DB` names the first database when it is not `postgres` (which
 * initdb always creates). Both take effect only on the first start, with an empty data directory.
 */
export function postgresContainerSpec(input: ProvisionInput): ContainerSpec {
  const env: Record<string, string> = { POSTGRES_PASSWORD: assertSafePassword(input.rootPassword, 'root password') };
  if (input.defaultDatabase && input.defaultDatabase !== 'postgres') {
    env.POSTGRES_DB = assertCreatableName(input.defaultDatabase, 'database');
  }
  return {
    image: input.version.image,
    env,
    cmd: POSTGRES_SERVER_ARGS,
    internalPort: POSTGRES_PORT,
    dataPath: dataPathFor(input.version.version),
  };
}
