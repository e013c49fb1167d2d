import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
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

/** The whole API; modules register their types and fields on import. */
export const schema: GraphQLSchema = builder.toSchema();

/** The checked-in `schema.graphql` text: sorted so diffs show real changes only. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
