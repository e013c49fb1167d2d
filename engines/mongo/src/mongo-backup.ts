import type { BackupSupport, DumpContext, ExecCommand } from '@krint/engine-sdk';

/**
 * Dumps are `mongodump --archive` streams of every database; restores feed one to
 * `mongorestore --archive --drop`. Both run inside the container, so the tools match the server.
 *
 * The password never reaches argv: the script writes it into a private YAML file (mode 600,
 * removed on exit) and passes `--config`, which mongodump/mongorestore 100.x read the password
 * from. Users and roles in `admin` are excluded from the restore: restoring a dump keeps the
 * target instance's own users and root password, as it does for the other engines.
 */
const ARCHIVE_MAGIC = [0x6d, 0xe2, 0x99, 0x81];

function toolScript(tool: 'mongodump' | 'mongorestore', extraArgs: string): string {
  return [
    'set -eu',
    'umask 077',
    'config=$(mktemp)',
    'trap \'rm -f "$config"\' EXIT',
    // The password alphabet has no quotes, so single-quoting it is a safe YAML string.
    'printf "password: \'%s\'\\n" "$KRINT_PASSWORD" > "$config"',
    `${tool} --config "$config" --host 127.0.0.1 --port "$KRINT_PORT" --username "$KRINT_USER" --authenticationDatabase admin --archive --quiet ${extraArgs}`,
  ].join('\n');
}

const DUMP_SCRIPT = toolScript('mongodump', '');
const RESTORE_SCRIPT = toolScript(
  'mongorestore',
  "--drop --nsExclude 'admin.system.users' --nsExclude 'admin.system.roles' --nsExclude 'admin.system.version'",
);

function command(script: string, context: DumpContext): ExecCommand {
  return {
    argv: ['sh', '-c', script],
    env: { KRINT_PASSWORD: context.rootPassword, KRINT_USER: context.rootUser, KRINT_PORT: String(context.internalPort) },
  };
}

export const mongoBackup: BackupSupport = {
  fileExtension: 'archive',
  dumpCommand: (context) => command(DUMP_SCRIPT, context),
  restoreCommand: (context) => command(RESTORE_SCRIPT, context),
  checkDumpHeader(firstBytes) {
    const matches = ARCHIVE_MAGIC.every((byte, i) => firstBytes[i] === byte);
    return matches ? null : 'The file is not a mongodump archive: it does not start with the archive magic number.';
  },
};
