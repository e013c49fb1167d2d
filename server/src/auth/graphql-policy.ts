import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type PothosTypeConfig, type SchemaTypes } from '@pothos/core';
import { GraphQLError } from 'graphql/index.js';
import type { Caller } from './types.js';

/**
 * THE authorisation policy of the GraphQL API, in one table. The scopes are enforced by
 * `@pothos/plugin-scope-auth`; the small plugin below writes this table into the type and field
 * options before scope-auth reads them, so no module and no resolver repeats a check.
 *
 * - `authenticated`: any signed-in caller (admin or viewer).
 * - `admin`: the admin role only.
 *
 * Every root field inherits its root type's scope; a field or type listed below is additionally
 * checked with its own scope (so `Query.apiTokens` needs admin although Query needs only a caller).
 */
export type KrintScope = 'authenticated' | 'admin';

export const ROOT_TYPE_SCOPES: Readonly<Record<'Query' | 'Mutation' | 'Subscription', KrintScope>> = {
  Query: 'authenticated',
  /** Every change, including opening a shell and running console queries, is for admins. */
  Mutation: 'admin',
  Subscription: 'authenticated',
};

/** Types that carry secrets: every field of them needs admin, wherever they are reached from. */
export const SECRET_TYPE_SCOPES: Readonly<Record<string, KrintScope>> = {
  /** Root credentials and connection strings of an instance. */
  Connection: 'admin',
  /** Passwords Krint keeps for the database users it created. */
  ManagedUserCredentials: 'admin',
  UserCredentials: 'admin',
  /** A node's registration token (shown once). */
  AddedNode: 'admin',
  /** A new API token (shown once). */
  CreatedApiToken: 'admin',
};

/** Single fields with a stricter scope than their type's. */
export const FIELD_SCOPES: Readonly<Record<string, KrintScope>> = {
  /** The shell's output is an interactive root shell inside the container. */
  'Subscription.shell': 'admin',
  'Query.krintUsers': 'admin',
  'Query.apiTokens': 'admin',
};

/**
 * Rows of the relations an engine marks as holding credentials (`Engine.credentials`: tables of
 * password hashes, views of other sessions' statements) need this scope, wherever they are read
 * from (`Query.rows` today): a viewer browses data, never secrets.
 */
export const CREDENTIAL_ROWS_SCOPE: KrintScope = 'admin';

/** Whether `caller` may read rows of relations that hold credentials. */
export function mayReadCredentials(caller: Caller | null): boolean {
  return scopesFor(caller)[CREDENTIAL_ROWS_SCOPE];
}

/** The FORBIDDEN error for reading `relation` (already printable) without {@link CREDENTIAL_ROWS_SCOPE}. */
export function credentialRowsRefused(caller: Caller | null, relation: string): GraphQLError {
  return new GraphQLError(`${relation} holds credentials (password hashes or other sessions' statements); reading its rows needs the ${CREDENTIAL_ROWS_SCOPE} role${caller ? `; ${caller.name} is ${caller.role}` : ''}.`, {
    extensions: { code: 'FORBIDDEN', http: { status: 403 } },
  });
}

/** Scope values for a caller (scope-auth's `authScopes` initializer). */
export function scopesFor(caller: Caller | null): Record<KrintScope, boolean> {
  return { authenticated: caller !== null, admin: caller?.role === 'admin' };
}

/** The error a refused field reports: UNAUTHENTICATED for anonymous callers, FORBIDDEN otherwise. */
export function unauthorizedError(caller: Caller | null, typeName: string, fieldName: string): GraphQLError {
  return caller === null
    ? new GraphQLError(`Sign in first: ${typeName}.${fieldName} needs an authenticated caller (session cookie or "Authorization: Bearer <token>").`, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } })
    : new GraphQLError(`${typeName}.${fieldName} needs the admin role; ${caller.name} is ${caller.role}.`, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
}

/** True for the errors above (and only those), so the error mask lets their message through. */
export function isAuthorizationError(error: unknown): error is GraphQLError {
  const code = error instanceof GraphQLError ? error.extensions?.code : undefined;
  return code === 'UNAUTHENTICATED' || code === 'FORBIDDEN' || code === 'GRAPHQL_LIMIT';
}

function scopeOption(scope: KrintScope): Record<KrintScope, true> {
  return { [scope]: true } as Record<KrintScope, true>;
}

/** Writes the policy table into the options scope-auth reads (must be listed before it). */
class KrintPolicyPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override onTypeConfig(typeConfig: PothosTypeConfig): PothosTypeConfig {
    const scope = (ROOT_TYPE_SCOPES as Record<string, KrintScope>)[typeConfig.name] ?? SECRET_TYPE_SCOPES[typeConfig.name];
    if (!scope) return typeConfig;
    if (typeConfig.kind !== 'Object' && typeConfig.kind !== 'Query' && typeConfig.kind !== 'Mutation' && typeConfig.kind !== 'Subscription') return typeConfig;
    return { ...typeConfig, pothosOptions: { ...typeConfig.pothosOptions, authScopes: scopeOption(scope) } } as PothosTypeConfig;
  }

  override onOutputFieldConfig(fieldConfig: PothosOutputFieldConfig<Types>): PothosOutputFieldConfig<Types> {
    const scope = FIELD_SCOPES[`${fieldConfig.parentType}.${fieldConfig.name}`];
    if (!scope) return fieldConfig;
    return { ...fieldConfig, pothosOptions: { ...fieldConfig.pothosOptions, authScopes: scopeOption(scope) } } as PothosOutputFieldConfig<Types>;
  }
}

export const krintPolicyPluginName = 'krintPolicy' as const;

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  export namespace PothosSchemaTypes {
    interface Plugins<Types extends SchemaTypes> {
      krintPolicy: KrintPolicyPlugin<Types>;
    }
  }
}

SchemaBuilder.registerPlugin(krintPolicyPluginName, KrintPolicyPlugin);
