import type { Engine } from './engine.js';
import { ENGINE_SDK_VERSION } from './engine.js';
import { InvalidInputError, NotFoundError } from './errors.js';

/**
 * The engines one process can run: the built-in ones plus third-party packages named in
 * configuration. Both the control plane and the agent build one at start.
 */
export class EngineRegistry {
  readonly #engines = new Map<string, Engine>();

  constructor(engines: Iterable<Engine> = []) {
    for (const engine of engines) this.register(engine);
  }

  register(engine: Engine): void {
    const problem = describeInvalidEngine(engine);
    if (problem) throw new Error(`Engine "${String((engine as { id?: unknown }).id)}" cannot be loaded: ${problem}`);
    if (this.#engines.has(engine.id)) throw new Error(`Engine "${engine.id}" is registered twice.`);
    this.#engines.set(engine.id, engine);
  }

  /**
   * Loads a third-party engine package by name (it must be installed beside Krint). The package
   * exports the engine as its default export or as `engine`.
   */
  async load(packageName: string): Promise<Engine> {
    const loaded: unknown = await import(packageName);
    const candidate = pickEngineExport(loaded);
    if (!candidate) throw new Error(`Package "${packageName}" exports no engine (expected a default export or "engine").`);
    this.register(candidate);
    return candidate;
  }

  list(): Engine[] {
    return [...this.#engines.values()];
  }

  find(id: string): Engine | undefined {
    return this.#engines.get(id);
  }

  /** Like {@link find}, with an error that lists the engines there are. */
  get(id: string): Engine {
    const engine = this.#engines.get(id);
    if (!engine) {
      throw new NotFoundError(`Unknown engine "${id}". Known engines: ${[...this.#engines.keys()].join(', ')}.`);
    }
    return engine;
  }

  /** The engine and a version of it, with specific errors for either being unknown. */
  getVersion(id: string, version?: string | null) {
    const engine = this.get(id);
    const wanted = version ?? engine.versions.find((v) => v.isDefault)?.version ?? engine.versions[0]?.version;
    const found = engine.versions.find((v) => v.version === wanted);
    if (!found) {
      throw new InvalidInputError(
        `Unknown ${engine.displayName} version "${String(version)}". Available: ${engine.versions.map((v) => v.version).join(', ')}.`,
        'version',
      );
    }
    return { engine, version: found };
  }
}

function pickEngineExport(module: unknown): Engine | undefined {
  if (typeof module !== 'object' || module === null) return undefined;
  const record = module as Record<string, unknown>;
  for (const candidate of [record.default, record.engine]) {
    if (typeof candidate === 'object' && candidate !== null && 'id' in candidate) return candidate as Engine;
  }
  return undefined;
}

/** Checks the parts of an engine that would otherwise fail late and obscurely. */
export function describeInvalidEngine(engine: Engine): string | null {
  if (typeof engine.id !== 'string' || !/^[a-z][a-z0-9-]*$/.test(engine.id)) return 'id must be lower-case letters, digits and dashes';
  if (engine.sdkVersion !== ENGINE_SDK_VERSION) return `it targets SDK version ${engine.sdkVersion}; this Krint supports ${ENGINE_SDK_VERSION}`;
  if (!Array.isArray(engine.versions) || engine.versions.length === 0) return 'it declares no versions';
  if (typeof engine.containerSpec !== 'function' || typeof engine.connect !== 'function') return 'containerSpec and connect must be functions';
  const [low, high] = engine.hostPortRange;
  if (!(low > 0 && high >= low && high < 65536)) return 'hostPortRange must be two ports, low to high';
  return null;
}
