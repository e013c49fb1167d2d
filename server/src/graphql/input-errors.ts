import { GraphQLError } from 'graphql/index.js';
import { InvalidInputError } from '../errors.js';

/**
 * The `extensions.code` of an input refused before any resolver ran: the name of the typed error a
 * resolver would have returned for it, so clients handle both the same way.
 */
export const INVALID_INPUT_CODE = InvalidInputError.name;

/** A scalar's refusal of a value, with a message that says what was expected. */
export function invalidScalarValue(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: INVALID_INPUT_CODE } });
}

/**
 * A variable the request's values could not be coerced to (an Int beyond 32 bits, a Float for an
 * Int, a date that does not exist): graphql-js reports it as `Variable "$n" got invalid value …;
 * <the scalar's reason>`, wrapping the scalar's own GraphQLError. Yoga would mask it as an
 * unexpected error because it has an original error; it is the caller's input, so it keeps its
 * message and gets the invalid-input code and the variable's name as `field`. Null for any other error.
 */
export function exposeInvalidVariable(error: unknown): GraphQLError | null {
  if (!(error instanceof GraphQLError) || error.path !== undefined || !(error.originalError instanceof GraphQLError)) return null;
  const variable = /^Variable "\$([_A-Za-z][_0-9A-Za-z]*)" got invalid value/.exec(error.message);
  if (!variable) return null;
  return new GraphQLError(error.message, { ...(error.nodes ? { nodes: error.nodes } : {}), extensions: { code: INVALID_INPUT_CODE, field: variable[1] } });
}
