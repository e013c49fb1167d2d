import { assertQuotableName, InvalidInputError } from '@krint/engine-sdk';

/**
 * PostgreSQL keeps at most 63 bytes of an identifier and silently truncates longer ones, so a long
 * name could quietly address a different object that shares its first 63 bytes. Longer names are
 * refused instead.
 */
export const POSTGRES_MAX_IDENTIFIER_BYTES = 63;

/**
 * Quotes any name as a PostgreSQL identifier: wrapped in double quotes, embedded double quotes
 * doubled. Quoting (not validation) is what keeps `"; DROP TABLE x; --` a harmless name; the checks
 * here only refuse what PostgreSQL cannot store as given (empty, NUL, over 63 bytes).
 */
export function quoteIdent(name: string, field = 'name'): string {
  assertQuotableName(name, field);
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > POSTGRES_MAX_IDENTIFIER_BYTES) {
    throw new InvalidInputError(
      `The ${field} name is ${bytes} bytes long; PostgreSQL names are limited to ${POSTGRES_MAX_IDENTIFIER_BYTES} bytes.`,
      field,
    );
  }
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."table"`. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdent(schema, 'schema')}.${quoteIdent(name, 'table')}`;
}

/**
 * Quotes a value as a string literal for the few statements that cannot take bind parameters
 * (`CREATE ROLE ... PASSWORD`). Like the server's own `quote_literal`: quotes doubled, and when a
 * backslash is present the `E'...'` form with backslashes doubled, so the result means the same
 * whatever `standard_conforming_strings` says.
 */
export function quoteLiteral(value: string, field = 'value'): string {
  if (typeof value !== 'string') throw new InvalidInputError(`The ${field} must be a string.`, field);
  if (value.includes('\u0000')) throw new InvalidInputError(`The ${field} must not contain a NUL character.`, field);
  const doubled = value.replaceAll("'", "''");
  return value.includes('\\') ? `E'${doubled.replaceAll('\\', '\\\\')}'` : `'${doubled}'`;
}
