export { Auth, DEFAULT_LOGIN_LIMITS, type AuthOptions, type LoginLimits, type PresentedCredentials } from './authenticator.js';
export { loadAuthConfig, type AuthConfig, type OidcConfig } from './config.js';
export { DEFAULT_GRAPHQL_LIMITS, MAX_GRAPHQL_REQUEST_BYTES, PARSE_CACHE_LIMITS, boundedParserCache, graphqlCredentials, useGraphQLGuards, type GraphQLLimits } from './graphql-guards.js';
export { FIELD_SCOPES, ROOT_TYPE_SCOPES, SECRET_TYPE_SCOPES, isAuthorizationError, krintPolicyPluginName, scopesFor, unauthorizedError } from './graphql-policy.js';
export { InMemoryRevocationBus, LiveCredentials, type Revocation, type RevocationBus } from './revocations.js';
export { handleAuthRoutes, nodeCredentials, requireCaller } from './http.js';
export { AuthError, type AuthRole, type Caller } from './types.js';
export { GraphQLCallers, authenticateGraphQL, authorizeSocket, checkRequestSize, exposeAuthorizationError, graphiqlFor, useCredentialRevocation } from './yoga.js';
