import { EngineRegistry } from '@krint/engine-sdk';
import type { Engine } from '@krint/engine-sdk';
import mariadb from '@krint/engine-mariadb';
import mongo from '@krint/engine-mongo';
import mysql from '@krint/engine-mysql';
import postgres from '@krint/engine-postgres';
import redis from '@krint/engine-redis';
import valkey from '@krint/engine-valkey';

/** The engines every Krint agent and control plane ships with, in the order the wizard lists them. */
export const BUILT_IN_ENGINES: readonly Engine[] = [postgres, mysql, mariadb, mongo, redis, valkey];

/** The configuration key naming third-party engine packages, comma-separated. */
export const ENGINE_PLUGINS_ENV = 'Krint__EnginePlugins';

export interface EngineRegistryOptions {
  /** Third-party packages to load; defaults to the {@link ENGINE_PLUGINS_ENV} list. */
  readonly plugins?: readonly string[];
  /** Engines to start from instead of the built-in ones (tests). */
  readonly builtIn?: readonly Engine[];
}

/** Parses the comma list of {@link ENGINE_PLUGINS_ENV}: blanks and duplicates are dropped. */
export function enginePluginsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = env[ENGINE_PLUGINS_ENV] ?? '';
  return [...new Set(raw.split(',').map((name) => name.trim()).filter(Boolean))];
}

/**
 * The built-in engines plus every configured third-party package. A package that cannot be loaded
 * stops start-up with its name and the reason: an instance of a missing engine could not be run.
 */
export async function createEngineRegistry(options: EngineRegistryOptions = {}): Promise<EngineRegistry> {
  const registry = new EngineRegistry(options.builtIn ?? BUILT_IN_ENGINES);
  for (const name of options.plugins ?? enginePluginsFromEnv()) {
    try {
      await registry.load(name);
    } catch (error) {
      throw new Error(`Engine package "${name}" (from ${ENGINE_PLUGINS_ENV}) could not be loaded: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }
  return registry;
}
