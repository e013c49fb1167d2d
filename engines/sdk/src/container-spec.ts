/**
 * How to run one instance of an engine, as data. The Docker runtime in `agent/` is the only code
 * that turns this into Docker calls; an engine never talks to Docker itself.
 */
export interface ContainerSpec {
  /** Full image reference, e.g. `postgres:17`. */
  readonly image: string;
  /** Environment for the container. May contain secrets: never log it. */
  readonly env: Readonly<Record<string, string>>;
  /** Command (arguments after the image's entrypoint); the image default when absent. */
  readonly cmd?: readonly string[];
  /** The port the server listens on inside the container. */
  readonly internalPort: number;
  /** Where the engine keeps its data inside the container; the volume or host folder mounts here. */
  readonly dataPath: string;
  /** Extra labels; the runtime adds the `krint.*` ones itself. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Shared memory size in bytes, for engines that need more than Docker's 64 MB default. */
  readonly shmSizeBytes?: number;
}

/** One selectable version of an engine and the image that runs it. */
export interface EngineVersion {
  /** What users pick and what is stored, e.g. `17` or `10.11`. */
  readonly version: string;
  /** Image reference for this version, e.g. `postgres:17`. */
  readonly image: string;
  /** Marks the version the wizard preselects. Exactly one version per engine should set it. */
  readonly isDefault?: boolean;
}

/** Everything an engine needs to describe a new container. */
export interface ProvisionInput {
  readonly version: EngineVersion;
  /** Password of the engine's administrative user. */
  readonly rootPassword: string;
  /** Name of the database created on first start (ignored by engines without named databases). */
  readonly defaultDatabase: string;
  /** Ids of the engine plugins (extras) chosen at provision time, already validated. */
  readonly plugins: readonly string[];
}
