import { BUILT_IN_ENGINES, createEngineRegistry } from '@krint/agent';
import type { EngineRegistry } from '@krint/engine-sdk';
import { postgresEngine } from '@krint/engine-postgres';

/** The agent's built-in engines, plus PostgreSQL when the agent does not list it (yet). For tests. */
export function testEngineRegistry(): Promise<EngineRegistry> {
  const builtIn = BUILT_IN_ENGINES.some((engine) => engine.id === 'postgres') ? BUILT_IN_ENGINES : [...BUILT_IN_ENGINES, postgresEngine];
  return createEngineRegistry({ builtIn, plugins: [] });
}
