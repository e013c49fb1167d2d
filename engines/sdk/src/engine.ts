import type { BackupSupport } from './backup.js';
import type { Capabilities, Terms } from './capabilities.js';
import type { CredentialExposure } from './credentials.js';
import type { ContainerSpec, EngineVersion, ProvisionInput } from './container-spec.js';
import type { EnginePlugin } from './plugins.js';
import type { Readiness } from './readiness.js';
import type { ConnectionTarget, EngineSession } from './session.js';
import type { UpgradeSupport } from './upgrade.js';

/** The version of this interface; third-party engines declare the one they were written for. */
export const ENGINE_SDK_VERSION = 1;

/** A connection string shown to users for one kind of client. */
export interface ConnectionString {
  /** `URI`, `psql`, `JDBC`, `redis-cli`... */
  readonly label: string;
  readonly value: string;
}

/**
 * A database engine Krint can run. One object per engine, loaded by both the control plane and the
 * agent. Copy the PostgreSQL engine (`@krint/engine-postgres`) when writing a new one.
 *
 * Optional members are capabilities: an engine without dumps leaves `backup` out, and callers turn
 * that into a typed "not supported" error at one place. Nothing here talks to Docker.
 */
export interface Engine {
  /** Stable key stored with every instance, e.g. `postgres`. Lower case, no spaces. */
  readonly id: string;
  readonly displayName: string;
  readonly description: string;
  /** Which {@link ENGINE_SDK_VERSION} the engine implements. */
  readonly sdkVersion: number;
  /** Versions users can pick, newest first; one marked `isDefault`. */
  readonly versions: readonly EngineVersion[];
  /** Host ports for new instances are taken from this range, inclusive. */
  readonly hostPortRange: readonly [number, number];
  /** The administrative user the image creates and whose password Krint generates. */
  readonly rootUser: string;
  /** The database created at provision time when the user names none. */
  readonly defaultDatabase: string;
  readonly capabilities: Capabilities;
  readonly terms: Terms;
  /** Extras that can be chosen at provision time. */
  readonly plugins: readonly EnginePlugin[];

  /** Describes the container for a new instance. Pure: the same input gives the same spec. */
  containerSpec(input: ProvisionInput): ContainerSpec;
  /** How to tell the instance is ready after start. */
  readonly readiness: Readiness;
  /** Opens a session on a running instance. The caller closes it. */
  connect(target: ConnectionTarget): Promise<EngineSession>;
  /** Connection strings for common clients, built with `URL` so names and passwords are escaped. */
  connectionStrings(target: ConnectionTarget): ConnectionString[];

  readonly backup?: BackupSupport;
  readonly upgrade?: UpgradeSupport;
  /**
   * Where the engine's data and log expose credentials (tables of password hashes, statement text
   * with passwords); the control plane keeps them from viewers. Absent: nothing to hide.
   */
  readonly credentials?: CredentialExposure;
}

/** Finds a version of an engine by its name, or the default when `version` is absent. */
export function resolveVersion(engine: Engine, version?: string | null): EngineVersion | undefined {
  if (version === undefined || version === null || version === '') {
    return engine.versions.find((v) => v.isDefault) ?? engine.versions[0];
  }
  return engine.versions.find((v) => v.version === version);
}
