import type { BackupSupport } from '@krint/engine-sdk';
import { familyBackup, firstLine } from '@krint/engine-mysql';
import { mariadbDialect } from './mariadb-session.js';

/**
 * Dumps from MariaDB's own tools start with `-- MariaDB dump …`, newer ones with a sandbox-mode
 * comment first; dumps made by `mysqldump` of older MariaDB releases say `-- MySQL dump … MariaDB`.
 */
export function checkMariadbDumpHeader(firstBytes: Uint8Array): string | null {
  const line = firstLine(firstBytes);
  if (line.startsWith('-- MariaDB dump') || line.startsWith('/*M!999999\\- enable the sandbox mode */')) return null;
  if (line.startsWith('-- MySQL dump')) {
    return /MariaDB/.test(line) ? null : 'This is a MySQL dump; restore it into a MySQL instance.';
  }
  return 'This file does not start like a mariadb-dump file ("-- MariaDB dump …").';
}

/**
 * `--system=users` writes accounts and grants as `CREATE USER`/`GRANT` statements instead of raw
 * rows of the grant tables, which is what lets a dump move to a newer MariaDB. `--insert-ignore`
 * turns them into `CREATE USER IF NOT EXISTS`, so accounts the target already has (root, with its
 * current password) are kept and the restore does not stop on them.
 */
export const mariadbBackup: BackupSupport = familyBackup(mariadbDialect, ['--system=users', '--insert-ignore'], checkMariadbDumpHeader);
