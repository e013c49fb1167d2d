import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidInputError, NodeOfflineError, NotFoundError, NotSupportedError, toDomainError, UnavailableError } from './errors.js';

describe('toDomainError', () => {
  it('keeps typed errors as they are', () => {
    const error = new NodeOfflineError('n-1', 'edge');
    expect(toDomainError(error)).toBe(error);
    expect(error.message).toMatch(/Node "edge" is not connected/);
  });

  it('maps protocol codes to the typed errors, keeping field and message', () => {
    const invalid = toDomainError({ code: 'INVALID_INPUT', message: 'The database name must not be empty.', field: 'database' });
    expect(invalid).toBeInstanceOf(InvalidInputError);
    expect((invalid as InvalidInputError).field).toBe('database');
    expect(toDomainError({ code: 'NOT_FOUND', message: 'No table "x".' })).toBeInstanceOf(NotFoundError);
    expect(toDomainError({ code: 'CONFLICT', message: 'The row changed.' })).toBeInstanceOf(ConflictError);
    expect(toDomainError(Object.assign(new Error('Timed out after 5 s'), { code: 'TIMEOUT' }))).toBeInstanceOf(UnavailableError);
    const unsupported = toDomainError({ code: 'NOT_SUPPORTED', message: 'The redis engine does not support queries.' });
    expect(unsupported).toBeInstanceOf(NotSupportedError);
    expect((unsupported as NotSupportedError).engineId).toBe('redis');
    expect((unsupported as Error).message).toBe('The redis engine does not support queries.');
  });

  it('leaves unknown failures alone so they are masked as internal errors', () => {
    const error = new Error('boom');
    expect(toDomainError(error)).toBe(error);
    expect(toDomainError(Object.assign(new Error('x'), { code: 'INTERNAL' }))).toBeInstanceOf(Error);
  });
});
