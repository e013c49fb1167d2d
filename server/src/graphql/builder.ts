import SchemaBuilder from '@pothos/core';
import ErrorsPlugin from '@pothos/plugin-errors';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { krintPolicyPluginName, scopesFor, unauthorizedError } from '../auth/index.js';
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
  AuthScopes: { authenticated: boolean; admin: boolean };
}>({
  // The policy table (auth/graphql-policy.ts) is written into the options before scope-auth reads them.
  plugins: [krintPolicyPluginName, ScopeAuthPlugin, ErrorsPlugin],
  defaultFieldNullability: false,
  errors: { defaultTypes: [...DOMAIN_ERRORS] },
  scopeAuth: {
    authScopes: (context) => scopesFor(context.caller),
    // Subscriptions are checked once, when they start, not for every event.
    authorizeOnSubscribe: true,
    unauthorizedError: (_parent, context, info) => unauthorizedError(context.caller, info.parentType.name, info.fieldName),
  },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
