import type { BackupSupport, DumpContext, ExecCommand } from '@krint/engine-sdk';

/**
 * Redis dumps are RDB files. Both commands run inside the instance's container with the server's
 * own client, so the RDB version always matches the server. The password travels in
 * `REDISCLI_AUTH`, never in argv (argv is visible in `ps` and `docker inspect`).
 */

/** Binaries to look for, in order; Valkey images ship `valkey-*` and may also ship `redis-*`. */
export interface RedisBinaries {
  readonly cli: readonly string[];
  readonly server: readonly string[];
}

export const REDIS_BINARIES: RedisBinaries = { cli: ['redis-cli'], server: ['redis-server'] };

/** Every RDB file starts with these five bytes, followed by a four-digit version. */
const RDB_MAGIC = 'REDIS';

/** Shell snippet that sets `$1`-style variable `name` to the first binary found, or fails. */
function pickBinary(variable: string, candidates: readonly string[]): string {
  const lookups = candidates.map((name) => `command -v ${name}`).join(' || ');
  return `${variable}=$(${lookups}) || { echo "none of ${candidates.join(', ')} is installed in the container" >&2; exit 127; }`;
}

/**
 * Streams an RDB snapshot to stdout with `redis-cli --rdb -` (Redis 7.0 and newer): the server
 * forks, writes the snapshot over a replication link and keeps serving meanwhile. Nothing is
 * written to the data directory.
 */
function dumpScript(binaries: RedisBinaries): string {
  return [
    'set -eu',
    pickBinary('cli', binaries.cli),
    // redis-cli reports progress on stderr even when all is well; keep it, and show it only when
    // the transfer fails, so a clean stderr keeps meaning a good dump.
    'log=$(mktemp)',
    'if "$cli" --no-auth-warning --user "$KRINT_USER" -p "$KRINT_PORT" --rdb - 2>"$log"; then rm -f "$log"; exit 0; fi',
    'status=$?; cat "$log" >&2; rm -f "$log"; exit "$status"',
  ].join('\n');
}

/**
 * Loads an RDB from stdin into the running server without restarting it and without DEBUG
 * (disabled by default since Redis 7):
 *
 * 1. stdin is written to a private work folder in the data directory (the whole file first: a
 *    truncated upload must not touch the server), and its magic bytes are checked;
 * 2. a temporary server, bound to loopback with persistence off, loads that file. A file it cannot
 *    load (corrupt, or from a newer RDB version) fails here, and the instance is untouched;
 * 3. the instance replicates from the temporary server (`REPLICAOF`), which replaces its whole
 *    dataset with the dump's, then becomes a primary again (`REPLICAOF NO ONE`);
 * 4. with `appendonly yes` the server rewrites its AOF after a full sync, so the restored data is
 *    what a restart loads. The script waits for that rewrite to finish and checks it succeeded.
 *
 * ACL users are not part of an RDB, so a restore leaves users and passwords as they are.
 */
function restoreScript(binaries: RedisBinaries): string {
  return String.raw`set -eu
${pickBinary('cli', binaries.cli)}
${pickBinary('server', binaries.server)}
main() { "$cli" --no-auth-warning --user "$KRINT_USER" -p "$KRINT_PORT" "$@"; }
temp() { env -u REDISCLI_AUTH "$cli" -p "$temp_port" "$@"; }
info_field() { main INFO "$1" | tr -d '\r' | sed -n "s/^$2://p"; }
data_dir=$(main CONFIG GET dir | tr -d '\r' | sed -n 2p)
[ -n "$data_dir" ] || { echo "could not read the server's data directory (wrong password?)" >&2; exit 1; }
work=$(mktemp -d "$data_dir/krint-restore.XXXXXX")
temp_pid=''
replicating=no
cleanup() {
  status=$?
  if [ "$replicating" = yes ]; then main REPLICAOF NO ONE >/dev/null 2>&1 || true; fi
  if [ -n "$temp_pid" ]; then kill "$temp_pid" 2>/dev/null || true; wait "$temp_pid" 2>/dev/null || true; fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

cat > "$work/dump.rdb"
if [ "$(head -c 5 "$work/dump.rdb")" != "${RDB_MAGIC}" ]; then
  echo "the uploaded file is not an RDB dump (it does not start with ${RDB_MAGIC})" >&2
  exit 2
fi

# A free loopback port for the temporary server: never the instance's own.
temp_port=''
for candidate in $(( 20000 + $$ % 10000 )) $(( 30000 + $$ % 10000 )) $(( 40000 + $$ % 10000 )); do
  if [ "$candidate" != "$KRINT_PORT" ] && ! env -u REDISCLI_AUTH "$cli" -p "$candidate" PING >/dev/null 2>&1; then
    temp_port=$candidate
    break
  fi
done
[ -n "$temp_port" ] || { echo "found no free port for the temporary server" >&2; exit 1; }

"$server" --port "$temp_port" --bind 127.0.0.1 --protected-mode yes --save '' --appendonly no \
  --repl-diskless-sync-delay 0 --dir "$work" --dbfilename dump.rdb --logfile "$work/temp.log" &
temp_pid=$!
tries=0
until [ "$(temp PING 2>/dev/null)" = PONG ] && [ "$(temp INFO persistence | tr -d '\r' | sed -n 's/^loading://p')" = 0 ]; do
  if ! kill -0 "$temp_pid" 2>/dev/null; then
    echo "the dump could not be loaded (corrupt, or written by a newer server version):" >&2
    tail -n 5 "$work/temp.log" >&2 || true
    temp_pid=''
    exit 3
  fi
  tries=$((tries + 1))
  [ "$tries" -le 1200 ] || { echo "the temporary server did not load the dump within 10 minutes" >&2; exit 4; }
  sleep 0.5
done

replicating=yes
main REPLICAOF 127.0.0.1 "$temp_port" >/dev/null
tries=0
until [ "$(info_field replication master_link_status)" = up ] && [ "$(info_field replication master_sync_in_progress)" = 0 ] && [ "$(info_field persistence loading)" = 0 ]; do
  tries=$((tries + 1))
  [ "$tries" -le 1200 ] || { echo "the instance did not finish loading the dump within 10 minutes" >&2; exit 5; }
  sleep 0.5
done
main REPLICAOF NO ONE >/dev/null
replicating=no

if [ "$(info_field persistence aof_enabled)" = 1 ]; then
  tries=0
  until [ "$(info_field persistence aof_rewrite_in_progress)" = 0 ] && [ "$(info_field persistence aof_rewrite_scheduled)" = 0 ]; do
    tries=$((tries + 1))
    [ "$tries" -le 1200 ] || { echo "the append-only file was not rewritten within 10 minutes" >&2; exit 6; }
    sleep 0.5
  done
  if [ "$(info_field persistence aof_last_bgrewrite_status)" != ok ]; then
    echo "the append-only file could not be rewritten after the restore; the data is loaded but a restart would lose it" >&2
    exit 7
  fi
fi
echo "restored $(main DBSIZE) keys into DB 0; every DB number in the dump was loaded"
`;
}

function contextEnv(context: DumpContext): Record<string, string> {
  return {
    REDISCLI_AUTH: context.rootPassword,
    KRINT_USER: context.rootUser,
    KRINT_PORT: String(context.internalPort),
  };
}

function shell(script: string, context: DumpContext): ExecCommand {
  return { argv: ['sh', '-c', script], env: contextEnv(context) };
}

/** Dump and restore for a Redis-protocol server whose binaries are `binaries`. */
export function redisBackup(binaries: RedisBinaries = REDIS_BINARIES): BackupSupport {
  const dump = dumpScript(binaries);
  const restore = restoreScript(binaries);
  return {
    fileExtension: 'rdb',
    dumpCommand: (context) => shell(dump, context),
    restoreCommand: (context) => shell(restore, context),
    checkDumpHeader(firstBytes) {
      const magic = Buffer.from(firstBytes.subarray(0, 9)).toString('latin1');
      if (!magic.startsWith(RDB_MAGIC)) return 'The file is not an RDB dump: it does not start with "REDIS".';
      if (magic.length === 9 && !/^\d{4}$/.test(magic.slice(5))) return 'The file is not an RDB dump: the version after "REDIS" is not four digits.';
      return null;
    },
  };
}
