import {
  ConflictError,
  EngineError,
  InvalidInputError,
  NotFoundError,
  NotSupportedError,
  redactPasswords,
} from '@krint/engine-sdk';
import type { WireError } from './protocol/commands.js';
import { dockerReason, dockerStatusCode } from './docker/client.js';

/** The engine or the daemon cannot be reached or refused to work right now. */
export class UnavailableError extends EngineError {
  override readonly name = 'UnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}

/** An operation ran out of time (readiness, a query, a dump). */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  readonly code = 'TIMEOUT' as const;
}

/** Something failed that is not the caller's fault and has no better code. */
export class InternalError extends Error {
  override readonly name = 'InternalError';
  readonly code = 'INTERNAL' as const;
}

/**
 * A failure as it leaves the agent: the dispatch functions reject with this, and a transport sends
 * `wire` as-is. It is already redacted.
 */
export class WireFailure extends Error {
  override readonly name = 'WireFailure';
  constructor(readonly wire: WireError) {
    super(wire.message);
  }
}

const REDACTED = '[redacted]';

/** Replaces every secret in `text` (secrets shorter than 4 characters are ignored: they would mangle words). */
export function redact(text: string, secrets: Iterable<string>): string {
  let result = text;
  for (const secret of secrets) {
    if (typeof secret === 'string' && secret.length >= 4) result = result.split(secret).join(REDACTED);
  }
  return result;
}

/**
 * Turns anything thrown by a handler into a {@link WireError}: engine errors keep their code and
 * field, Docker API errors map by HTTP status, unreachable daemons and servers become UNAVAILABLE.
 * Every message is scrubbed of `secrets` and of what `passwordPatterns` recognise.
 */
export function toWireError(error: unknown, secrets: Iterable<string> = [], passwordPatterns: readonly RegExp[] = []): WireError {
  const list = [...secrets];
  const wire = classify(error);
  // Then whatever the engines recognise as a password: a tool's stderr or a server's error can
  // quote a statement whose password was never an argument (a restore's ALTER ROLE … PASSWORD '…').
  return { ...wire, message: redactPasswords(redact(wire.message, list), passwordPatterns) };
}

function classify(error: unknown): WireError {
  if (error instanceof WireFailure) return error.wire;
  if (error instanceof InvalidInputError) {
    return error.field === undefined ? { code: 'INVALID_INPUT', message: error.message } : { code: 'INVALID_INPUT', message: error.message, field: error.field };
  }
  if (error instanceof EngineError) return { code: error.code, message: error.message };
  if (error instanceof TimeoutError) return { code: 'TIMEOUT', message: error.message };
  if (error instanceof InternalError) return { code: 'INTERNAL', message: error.message };
  const status = dockerStatusCode(error);
  if (status !== undefined) {
    const reason = dockerReason(error);
    if (status === 404) return { code: 'NOT_FOUND', message: `Docker: ${reason}` };
    if (status === 409) return { code: 'CONFLICT', message: `Docker: ${reason}` };
    if (status === 400) return { code: 'INVALID_INPUT', message: `Docker: ${reason}` };
    return { code: 'UNAVAILABLE', message: `Docker: ${reason}` };
  }
  const errno = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (errno === 'ECONNREFUSED' || errno === 'ENOENT' || errno === 'EACCES' || errno === 'ECONNRESET' || errno === 'EPIPE') {
    return { code: 'UNAVAILABLE', message: error instanceof Error ? error.message : String(error) };
  }
  if (error instanceof Error && error.name === 'AbortError') return { code: 'UNAVAILABLE', message: 'The operation was cancelled.' };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

const NOT_SUPPORTED_MESSAGE = /^The (\S+) engine does not support (.+)\.$/;

/** The caller's side of {@link toWireError}: a typed error with the same code, message and field. */
export function fromWireError(wire: WireError): Error {
  switch (wire.code) {
    case 'INVALID_INPUT':
      return new InvalidInputError(wire.message, wire.field);
    case 'NOT_FOUND':
      return new NotFoundError(wire.message);
    case 'CONFLICT':
      return new ConflictError(wire.message);
    case 'NOT_SUPPORTED': {
      const match = NOT_SUPPORTED_MESSAGE.exec(wire.message);
      const error = new NotSupportedError(match?.[1] ?? 'unknown', match?.[2] ?? 'this operation');
      error.message = wire.message;
      return error;
    }
    case 'UNAVAILABLE':
      return new UnavailableError(wire.message);
    case 'TIMEOUT':
      return new TimeoutError(wire.message);
    default:
      return new InternalError(wire.message);
  }
}

/** The `code` of any error this package or an engine raises, for callers that branch on it. */
export function errorCode(error: unknown): WireError['code'] {
  return classify(error).code;
}
