/** Writes the lexicographically sorted schema to `schema.graphql` at the repository root. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printSortedSchema } from '../src/graphql/schema.js';

const target = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../schema.graphql');
writeFileSync(target, printSortedSchema());
console.log(`Wrote ${target}`);
