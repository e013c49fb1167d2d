import type { BackupSupport, DumpContext, ExecCommand } from '@krint/engine-sdk';
import { randomBytes } from 'node:crypto';
import { CONNECT_LINE, PsqlDumpScanner } from './postgres-dump-scanner.js';

/**
 * Rewrites a `pg_dumpall` script on its way into `psql` so it loads into an instance that already
 * exists, with `ON_ERROR_STOP` still catching every real error:
 * - the root role is left alone: the image created it, and the instance keeps its own password
 *   (the one Krint's vault holds), so the dump's `CREATE ROLE` and `ALTER ROLE … PASSWORD` for it
 *   are dropped;
 * - other roles are created only when missing, then `ALTER ROLE` sets them as dumped;
 * - each dumped database replaces one of the same name (`DROP DATABASE IF EXISTS … WITH (FORCE)`
 *   before its `CREATE DATABASE`): a fresh instance already has its default database; the
 *   `postgres` database, which the dump never creates, is replaced just before it is loaded.
 * - psql runs in restricted mode (`\restrict` with a key made for this restore, `KRINT_RESTRICT_KEY`)
 *   from the first line to the last, except around each `\connect` line ({@link CONNECT_LINE}, and
 *   nothing else on it): a meta-command anywhere
 *   else (`\! id` runs a shell in the container) stops the restore, wherever psql finds it,
 *   even where {@link PsqlDumpScanner} could not see it. The dump's own `\restrict` and
 *   `\unrestrict` lines are dropped; their keys would not match.
 * Lines inside COPY data blocks are passed through untouched. Written for POSIX awk (mawk in
 * Debian images, busybox awk in Alpine ones).
 */
export const RESTORE_FILTER_AWK = [
  'BEGIN { root = ENVIRON["KRINT_ROOT_ROLE"]; key = ENVIRON["KRINT_RESTRICT_KEY"]; q = "\\""; quotedRoot = q root q; globals = 1; incopy = 0; print "\\\\restrict " key }',
  'incopy { print; if ($0 == "\\\\.") incopy = 0; next }',
  '/^COPY .* FROM stdin;$/ { incopy = 1; print; next }',
  '/^\\\\(un)?restrict / { next }',
  'globals && /^\\\\connect / { globals = 0 }',
  'globals && ($0 == "CREATE ROLE " root ";" || $0 == "CREATE ROLE " quotedRoot ";") { next }',
  'globals && (index($0, "ALTER ROLE " root " WITH ") == 1 || index($0, "ALTER ROLE " quotedRoot " WITH ") == 1) { next }',
  'globals && /^CREATE ROLE .*;$/ {',
  '  name = substr($0, 13, length($0) - 13)',
  '  if (index(name, "$krint$") == 0) { print "DO $krint$BEGIN CREATE ROLE " name "; EXCEPTION WHEN duplicate_object THEN NULL; END$krint$;"; next }',
  '}',
  '/^CREATE DATABASE / {',
  '  rest = substr($0, 17)',
  '  if (substr(rest, 1, 1) == q) {',
  '    i = 2',
  '    while (i <= length(rest)) { c = substr(rest, i, 1); if (c == q) { if (substr(rest, i + 1, 1) == q) i += 2; else break } else i++ }',
  '    name = substr(rest, 1, i)',
  '  } else { match(rest, /^[^ ;]+/); name = substr(rest, 1, RLENGTH) }',
  '  print "DROP DATABASE IF EXISTS " name " WITH (FORCE);"',
  '}',
  // The `postgres` database is never created by the dump (every instance has one), so it is
  // replaced here, from template1, just before the dump connects to it: restoring into the
  // instance the dump came from then succeeds instead of clashing with the objects still there.
  '!globals && ($0 == "\\\\connect postgres" || $0 == "\\\\connect " q "postgres" q) {',
  '  print "DROP DATABASE IF EXISTS " q "postgres" q " WITH (FORCE);"',
  '  print "CREATE DATABASE " q "postgres" q " TEMPLATE template0;"',
  '}',
  `/${CONNECT_LINE}/ { print "\\\\unrestrict " key; print; print "\\\\restrict " key; next }`,
  '{ print }',
].join('\n');

/** Connection arguments of the image's own client tools: TCP to the server in the same container. */
function clientArgs(context: DumpContext): string[] {
  return ['--host=127.0.0.1', `--port=${context.internalPort}`, `--username=${context.rootUser}`, '--no-password'];
}

/**
 * `pg_dumpall` of the whole cluster: every database, every role with its password secret, and
 * their grants. Identifiers are all quoted so a word that becomes reserved in a newer major still
 * restores. The password travels in `PGPASSWORD`, never in the argument list.
 */
export function postgresDumpCommand(context: DumpContext): ExecCommand {
  return {
    argv: ['pg_dumpall', ...clientArgs(context), '--quote-all-identifiers'],
    env: { PGPASSWORD: context.rootPassword },
  };
}

/**
 * `psql` reading the dump from stdin through {@link RESTORE_FILTER_AWK}, stopping at the first
 * error with a non-zero exit code (`pipefail` also fails the restore when the filter fails).
 */
export function postgresRestoreCommand(context: DumpContext): ExecCommand {
  const script = 'set -o pipefail; awk "$1" | psql "${@:2}"';
  return {
    // template1, not postgres: the filter drops and recreates the `postgres` database.
    argv: ['bash', '-c', script, 'krint-restore', RESTORE_FILTER_AWK, '-X', '-q', '-v', 'ON_ERROR_STOP=1', ...clientArgs(context), '--dbname=template1'],
    // The key only has to be unknown to whoever wrote the dump: new for every restore.
    env: { PGPASSWORD: context.rootPassword, KRINT_ROOT_ROLE: context.rootUser, KRINT_RESTRICT_KEY: randomBytes(24).toString('hex') },
  };
}

/**
 * Accepts `pg_dumpall` scripts. Single-database `pg_dump` files and custom-format archives are
 * refused with the reason, since the restore replays a whole cluster through `psql`.
 */
export function checkPostgresDumpHeader(firstBytes: Uint8Array): string | null {
  const text = Buffer.from(firstBytes.subarray(0, 4096)).toString('utf8').replace(/^\uFEFF/, '');
  if (text.startsWith('PGDMP')) return 'This is a pg_dump custom-format archive; Krint restores plain pg_dumpall scripts.';
  const comment = text.split('\n').find((line) => line.trim() !== '' && line.trim() !== '--');
  if (comment?.startsWith('-- PostgreSQL database cluster dump')) return null;
  if (comment?.startsWith('-- PostgreSQL database dump')) {
    return 'This is a single-database pg_dump script; Krint restores whole-instance pg_dumpall scripts.';
  }
  return 'This file does not start like a pg_dumpall script ("-- PostgreSQL database cluster dump").';
}

/** Dumps and restores of the whole instance, with the image's own client tools. */
export const postgresBackup: BackupSupport = {
  fileExtension: 'sql',
  dumpCommand: postgresDumpCommand,
  restoreCommand: postgresRestoreCommand,
  checkDumpHeader: checkPostgresDumpHeader,
  createDumpScanner: () => new PsqlDumpScanner(),
};
