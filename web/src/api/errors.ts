import type { CombinedError } from '@urql/core';

/** Every typed error of the schema implements `Error { message }`; the union member carries its name. */
export interface TypedError {
  readonly __typename: string;
  readonly message: string;
}

/** A failure to show a person: the server's typed message, or a plain description of what broke. */
export class ApiError extends Error {
  constructor(
    message: string,
    /** `NotFoundError`, `InvalidInputError`, ... or `NetworkError` / `GraphQLError`. */
    readonly kind: string,
    /** For `InvalidInputError`: the argument that was refused. */
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The fragment every union-returning field selects so its error can be shown. */
export const ERROR_FIELDS = '... on Error { message } ... on InvalidInputError { field }';

export function isTypedError(value: unknown): value is TypedError {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string' && typeof (value as { __typename?: unknown }).__typename === 'string' && (value as { __typename: string }).__typename.endsWith('Error');
}

let onUnauthenticated: () => void = () => undefined;
/** What to do when the server says "sign in first" (the app sends the person to the login page). */
export function setUnauthenticatedHandler(handler: () => void): void {
  onUnauthenticated = handler;
}

/** Turns transport and GraphQL errors into one readable message (never raw JSON). */
export function fromCombined(error: CombinedError): ApiError {
  if (error.networkError) {
    return new ApiError(`Cannot reach the Krint server (${error.networkError.message}). Check that it is running.`, 'NetworkError');
  }
  const first = error.graphQLErrors[0];
  const code = first?.extensions?.code;
  if (code === 'UNAUTHENTICATED') onUnauthenticated();
  return new ApiError(first?.message ?? error.message.replace(/^\[GraphQL\] /, ''), 'GraphQLError');
}

/** Returns the success member of a result union, or throws its typed error. */
export function unwrap<V>(value: V | null | undefined, what: string): Exclude<V, TypedError> {
  if (value === null || value === undefined) throw new ApiError(`The server returned no ${what}.`, 'EmptyResult');
  if (isTypedError(value)) throw new ApiError(value.message, value.__typename, (value as { field?: string | null }).field ?? null);
  return value as Exclude<V, TypedError>;
}

/** A message for anything caught in a `catch` block. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
