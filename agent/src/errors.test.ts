import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NotFoundError, NotSupportedError } from '@krint/engine-sdk';
import { InternalError, TimeoutError, UnavailableError, fromWireError, redact, toWireError } from './errors.js';
import { collectSecrets } from './dispatch.js';
import { postgresEngine } from '@krint/engine-postgres';

describe('wire errors', () => {
  it('keeps codes and fields across the boundary and back', () => {
    const cases: [Error, string][] = [
      [new InvalidInputError('The database name is bad.', 'database'), 'INVALID_INPUT'],
      [new NotFoundError('No table t.'), 'NOT_FOUND'],
      [new ConflictError('The row changed.'), 'CONFLICT'],
      [new NotSupportedError('redis', 'creating databases'), 'NOT_SUPPORTED'],
      [new UnavailableError('Server down.'), 'UNAVAILABLE'],
      [new TimeoutError('Too slow.'), 'TIMEOUT'],
      [new InternalError('Broken.'), 'INTERNAL'],
    ];
    for (const [error, code] of cases) {
      const wire = toWireError(error);
      expect(wire.code).toBe(code);
      const back = fromWireError(wire);
      expect(back.constructor).toBe(error.constructor);
      expect(back.message).toBe(error.message);
    }
    expect(toWireError(new InvalidInputError('x', 'database')).field).toBe('database');
    expect((fromWireError({ code: 'INVALID_INPUT', message: 'x', field: 'name' }) as InvalidInputError).field).toBe('name');
    expect((fromWireError(toWireError(new NotSupportedError('redis', 'user management'))) as NotSupportedError).engineId).toBe('redis');
  });

  it('maps Docker API statuses and unreachable sockets', () => {
    const dockerError = (statusCode: number, message: string) => Object.assign(new Error(`(HTTP code ${statusCode}) unexpected - ${message}`), { statusCode, json: { message } });
    expect(toWireError(dockerError(404, 'No such container: abc'))).toEqual({ code: 'NOT_FOUND', message: 'Docker: No such container: abc' });
    expect(toWireError(dockerError(409, 'name in use')).code).toBe('CONFLICT');
    expect(toWireError(dockerError(500, 'boom')).code).toBe('UNAVAILABLE');
    expect(toWireError(Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' })).code).toBe('UNAVAILABLE');
    expect(toWireError(new TypeError('x is undefined')).code).toBe('INTERNAL');
  });

  it('removes every password from messages', () => {
    const args = { instance: { rootPassword: 'Root-secret-1' }, name: 'bob', password: 'User-secret-2' };
    const secrets = collectSecrets(args);
    expect(secrets.sort()).toEqual(['Root-secret-1', 'User-secret-2']);
    const wire = toWireError(new Error('auth failed for Root-secret-1 and User-secret-2'), secrets);
    expect(wire.message).toBe('auth failed for [redacted] and [redacted]');
    expect(redact('abc', ['ab'])).toBe('abc');
  });

  it('removes what the engines recognise as a password, which no argument carried', () => {
    const stderr = "psql:<stdin>:12: ERROR:  syntax error at or near \"VALID\"\nLINE 1: ALTER ROLE app PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2Vy' VALID";
    const wire = toWireError(new InternalError(stderr), [], postgresEngine.credentials!.passwordPatterns);
    expect(wire).toEqual({ code: 'INTERNAL', message: stderr.replace(/'SCRAM[^']*'/, '[redacted]') });
  });
});
