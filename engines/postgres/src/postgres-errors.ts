import { ConflictError, EngineError, InvalidInputError, NotFoundError } from '@krint/engine-sdk';

/** The parts of a `pg` error Krint reads. */
interface DriverError {
  readonly code?: string;
  readonly message?: string;
  readonly detail?: string;
}

function asDriverError(error: unknown): DriverError {
  return typeof error === 'object' && error !== null ? (error as DriverError) : { message: String(error) };
}

/** The SQLSTATE of a server error, or the Node error code (`ECONNREFUSED`) of a network error. */
export function errorCode(error: unknown): string | undefined {
  const code = asDriverError(error).code;
  return typeof code === 'string' ? code : undefined;
}

/** SQLSTATEs Krint reacts to. */
export const SqlState = {
  invalidPassword: '28P01',
  invalidAuthorization: '28000',
  invalidCatalogName: '3D000',
  undefinedTable: '42P01',
  undefinedObject: '42704',
  duplicateDatabase: '42P04',
  duplicateTable: '42P07',
  duplicateObject: '42710',
  uniqueViolation: '23505',
  dependentObjectsStillExist: '2BP01',
  objectInUse: '55006',
  queryCanceled: '57014',
  insufficientPrivilege: '42501',
  tooManyConnections: '53300',
  cannotConnectNow: '57P03',
  adminShutdown: '57P01',
} as const;

/** Removes every secret from a message, longest first so no part of one survives. */
export function redact(message: string, secrets: readonly string[] = []): string {
  let clean = message;
  for (const secret of [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)) {
    clean = clean.split(secret).join('***');
  }
  return clean;
}

export interface ErrorContext {
  /** Values that must not appear in the message (passwords). */
  readonly secrets?: readonly string[];
  /** What was being done, e.g. `create database "shop"`. */
  readonly action?: string;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/**
 * Turns a `pg` error into an {@link EngineError} with a stable code, by SQLSTATE. The driver error
 * is never kept as the cause, and every secret is removed from the message. EngineErrors pass
 * through unchanged.
 */
export function translateError(error: unknown, context: ErrorContext = {}): EngineError {
  if (error instanceof EngineError) return error;
  const driver = asDriverError(error);
  const detail = redact([driver.message ?? 'unknown error', driver.detail].filter(Boolean).join(' — '), context.secrets);
  const doing = context.action ? `Could not ${context.action}: ` : '';
  const code = driver.code ?? '';
  switch (code) {
    case SqlState.invalidPassword:
    case SqlState.invalidAuthorization:
      return new EngineError('UNAVAILABLE', `PostgreSQL refused the login: the user name or password is wrong, or the user may not connect here (${detail}).`);
    case SqlState.invalidCatalogName:
    case SqlState.undefinedTable:
    case SqlState.undefinedObject:
      return new NotFoundError(`${doing}${detail}`);
    case SqlState.duplicateDatabase:
    case SqlState.duplicateTable:
    case SqlState.duplicateObject:
    case SqlState.uniqueViolation:
    case SqlState.dependentObjectsStillExist:
    case SqlState.objectInUse:
      return new ConflictError(`${doing}${detail}`);
    case SqlState.queryCanceled:
      return new InvalidInputError(`${doing}the statement was cancelled (${detail}).`, 'timeoutMs');
    case SqlState.tooManyConnections:
    case SqlState.cannotConnectNow:
    case SqlState.adminShutdown:
      return new EngineError('UNAVAILABLE', `${doing}${detail}`);
    default:
      break;
  }
  if (NETWORK_CODES.has(code)) return new EngineError('UNAVAILABLE', `${doing}PostgreSQL is not reachable (${code}).`);
  if (/^[0-9A-Z]{5}$/.test(code)) {
    // Any other server error: the statement was refused, and the server's words say why.
    return new InvalidInputError(`${doing}${detail}`);
  }
  return new EngineError('UNAVAILABLE', `${doing}${detail}`);
}
