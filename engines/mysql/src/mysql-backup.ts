import { assertCreatableName, assertSafePassword, type BackupSupport, type DumpContext } from '@krint/engine-sdk';
import type { MysqlDialect } from './mysql-dialect.js';
import { mysqlDialect } from './mysql-dialect.js';
import { MysqlDumpScanner } from './mysql-dump-scanner.js';

/**
 * Options every dump uses: a consistent InnoDB snapshot without locking writers, stored programs
 * and triggers included, binary columns as hex so the file is plain text, every database.
 */
const COMMON_DUMP_OPTIONS = ['--single-transaction', '--routines', '--events', '--triggers', '--hex-blob', '--all-databases'] as const;

/**
 * Dump and restore commands for a MySQL-family image. Both run the image's own client as the root
 * user through the local socket; the password travels in `MYSQL_PWD` (read by `mysql`, `mysqldump`
 * and MariaDB's tools alike), never in the argument list, where `ps` would show it.
 *
 * A dump carries the accounts with their password hashes, root's included. Restoring one must not
 * hand root back the password it had when the dump was taken: Krint keeps the current one and
 * would be locked out. So the restore appends, in the same client session that is already logged
 * in, an `ALTER USER` that sets root's current password again (read from `MYSQL_PWD` by the shell
 * inside the container, so it is not in any argument list either).
 */
export function familyBackup(dialect: MysqlDialect, userDumpOptions: readonly string[], checkDumpHeader: (firstBytes: Uint8Array) => string | null): BackupSupport {
  return {
    fileExtension: 'sql',
    dumpCommand: (context) => ({
      argv: [dialect.dumpBinary, `--user=${rootUser(context)}`, ...COMMON_DUMP_OPTIONS, ...userDumpOptions],
      env: passwordEnv(context),
    }),
    restoreCommand: (context) => ({
      argv: ['bash', '-c', restoreScript(dialect, rootUser(context))],
      env: passwordEnv(context),
    }),
    checkDumpHeader,
    createDumpScanner: () => new MysqlDumpScanner(),
  };
}

/**
 * The restore pipeline: the dump from stdin, then the root password statement, into one client.
 * `pipefail` makes a failing `cat` fail the restore, and the client stops at the first error, so
 * a bad dump is a non-zero exit code. `--binary-mode` makes the client take no command of its own
 * but `DELIMITER` and `\C` (no `\!` or `system` shell, no `source`, no `tee`), whatever the dump
 * holds and however its quotes are read; {@link MysqlDumpScanner} names such a line first.
 */
export function restoreScript(dialect: MysqlDialect, user: string): string {
  const keepRootPassword =
    `ALTER USER IF EXISTS '${user}'@'localhost' IDENTIFIED BY '%s', '${user}'@'%%' IDENTIFIED BY '%s';`;
  return `set -o pipefail; { cat; printf "\\n${keepRootPassword}\\n" "$MYSQL_PWD" "$MYSQL_PWD"; } | ${dialect.clientBinary} --binary-mode --user=${user}`;
}

function rootUser(context: DumpContext): string {
  return assertCreatableName(context.rootUser, 'root user');
}

function passwordEnv(context: DumpContext): Record<string, string> {
  // Checked because the restore script puts it between single quotes inside SQL.
  return { MYSQL_PWD: assertSafePassword(context.rootPassword, 'root password') };
}

/** The first line of a dump, decoded leniently, for header checks. */
export function firstLine(firstBytes: Uint8Array): string {
  const text = Buffer.from(firstBytes.subarray(0, 1024)).toString('utf8').replace(/^\uFEFF/, '');
  return text.split('\n', 1)[0] ?? '';
}

/** `mysqldump` writes `-- MySQL dump 10.13  Distrib 8.4.x, for Linux`; MariaDB's tools say MariaDB. */
export function checkMysqlDumpHeader(firstBytes: Uint8Array): string | null {
  const line = firstLine(firstBytes);
  if (/MariaDB|enable the sandbox mode/.test(line)) {
    return 'This is a MariaDB dump; restore it into a MariaDB instance (MySQL cannot read MariaDB dumps reliably).';
  }
  if (!line.startsWith('-- MySQL dump')) return 'This file does not start like a mysqldump file ("-- MySQL dump …").';
  return null;
}

/**
 * MySQL: `--all-databases` includes the `mysql` system schema, whose grant tables hold the users,
 * their password hashes and grants; `--flush-privileges` makes the restored grants take effect.
 * MySQL 8's mysqldump has no logical user export (MariaDB's `--system=users`), so restoring a dump
 * also restores the root password it was taken with.
 */
export const mysqlBackup: BackupSupport = familyBackup(mysqlDialect, ['--flush-privileges'], checkMysqlDumpHeader);
