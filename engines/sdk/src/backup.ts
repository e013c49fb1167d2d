/** A command run inside the instance's container with `docker exec`. */
export interface ExecCommand {
  readonly argv: readonly string[];
  /** Extra environment for the command only. May hold secrets: never logged. */
  readonly env?: Readonly<Record<string, string>>;
  /** User to run as inside the container; the image default when absent. */
  readonly user?: string;
}

/** What a dump or restore command knows about the instance. */
export interface DumpContext {
  readonly version: string;
  readonly rootUser: string;
  readonly rootPassword: string;
  readonly defaultDatabase: string;
  /** Port the server listens on inside the container. */
  readonly internalPort: number;
}

/**
 * Reads a dump once, chunk by chunk as it streams past, and finds what the restore client would
 * run other than SQL (psql's `\!`, the MySQL client's `system`): a dump is data, and a received
 * one must not reach a shell in the container. Holds a few bytes of state, never the dump.
 */
export interface DumpScanner {
  /** The next bytes of the dump. Returns why it must not be restored (naming the line), or null. */
  push(chunk: Uint8Array): string | null;
  /** The dump has ended. Returns a problem only the end reveals, or null. */
  end(): string | null;
}

/**
 * Dumps run the engine's own tool inside the container, so the tool always matches the server
 * version, and stream through stdout; restores read the dump from stdin. Both are plain data so the
 * same definition works on the control plane's host and on a node.
 */
export interface BackupSupport {
  /** File extension of a dump, without the dot: `sql`, `archive`, `rdb`. */
  readonly fileExtension: string;
  /** Writes the whole dump to stdout; a non-zero exit code means the dump is not good. */
  dumpCommand(context: DumpContext): ExecCommand;
  /** Reads a dump from stdin and loads it, replacing what the dump contains. */
  restoreCommand(context: DumpContext): ExecCommand;
  /**
   * Checks the start of an uploaded file (first bytes) before it is accepted as a dump of this
   * engine. Returns a reason when the file is not a dump, `null` when it looks right.
   */
  checkDumpHeader?(firstBytes: Uint8Array): string | null;
  /**
   * A fresh {@link DumpScanner} for one dump. Every upload and every restore passes the whole dump
   * through one before anything runs. Absent when the restore tool takes no commands (archives, RDB).
   */
  createDumpScanner?(): DumpScanner;
}
