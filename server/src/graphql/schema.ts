// The explicit file: vitest would otherwise load graphql's ESM build next to the CommonJS one the
// libraries use, and a schema cannot mix types from both.
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql/index.js';
import { builder } from './builder.js';
import './modules/scalars.js';
import './modules/errors.js';
import './modules/engines.js';
import './modules/instances.js';
import './modules/data.js';
import './modules/backups.js';
import './modules/operations.js';
import './modules/console.js';
import './modules/dashboard.js';
import './modules/activity.js';
import '../auth/graphql-module.js';
import './modules/nodes.js';

/** The whole API; modules register their types and fields on import. */
export const schema: GraphQLSchema = builder.toSchema();

/** The checked-in `schema.graphql` text: sorted so diffs show real changes only. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
