import type { ContainerSpec, ProvisionInput } from '@krint/engine-sdk';
import { imageContainerSpec } from '@krint/engine-mysql';

/**
 * Server options for every MariaDB instance: utf8mb4 as the server default (MariaDB 10.11 still
 * starts with latin1, which cannot store most of the world's text). The collation is left at the
 * character set's default on purpose: with `--collation-server` set to another one,
 * `mariadb-dump --system=users` fails with "Illegal mix of collations" and no dump can be taken.
 */
export const MARIADB_SERVER_OPTIONS = ['--character-set-server=utf8mb4'] as const;

/** The official `mariadb` image: `MARIADB_ROOT_PASSWORD`, `MARIADB_DATABASE`, data in /var/lib/mysql. */
export function mariadbContainerSpec(input: ProvisionInput): ContainerSpec {
  return imageContainerSpec(input, { rootPassword: 'MARIADB_ROOT_PASSWORD', database: 'MARIADB_DATABASE' }, MARIADB_SERVER_OPTIONS);
}
