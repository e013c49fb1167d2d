export { createKrint } from './app.js';
export type { Krint, KrintOptions } from './app.js';
export { loadConfig, ConfigError } from './config.js';
export type { KrintConfig } from './config.js';
export { ExecutorRouter } from './executors/router.js';
export { NodeOfflineError } from './errors.js';
export { schema, printSortedSchema } from './graphql/schema.js';
