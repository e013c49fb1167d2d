import type {
  AccessLevel,
  ColumnInfo,
  DatabaseInfo,
  Grant,
  QueryResult,
  Row,
  RowKey,
  RowPage,
  RowUpdate,
  TableInfo,
  UserInfo,
} from '@krint/engine-sdk';

/**
 * THE contract between the control plane and an agent (in-process or on a node). Every operation
 * on an instance is one of these commands or streams; both sides import this file, so it has
 * exactly one definition. Arguments and results are plain JSON: they cross the hub as-is.
 *
 * A node keeps no state, so every command carries what it needs to reach the instance.
 */

/** How the agent reaches an instance on its own host. Secrets inside: never log it. */
export interface InstanceAddress {
  readonly engineId: string;
  readonly version: string;
  readonly containerId: string;
  /** Published port on the agent's host; the agent connects through loopback. */
  readonly hostPort: number;
  readonly rootUser: string;
  readonly rootPassword: string;
  readonly defaultDatabase: string;
}

export type StorageMode = 'volume' | 'host';

export interface CreateInstanceArgs {
  readonly engineId: string;
  readonly version: string;
  /** Krint's id for the instance; becomes the `krint.instance` label. */
  readonly instanceId: string;
  /** Human-friendly slug used in the container and volume names. */
  readonly slug: string;
  readonly rootPassword: string;
  readonly defaultDatabase: string;
  readonly plugins: readonly string[];
  /** `true` binds 0.0.0.0, `false` binds 127.0.0.1. */
  readonly isPublic: boolean;
  readonly storage: StorageMode;
  /** Host folder for `host` storage (on the agent's machine). */
  readonly hostPath?: string;
  /** A specific host port; allocated from the engine's range when absent. */
  readonly hostPort?: number;
  /** Extra labels, e.g. the previous container during an upgrade. */
  readonly labels?: Readonly<Record<string, string>>;
}

export interface CreatedInstance {
  readonly containerId: string;
  readonly containerName: string;
  readonly volumeName: string | null;
  readonly hostPort: number;
}

/** A container found by `instance.discover`, with the labels reconciliation reads. */
export interface DiscoveredContainer {
  readonly containerId: string;
  readonly containerName: string;
  readonly instanceId: string;
  readonly engineId: string;
  readonly version: string;
  /** `primary` or `replacement` (`krint.role`); null on containers made before the label. */
  readonly role: string | null;
  /** The container a replacement replaces (`krint.replaces`). */
  readonly replaces: string | null;
  readonly state: ContainerState;
  readonly hostPort: number | null;
  readonly volumeNames: readonly string[];
  readonly createdAt: string | null;
}

export interface DiscoveredVolume {
  readonly name: string;
  readonly instanceId: string;
}

export interface DiscoveredResources {
  readonly containers: readonly DiscoveredContainer[];
  readonly volumes: readonly DiscoveredVolume[];
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing' | 'missing';

export interface ContainerStatus {
  readonly state: ContainerState;
  readonly startedAt: string | null;
  readonly exitCode: number | null;
  readonly health?: string;
}

export interface ContainerStats {
  readonly cpuPercent: number;
  readonly memoryBytes: number;
  readonly memoryLimitBytes: number;
}

export interface AgentInfo {
  readonly machineName: string;
  readonly os: string;
  readonly arch: string;
  readonly dockerVersion: string;
  readonly krintVersion: string;
  readonly protocolVersion: string;
  readonly engines: readonly string[];
}

type Addressed<T = object> = { readonly instance: InstanceAddress } & T;
type InDatabase<T = object> = Addressed<{ readonly database: string } & T>;
type InTable<T = object> = InDatabase<{ readonly table: string } & T>;

/** Request/response commands: name → arguments and result. */
export interface CommandMap {
  'agent.info': { args: Record<string, never>; result: AgentInfo };
  'agent.ping': { args: { readonly sentAt: number }; result: { readonly sentAt: number; readonly agentTime: number } };

  /**
   * Creates the container with its volume or host folder and starts it (the port is only bound at
   * start, so a clash is found here; an allocated port moves on to the next free one). Fails before
   * creating anything on an unknown version or plugin or a missing image, and removes what it made
   * on any later failure. `instance.start` afterwards is harmless.
   */
  'instance.create': { args: CreateInstanceArgs; result: CreatedInstance };
  'instance.start': { args: { readonly containerId: string }; result: ContainerStatus };
  'instance.stop': { args: { readonly containerId: string }; result: ContainerStatus };
  'instance.restart': { args: { readonly containerId: string }; result: ContainerStatus };
  /** Removes the container, and its named volume when `removeVolume`. Idempotent. Refuses containers without `krint.managed=true`. */
  'instance.remove': { args: { readonly containerId: string; readonly removeVolume: boolean }; result: { readonly removed: boolean } };
  'instance.status': { args: { readonly containerIds: readonly string[] }; result: Record<string, ContainerStatus> };
  /**
   * Every container and volume on this host labelled `krint.managed=true` and
   * `krint.installation=<installationId>`: what reconciliation compares with the control plane's
   * records.
   */
  'instance.discover': { args: { readonly installationId: string }; result: DiscoveredResources };
  /** Removes a named volume carrying `krint.managed=true` (an orphan whose container is gone). Idempotent. */
  'volume.remove': { args: { readonly name: string }; result: { readonly removed: boolean } };
  'instance.stats': { args: { readonly containerIds: readonly string[] }; result: Record<string, ContainerStats> };
  /** Waits until the engine answers (readiness), or fails naming the address and the last log lines. */
  'instance.waitReady': { args: Addressed<{ readonly ceilingMs?: number }>; result: { readonly elapsedMs: number } };
  /** Applies the plugins declared as statements once ready. */
  'instance.installPlugins': { args: Addressed<{ readonly plugins: readonly string[] }>; result: Record<string, never> };

  'db.listDatabases': { args: Addressed; result: DatabaseInfo[] };
  'db.createDatabase': { args: InDatabase; result: Record<string, never> };
  'db.dropDatabase': { args: InDatabase; result: Record<string, never> };
  'db.listTables': { args: InDatabase; result: TableInfo[] };
  'db.describeTable': { args: InTable; result: ColumnInfo[] };
  'db.countRows': { args: InTable; result: number };
  'db.readRows': { args: InTable<{ readonly cursor?: string | null; readonly limit: number }>; result: RowPage };
  'db.insertRow': { args: InTable<{ readonly values: Row }>; result: Row };
  'db.updateRow': { args: InTable<{ readonly update: RowUpdate }>; result: Row };
  'db.bulkUpdate': { args: InTable<{ readonly updates: readonly RowUpdate[] }>; result: number };
  'db.deleteRow': { args: InTable<{ readonly key: RowKey }>; result: Record<string, never> };
  'db.dropTable': { args: InTable; result: Record<string, never> };
  'db.query': { args: InDatabase<{ readonly text: string; readonly rowLimit: number; readonly timeoutMs: number }>; result: QueryResult };
  /** Every database → table → exact row count; used to verify restores and upgrades. */
  'db.inventory': { args: Addressed; result: InventoryEntry[] };

  'users.list': { args: Addressed; result: UserInfo[] };
  'users.create': { args: Addressed<{ readonly name: string; readonly password: string }>; result: Record<string, never> };
  'users.drop': { args: Addressed<{ readonly name: string }>; result: Record<string, never> };
  'users.setPassword': { args: Addressed<{ readonly name: string; readonly password: string }>; result: Record<string, never> };
  'users.grant': { args: Addressed<{ readonly name: string; readonly database: string; readonly access: AccessLevel }>; result: Record<string, never> };
  'users.revoke': { args: Addressed<{ readonly name: string; readonly database: string }>; result: Record<string, never> };
  'users.listGrants': { args: Addressed<{ readonly name?: string }>; result: Grant[] };

  /** Writes to an interactive exec session opened by the `exec.attach` stream; `data` is UTF-8 text (keystrokes). */
  'exec.input': { args: { readonly sessionId: string; readonly data: string }; result: Record<string, never> };
  'exec.resize': { args: { readonly sessionId: string; readonly columns: number; readonly rows: number }; result: Record<string, never> };
}

export interface InventoryEntry {
  readonly database: string;
  readonly table: string;
  readonly rows: number;
}

/** Progress of a long operation, as shown to users. */
export interface ProgressEvent {
  /** `pull`, `create`, `start`, `ready`, `dump`, `restore`, `verify`... */
  readonly phase: string;
  readonly message: string;
  /** Bytes or layers done and total, when known. */
  readonly current?: number;
  readonly total?: number;
}

export interface LogLine {
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
  /** RFC 3339 timestamp from Docker. */
  readonly time: string;
}

/**
 * The log lines that one read of the container log completed, in order: a single line when the
 * container is quiet, hundreds in a burst. A burst then crosses every hop (executor, node hub,
 * subscription) as a few items instead of one per line, and a quiet line is never held back.
 * Batches are handed over, not shared: the producer never touches one again once it has yielded
 * it, so the in-process executor passes it on by reference, and a consumer must not modify it.
 */
export interface LogBatch {
  readonly lines: readonly LogLine[];
}

/** Server-to-caller streams: name → arguments and the item type. */
export interface StreamMap {
  /** Pulls the engine image (no-op when present) and reports progress. */
  'image.pull': { args: { readonly image: string }; item: ProgressEvent };
  /** The container log: `tail` last lines, then follows until cancelled; never an empty batch. */
  'logs.follow': { args: { readonly containerId: string; readonly tail: number; readonly follow: boolean }; item: LogBatch };
  /**
   * A dump as binary chunks. Ends after the last chunk; errors if the dump
   * fails, i.e. when the dump tool exits non-zero or writes anything to stderr (checked after the
   * last chunk, so a consumer must treat the file as good only once the stream ends cleanly).
   */
  'backup.dump': { args: Addressed; item: DumpChunk };
  /** An interactive shell; the first item carries the session id for `exec.input`/`exec.resize`. */
  'exec.attach': { args: { readonly containerId: string; readonly command?: readonly string[]; readonly columns: number; readonly rows: number }; item: ExecOutput };
  /**
   * What happens to the host's Krint containers ({@link CONTAINER_EVENT_ACTIONS}), whoever caused
   * it (Krint, a person with the docker CLI, the kernel's OOM killer), as it happens, until
   * cancelled. Never ends on its own while Docker answers.
   */
  'events.watch': { args: Record<string, never>; item: ContainerEvent };
}

/** The Docker container events that change what a user sees of an instance. */
export const CONTAINER_EVENT_ACTIONS = ['start', 'die', 'stop', 'oom', 'destroy'] as const;
export type ContainerEventAction = (typeof CONTAINER_EVENT_ACTIONS)[number];

/** A container of an instance changed, with the state it is in after the change. */
export interface ContainerEvent {
  /** The container's `krint.instance` label. */
  readonly instanceId: string;
  readonly containerId: string;
  readonly action: ContainerEventAction;
  /** The container's state just after the event (`missing` once destroyed). */
  readonly state: ContainerState;
  /** The exit code Docker reported with a `die`; null otherwise. */
  readonly exitCode: number | null;
  /** When Docker saw it (ISO 8601). */
  readonly at: string;
}

/**
 * One piece of a dump or restore, as raw bytes. Chunks are handed over, not shared: the producer
 * never touches a chunk again once it has yielded it, so every hop (the in-process executor, the
 * node hub's MessagePack `bin` values, a file write) passes the same bytes on without copying or
 * encoding them. A consumer must not modify a chunk it received either, and must not assume more
 * than a `Uint8Array` (a chunk may be a view into a larger buffer).
 */
export interface DumpChunk {
  /** At most {@link DUMP_CHUNK_BYTES} bytes; may be empty. */
  readonly data: Uint8Array;
}

export const DUMP_CHUNK_BYTES = 256 * 1024;

export type ExecOutput =
  | { readonly kind: 'started'; readonly sessionId: string }
  /** Terminal output as UTF-8 text; a character split between reads is never cut in half. */
  | { readonly kind: 'output'; readonly data: string }
  | { readonly kind: 'exit'; readonly exitCode: number | null };

/** Caller-to-agent uploads: name → arguments (the body is a stream of {@link DumpChunk}). */
export interface UploadMap {
  /** Restores a dump read from the chunk stream into the instance. */
  'backup.restore': { args: Addressed; result: { readonly bytes: number } };
}

export type CommandName = keyof CommandMap;
export type CommandArgs<K extends CommandName> = CommandMap[K]['args'];
export type CommandResult<K extends CommandName> = CommandMap[K]['result'];
export type StreamName = keyof StreamMap;
export type StreamArgs<K extends StreamName> = StreamMap[K]['args'];
export type StreamItem<K extends StreamName> = StreamMap[K]['item'];
export type UploadName = keyof UploadMap;
export type UploadArgs<K extends UploadName> = UploadMap[K]['args'];
export type UploadResult<K extends UploadName> = UploadMap[K]['result'];

export interface CallOptions {
  /** Aborting cancels the command on the agent (stops a stream, kills a dump). */
  readonly signal?: AbortSignal;
}

/**
 * Runs commands on one agent. The control plane has one per Docker host: the in-process handler
 * for its own, a hub-backed one per connected node. Callers cannot tell them apart.
 */
export interface CommandExecutor {
  run<K extends CommandName>(name: K, args: CommandArgs<K>, options?: CallOptions): Promise<CommandResult<K>>;
  stream<K extends StreamName>(name: K, args: StreamArgs<K>, options?: CallOptions): AsyncIterable<StreamItem<K>>;
  upload<K extends UploadName>(
    name: K,
    args: UploadArgs<K>,
    body: AsyncIterable<DumpChunk>,
    options?: CallOptions,
  ): Promise<UploadResult<K>>;
}

/** Errors crossing the protocol keep a code so the control plane can type them. */
export interface WireError {
  readonly code: 'INVALID_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'NOT_SUPPORTED' | 'UNAVAILABLE' | 'TIMEOUT' | 'INTERNAL';
  readonly message: string;
  readonly field?: string;
}
