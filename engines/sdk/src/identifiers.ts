import { InvalidInputError } from './errors.js';

/** Longest identifier Krint accepts anywhere; PostgreSQL's own limit is 63 bytes. */
export const MAX_IDENTIFIER_LENGTH = 63;

/**
 * Names of databases and users that Krint creates: a letter or underscore first, then letters,
 * digits and underscores. Quoting would make more names safe, but users type these names into
 * connection strings and shells, where only plain names are safe everywhere.
 */
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Validates a name Krint is asked to create (database, user). Throws InvalidInputError naming the
 * field and the rule that failed. Existing objects with other names can still be browsed: those
 * paths quote instead (see each engine's quoting function).
 */
export function assertCreatableName(name: string, field: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidInputError(`The ${field} name must not be empty.`, field);
  }
  if (name.length > MAX_IDENTIFIER_LENGTH) {
    throw new InvalidInputError(
      `The ${field} name is ${name.length} characters long; the limit is ${MAX_IDENTIFIER_LENGTH}.`,
      field,
    );
  }
  if (!PLAIN_NAME.test(name)) {
    throw new InvalidInputError(
      `The ${field} name "${printable(name)}" may contain only letters, digits and underscores, and must not start with a digit.`,
      field,
    );
  }
  return name;
}

/**
 * Validates a name that will be quoted, not trusted (an existing table to browse, say): it must
 * be non-empty, bounded, and free of NUL, which no engine can store in a name.
 */
export function assertQuotableName(name: string, field: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new InvalidInputError(`The ${field} name must not be empty.`, field);
  }
  if (name.length > 255) {
    throw new InvalidInputError(`The ${field} name is ${name.length} characters long; the limit is 255.`, field);
  }
  if (name.includes('\u0000')) {
    throw new InvalidInputError(`The ${field} name must not contain a NUL character.`, field);
  }
  return name;
}

/**
 * Characters allowed in passwords Krint generates or accepts: no quotes, backslashes, `$`, spaces
 * or URL delimiters, so a password survives shells, env files and connection strings unescaped.
 */
export const SAFE_PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_.~';
const SAFE_PASSWORD = /^[A-Za-z0-9\-_.~]+$/;
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

export function assertSafePassword(password: string, field = 'password'): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw new InvalidInputError(`The ${field} must be at least ${MIN_PASSWORD_LENGTH} characters long.`, field);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new InvalidInputError(`The ${field} must be at most ${MAX_PASSWORD_LENGTH} characters long.`, field);
  }
  if (!SAFE_PASSWORD.test(password)) {
    // The message names the rule, never the password.
    throw new InvalidInputError(
      `The ${field} may contain only letters, digits and the characters - _ . ~`,
      field,
    );
  }
  return password;
}

/** Shows a name in an error message without control characters and without flooding it. */
function printable(name: string): string {
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}
