import { randomUUID } from 'node:crypto';
import type { Docker } from './client.js';

/**
 * Ending an exec whose caller is gone.
 *
 * Docker has no API to kill an exec: closing its connection only closes the command's stdin, and a
 * dump tool that never reads stdin keeps running (and keeps the database busy) until it is done.
 * The exec's `Pid` from `GET /exec/{id}/json` does not help either: it is a pid of the daemon's
 * namespace, which neither an agent in another container nor a process inside the database
 * container can use. So every process Krint starts in a container carries a marker in its
 * environment, `KRINT_EXEC=<id>`, which its children inherit (pg_dumpall's pg_dump, a shell's
 * commands), and the way to end an exec is to signal every process inside the container whose
 * environment holds that marker: {@link REAP_SCRIPT}, run inside the container.
 *
 * What runs it:
 * - Commands that do not read stdin (dumps, short commands) run under {@link WATCHDOG_SCRIPT},
 *   which keeps the exec's stdin (the agent's connection) open and reaps the command once it reads
 *   end of file there. The daemon closes that stdin whenever the connection ends, so the command
 *   is ended whether the agent cancelled it or the agent's process died: nothing on the agent's
 *   side has to survive for the cleanup to happen.
 * - Commands whose stdin is their input (restores) or a terminal (shells) carry the marker from
 *   the exec's environment, and the agent reaps them with a second exec ({@link reapExec}) when
 *   their caller leaves.
 *
 * Needs `/bin/sh`, `tr`, `grep`, `sed`, `cut`, `kill` and `sleep` in the image, as every engine
 * image has.
 */
export const EXEC_MARKER_VARIABLE = 'KRINT_EXEC';

/**
 * Why the order matters: in many database images the server is the container's PID 1, and a
 * process whose parent dies before it does is handed to PID 1. PostgreSQL's postmaster takes any
 * child of its own that ends by a signal for a crashed backend and restarts every session. So
 * nothing here may end by a signal without its parent alive to collect it: each round signals only
 * the marked processes none of whose marked children are left (leaves first: a parent collects
 * its child and then ends on its own, or becomes a leaf of the next round). The watchdog's own
 * watcher, which PID 1 may inherit once the exec's shell is gone, is never signalled and ends with
 * status 0.
 */
/** Rounds of TERM to the remaining leaves (every 100 ms), then rounds of KILL. */
const TERM_ROUNDS = 10;
const KILL_ROUNDS = 20;

/**
 * `sh -c REAP_SCRIPT reap <id>`: ends every process marked with `<id>`, leaves first, and returns
 * once none is left (or after the KILL rounds). Busybox `grep -F` stops reading a line at a NUL,
 * so the environment is split into lines first.
 */
const REAP_FUNCTION = `reap() {
  round=0
  while [ "$round" -lt ${TERM_ROUNDS + KILL_ROUNDS} ]; do
    list=$(for p in /proc/[0-9]*; do
      tr '\\0' '\\n' < "$p/environ" 2>/dev/null | grep -qxF "${EXEC_MARKER_VARIABLE}=$1" &&
        echo "\${p#/proc/} $(sed -n 's/^PPid:[[:space:]]*//p' "$p/status" 2>/dev/null)"
    done)
    [ -n "$list" ] || return 0
    parents=" $(echo "$list" | cut -d ' ' -f 2 | tr '\\n' ' ') "
    leaves=
    for pid in $(echo "$list" | cut -d ' ' -f 1); do
      case "$parents" in *" $pid "*) ;; *) leaves="$leaves $pid" ;; esac
    done
    round=$((round + 1))
    if [ "$round" -le ${TERM_ROUNDS} ]; then kill -TERM $leaves 2>/dev/null; else kill -KILL $leaves 2>/dev/null; fi
    sleep 0.1 2>/dev/null || sleep 1
  done
  return 0
}`;

export const REAP_SCRIPT = `${REAP_FUNCTION}
reap "$1"`;

/**
 * `sh -c WATCHDOG_SCRIPT krint-exec <id> <argv...>`: runs argv marked with `<id>` (stdin from
 * /dev/null, output as is) and exits with its status. Beside it, a watcher holds the exec's stdin
 * (explicitly: a background job's stdin is /dev/null otherwise) and reaps the command when that
 * stdin ends. When the command ends first, the script exits at once and the exec ends with it: the
 * watcher holds only stdin, not the output, and the daemon closes that stdin when the exec's process
 * exits, so the watcher then finds nothing marked and ends too.
 *
 * Nothing here signals a process by a pid remembered earlier: the database server forks a backend
 * for every connection, so a pid freed a moment ago (a watcher gone early) can already belong to a
 * PostgreSQL backend, and a TERM to it makes the postmaster restart the whole server. Only the
 * marker, read from the process itself just before the signal, says what is ours.
 */
export const WATCHDOG_SCRIPT = `${REAP_FUNCTION}
id=$1; shift
exec 3<&0
${EXEC_MARKER_VARIABLE}=$id "$@" 3<&- &
command=$!
{ while read -r _; do :; done; reap "$id"; } <&3 >/dev/null 2>&1 &
exec 3<&-
wait "$command"
exit $?`;

/** A fresh marker value for one exec. */
export function newExecMarker(): string {
  return randomUUID();
}

/** `argv` wrapped in the watchdog: ended inside the container when the exec's connection ends. */
export function watchedArgv(marker: string, argv: readonly string[]): string[] {
  return ['/bin/sh', '-c', WATCHDOG_SCRIPT, 'krint-exec', marker, ...argv];
}

/**
 * Ends every process of the exec marked `marker` in the container, from a second exec. Resolves
 * when they are gone (or the container is); never throws, since the caller is already leaving.
 */
export async function reapExec(docker: Docker, containerId: string, marker: string, user?: string): Promise<void> {
  try {
    // As the command's own user, which may always signal its processes.
    const exec = await docker.getContainer(containerId).exec({
      Cmd: ['/bin/sh', '-c', REAP_SCRIPT, 'krint-reap', marker],
      ...(user ? { User: user } : {}),
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    });
    const stream = await exec.start();
    stream.resume();
    await new Promise<void>((resolve) => {
      stream.once('close', resolve);
      stream.once('end', resolve);
      stream.once('error', () => resolve());
    });
  } catch {
    // The container is gone or stopped: so is the command.
  }
}
