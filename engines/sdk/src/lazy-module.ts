/**
 * A module loaded the first time it is needed instead of when the package is imported. Engines load
 * their database driver this way: every Krint process imports every engine at start, and a process
 * that never talks to, say, MongoDB should not pay the MongoDB driver's memory and start-up time.
 */
export interface LazyModule<T> {
  /** Loads the module on the first call; later calls share that load. A failed load is retried by the next call. */
  load(): Promise<T>;
  /**
   * The module once {@link load} has resolved, for synchronous code that only runs after a load was
   * awaited: methods of a session opened by an async factory, callbacks the driver itself makes.
   * Throws before that, naming the module, instead of returning undefined.
   */
  loaded(): T;
}

/**
 * Wraps a dynamic `import()` so it runs once, on first use. Keep the module's types with
 * `import type` at the top of the file; only this call loads the code:
 *
 * ```ts
 * import type { MongoClient } from 'mongodb';
 * export const mongodb = lazyModule('the mongodb driver', () => import('mongodb'));
 * const client: MongoClient = new (await mongodb.load()).MongoClient(uri);
 * ```
 */
export function lazyModule<T>(description: string, importModule: () => Promise<T>): LazyModule<T> {
  let module: { readonly value: T } | undefined;
  let loading: Promise<T> | undefined;
  return {
    load() {
      if (module) return Promise.resolve(module.value);
      loading ??= importModule().then(
        (value) => {
          module = { value };
          return value;
        },
        (error: unknown) => {
          loading = undefined;
          throw error;
        },
      );
      return loading;
    },
    loaded() {
      if (!module) throw new Error(`${description} is used before it was loaded; await its load() first (sessions do so when they open).`);
      return module.value;
    },
  };
}
