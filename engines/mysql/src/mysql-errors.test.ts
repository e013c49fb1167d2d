import { ConflictError, EngineError, InvalidInputError, NotFoundError } from '@krint/engine-sdk';
import { describe, expect, it } from 'vitest';
import { redact, translateError } from './mysql-errors.js';

const context = { product: 'MySQL', secrets: ['Sekret-pass.1'] };
const serverError = (errno: number, message: string) => Object.assign(new Error(message), { errno, sql: "CREATE USER 'x' IDENTIFIED BY 'Sekret-pass.1'" });

describe('translateError', () => {
  it('maps server error numbers to stable codes', () => {
    expect(translateError(serverError(1049, "Unknown database 'nope'"), context)).toBeInstanceOf(NotFoundError);
    expect(translateError(serverError(1146, "Table 'a.b' doesn't exist"), context)).toBeInstanceOf(NotFoundError);
    expect(translateError(serverError(1007, "Can't create database 'a'; database exists"), context)).toBeInstanceOf(ConflictError);
    expect(translateError(serverError(1064, 'You have an error in your SQL syntax'), context).code).toBe('INVALID_INPUT');
    expect(translateError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), context).code).toBe('UNAVAILABLE');
  });

  it('explains a refused login and never carries a password or the statement', () => {
    const error = translateError(serverError(1045, "Access denied for user 'root'@'10.0.0.1' (using password: YES)"), context);
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/MySQL refused the login: the user name or password is wrong/);
    expect(error.cause).toBeUndefined();
    const leaky = translateError(serverError(1064, "near 'Sekret-pass.1' at line 1"), { ...context, action: 'create user "x"' });
    expect(leaky.message).toBe("Could not create user \"x\": near '***' at line 1");
    expect(JSON.stringify(leaky)).not.toContain('Sekret-pass.1');
  });

  it('passes engine errors through unchanged', () => {
    const original = new InvalidInputError('bad', 'field');
    expect(translateError(original, context)).toBe(original);
    expect(translateError('plain text', context)).toBeInstanceOf(EngineError);
  });

  it('redacts longer secrets first', () => {
    expect(redact('abc abcdef', ['abc', 'abcdef'])).toBe('*** ***');
  });
});
