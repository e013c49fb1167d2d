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
}
