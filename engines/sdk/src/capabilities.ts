/**
 * What an engine can do. Clients (GraphQL `Engine.capabilities`, the web UI) read these values to
 * decide what to show; nobody branches on an engine's name. Every flag defaults to `false` through
 * {@link defineCapabilities}, so adding a capability later does not break third-party engines.
 */
export interface Capabilities {
  /** Databases can be created and dropped (PostgreSQL: yes; Redis: a fixed set of numbered DBs). */
  readonly createDatabase: boolean;
  /** Rows (documents, keys) can be read page by page. */
  readonly browse: boolean;
  /** Single rows can be inserted, updated and deleted with an exactly-one-row guard. */
  readonly editRows: boolean;
  /** Several row updates can be applied atomically in one transaction. */
  readonly bulkUpdate: boolean;
  /** Tables (collections) can be dropped. */
  readonly dropTable: boolean;
  /** Free-form queries can be run from the console (SQL, or the engine's own command language). */
  readonly query: boolean;
  /** Users, passwords and per-database grants can be managed. */
  readonly users: boolean;
  /** The instance can be dumped to a stream and restored from one. */
  readonly backup: boolean;
  /** The instance can be moved to another version in place. */
  readonly upgrade: boolean;
  /** Paging uses a key (keyset pagination), not OFFSET. */
  readonly keysetPaging: boolean;
}

export type CapabilityName = keyof Capabilities;

export const CAPABILITY_NAMES = [
  'createDatabase',
  'browse',
  'editRows',
  'bulkUpdate',
  'dropTable',
  'query',
  'users',
  'backup',
  'upgrade',
  'keysetPaging',
] as const satisfies readonly CapabilityName[];

/** Fills every capability an engine does not mention with `false`. */
export function defineCapabilities(flags: Partial<Capabilities>): Capabilities {
  const all = Object.fromEntries(CAPABILITY_NAMES.map((name) => [name, flags[name] ?? false]));
  return Object.freeze(all) as unknown as Capabilities;
}

/**
 * The engine's own words for its levels of data, so clients say "collection" to a MongoDB user and
 * "key" to a Redis user. Singular, lower case.
 */
export interface Terms {
  /** `database`, `DB number`, `keyspace`. */
  readonly database: string;
  /** `table`, `collection`, `key pattern`. */
  readonly table: string;
  /** `row`, `document`, `key`. */
  readonly row: string;
  /** Language of the query console, e.g. `sql`, `redis`, `javascript`. */
  readonly queryLanguage?: string;
}
