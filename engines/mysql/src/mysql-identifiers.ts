import { assertCreatableName, assertQuotableName, InvalidInputError } from '@krint/engine-sdk';

/** MySQL and MariaDB refuse identifiers longer than this (database, table, column names). */
export const MYSQL_MAX_IDENTIFIER_LENGTH = 64;

/**
 * Quotes a database, table or column name with backticks, doubling embedded backticks, so any name
 * (quotes, semicolons, comments, unicode) is read by the server as one identifier and nothing else.
 * Names the server could never hold (empty, NUL, over 64 characters) are refused up front with a
 * specific error instead of a server syntax error.
 */
export function quoteIdentifier(name: string, field = 'name'): string {
  assertQuotableName(name, field);
  if (name.length > MYSQL_MAX_IDENTIFIER_LENGTH) {
    throw new InvalidInputError(
      `The ${field} name is ${name.length} characters long; the limit is ${MYSQL_MAX_IDENTIFIER_LENGTH}.`,
      field,
    );
  }
  return `\`${name.replaceAll('`', '``')}\``;
}

/** `` `db`.`table` `` with both parts quoted. */
export function qualifiedTable(database: string, table: string): string {
  return `${quoteIdentifier(database, 'database')}.${quoteIdentifier(table, 'table')}`;
}

/**
 * Quotes a string literal for the few statements that cannot take bind parameters (`CREATE USER …
 * IDENTIFIED BY`, account names). Only for values that were validated first: backslashes are
 * refused because their meaning depends on the server's `NO_BACKSLASH_ESCAPES` mode, and with them
 * gone, doubling single quotes is correct in every mode.
 */
export function quoteStringLiteral(value: string, field: string): string {
  if (value.includes('\\') || value.includes('\u0000')) {
    throw new InvalidInputError(`The ${field} must not contain a backslash or a NUL character.`, field);
  }
  return `'${value.replaceAll("'", "''")}'`;
}

/** The host part of every account Krint creates: users connect from anywhere through the published port. */
export const USER_HOST = '%';

/** `'name'@'%'` for a user Krint manages; the name must be a plain creatable name. */
export function accountName(name: string, host: string = USER_HOST): string {
  assertCreatableName(name, 'user');
  return `${quoteStringLiteral(name, 'user')}@${quoteStringLiteral(host, 'host')}`;
}

/**
 * The database part of a database-level `GRANT`/`REVOKE`. There `_` and `%` are wildcards: a grant
 * on `` `app_db`.* `` would also open `appXdb`. Escaping them with a backslash makes the grant
 * match exactly the one database. Only plain names are accepted, so nothing else needs escaping.
 */
export function grantDatabase(database: string): string {
  assertCreatableName(database, 'database');
  return quoteIdentifier(database.replace(/[_%]/g, (wildcard) => `\\${wildcard}`), 'database');
}

/** Reverses {@link grantDatabase}'s escaping for a `Db` value read from `mysql.db`. */
export function unescapeGrantDatabase(pattern: string): string {
  return pattern.replace(/\\([_%\\])/g, '$1');
}

/** True when a `Db` value in `mysql.db` still contains an unescaped wildcard (a pattern grant). */
export function isWildcardGrant(pattern: string): boolean {
  return /(^|[^\\])[_%]/.test(pattern);
}
