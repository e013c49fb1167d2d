import { assertCreatableName, assertSafePassword, type ContainerSpec, type ProvisionInput } from '@krint/engine-sdk';
import { SYSTEM_DATABASES } from './mysql-dialect.js';

/** The port MySQL and MariaDB listen on inside their official images. */
export const MYSQL_PORT = 3306;
/** Where both official images keep their data directory. */
export const MYSQL_DATA_PATH = '/var/lib/mysql';

/** The environment variable names an official image reads on its first start. */
export interface ImageEnvNames {
  readonly rootPassword: string;
  readonly database: string;
}

/**
 * A container spec for an official MySQL-family image: the root password and the first database go
 * in through the image's documented variables, which only take effect when the data directory is
 * empty (first start). A system database name is never passed as the database to create.
 */
export function imageContainerSpec(input: ProvisionInput, env: ImageEnvNames, cmd?: readonly string[]): ContainerSpec {
  assertSafePassword(input.rootPassword, 'root password');
  const variables: Record<string, string> = { [env.rootPassword]: input.rootPassword };
  if (input.defaultDatabase && !SYSTEM_DATABASES.has(input.defaultDatabase.toLowerCase())) {
    variables[env.database] = assertCreatableName(input.defaultDatabase, 'database');
  }
  return {
    image: input.version.image,
    env: variables,
    ...(cmd && cmd.length > 0 ? { cmd } : {}),
    internalPort: MYSQL_PORT,
    dataPath: MYSQL_DATA_PATH,
  };
}

/** The official `mysql` image: `MYSQL_ROOT_PASSWORD`, `MYSQL_DATABASE`; MySQL 8 already defaults to utf8mb4. */
export function mysqlContainerSpec(input: ProvisionInput): ContainerSpec {
  return imageContainerSpec(input, { rootPassword: 'MYSQL_ROOT_PASSWORD', database: 'MYSQL_DATABASE' });
}
