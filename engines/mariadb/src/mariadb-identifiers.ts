/**
 * MariaDB quotes names exactly like MySQL (backticks, embedded backticks doubled) and has the same
 * 64-character limit, so the MySQL engine's functions are used as they are.
 */
export {
  quoteIdentifier,
  qualifiedTable,
  quoteStringLiteral,
  accountName,
  grantDatabase,
  unescapeGrantDatabase,
  MYSQL_MAX_IDENTIFIER_LENGTH as MARIADB_MAX_IDENTIFIER_LENGTH,
} from '@krint/engine-mysql';
