/**
 * An opt-in extra chosen at provision time (PostgreSQL's `postgis`, a Redis module). A plugin is a
 * value: how it is installed is declared here, and no caller has a code path per plugin. `env` and
 * `args` plugins are folded into the container by the engine's own `containerSpec` (it knows where
 * its arguments go); `statements` plugins are run by the agent once the instance is ready.
 */
export interface EnginePlugin {
  /** Stable id users pass at provision time, e.g. `postgis`. */
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly install: PluginInstall;
}

export type PluginInstall =
  /** Statements run in the default database once the instance is ready. */
  | { readonly kind: 'statements'; readonly statements: readonly string[] }
  /** Extra environment for the container. */
  | { readonly kind: 'env'; readonly env: Readonly<Record<string, string>> }
  /** Extra server arguments appended to the container command. */
  | { readonly kind: 'args'; readonly args: readonly string[] };
