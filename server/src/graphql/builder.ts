import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import { DOMAIN_ERRORS } from '../errors.js';
import type { KrintContext } from './context.js';

/**
 * The schema builder: configuration only. Types and fields live in `modules/<domain>.ts`; every
 * field that can fail in a way a person can act on lists the typed errors (the default set below).
 */
export const builder = new SchemaBuilder<{
  Context: KrintContext;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
}>({
  plugins: [ErrorsPlugin],
  defaultFieldNullability: false,
  errors: { defaultTypes: [...DOMAIN_ERRORS] },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
