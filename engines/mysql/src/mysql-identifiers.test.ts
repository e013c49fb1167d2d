import { InvalidInputError } from '@krint/engine-sdk';
import { describe, expect, it } from 'vitest';
import {
  accountName,
  grantDatabase,
  isWildcardGrant,
  qualifiedTable,
  quoteIdentifier,
  quoteStringLiteral,
  unescapeGrantDatabase,
} from './mysql-identifiers.js';

describe('quoteIdentifier', () => {
  it('wraps names in backticks and doubles embedded backticks', () => {
    expect(quoteIdentifier('orders')).toBe('`orders`');
    expect(quoteIdentifier('a`b')).toBe('`a``b`');
    expect(quoteIdentifier('x`; DROP TABLE t; --')).toBe('`x``; DROP TABLE t; --`');
    expect(quoteIdentifier("it's \"quoted\" /* c */ ñ 表")).toBe("`it's \"quoted\" /* c */ ñ 表`");
  });

  it('refuses names no server can hold', () => {
    expect(() => quoteIdentifier('', 'table')).toThrow(InvalidInputError);
    expect(() => quoteIdentifier('a\u0000b', 'table')).toThrow(/NUL/);
    expect(() => quoteIdentifier('x'.repeat(65), 'table')).toThrow(/limit is 64/);
    expect(() => quoteIdentifier('y'.repeat(10_240), 'table')).toThrow(InvalidInputError);
  });

  it('qualifies a table with its database', () => {
    expect(qualifiedTable('shop', 'order items')).toBe('`shop`.`order items`');
  });
});

describe('string literals and accounts', () => {
  it('doubles single quotes and refuses backslashes', () => {
    expect(quoteStringLiteral("o'k", 'value')).toBe("'o''k'");
    expect(() => quoteStringLiteral('a\\', 'value')).toThrow(/backslash/);
  });

  it('builds accounts only from plain names', () => {
    expect(accountName('app_user')).toBe("'app_user'@'%'");
    expect(accountName('root', 'localhost')).toBe("'root'@'localhost'");
    expect(() => accountName("x'@'%")).toThrow(InvalidInputError);
    expect(() => accountName('a;b')).toThrow(InvalidInputError);
  });
});

describe('grant database patterns', () => {
  it('escapes the LIKE wildcards so a grant matches one database', () => {
    expect(grantDatabase('app_db')).toBe('`app\\_db`');
    expect(grantDatabase('plain')).toBe('`plain`');
    expect(() => grantDatabase('a%')).toThrow(InvalidInputError);
    expect(() => grantDatabase('a`b')).toThrow(InvalidInputError);
  });

  it('reads escaped patterns back and spots real wildcards', () => {
    expect(unescapeGrantDatabase('app\\_db')).toBe('app_db');
    expect(isWildcardGrant('app\\_db')).toBe(false);
    expect(isWildcardGrant('app_db')).toBe(true);
    expect(isWildcardGrant('test%')).toBe(true);
  });
});
