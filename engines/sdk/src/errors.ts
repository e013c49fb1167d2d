/**
 * Errors an engine raises on purpose. Each carries a stable `code` so the control plane can map it
 * to its typed GraphQL error union without parsing messages, and a message a person can act on.
 * Messages never contain passwords.
 */
export type EngineErrorCode = 'INVALID_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'NOT_SUPPORTED' | 'UNAVAILABLE';

export class EngineError extends Error {
  override readonly name: string = 'EngineError';
  constructor(
    readonly code: EngineErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The input was refused before anything touched the database. */
export class InvalidInputError extends EngineError {
  override readonly name = 'InvalidInputError';
  constructor(
    message: string,
    /** Which input field was wrong, e.g. `database` or `password`. */
    readonly field?: string,
  ) {
    super('INVALID_INPUT', message);
  }
}

export class NotFoundError extends EngineError {
  override readonly name = 'NotFoundError';
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** The operation would clash with existing state (object exists, row changed since it was read). */
export class ConflictError extends EngineError {
  override readonly name = 'ConflictError';
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

/** The engine has no such capability; raised by callers when an optional member is absent. */
export class NotSupportedError extends EngineError {
  override readonly name = 'NotSupportedError';
  constructor(
    readonly engineId: string,
    readonly capability: string,
  ) {
    super('NOT_SUPPORTED', `The ${engineId} engine does not support ${capability}.`);
  }
}
