import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { printSortedSchema } from './schema.js';

describe('schema.graphql', () => {
  it('is up to date with the code (run `npx tsx server/scripts/print-schema.ts`)', () => {
    const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../schema.graphql');
    expect(readFileSync(file, 'utf8')).toBe(printSortedSchema());
  });
});
