import { ConflictError, EngineError, NotFoundError } from '@krint/engine-sdk';
import { MysqlErrorNumber } from './mysql-dialect.js';

/** The parts of a driver error Krint reads. mysql2 errors also carry `sql`, which is never kept. */
interface DriverError {
  readonly errno?: number;
  readonly code?: string;
  readonly message?: string;
}

function asDriverError(error: unknown): DriverError {
  return typeof error === 'object' && error !== null ? (error as DriverError) : { message: String(error) };
}

/** The server's error number, when `error` came from the server. */
export function errorNumber(error: unknown): number | undefined {
  const errno = asDriverError(error).errno;
  return typeof errno === 'number' ? errno : undefined;
}

/** Removes every secret from a message, longest first so no part of one survives. */
export function redact(message: string, secrets: readonly string[] = []): string {
  let clean = message;
  for (const secret of [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length)) {
    clean = clean.split(secret).join('***');
  }
  return clean;
}

export interface ErrorContext {
  /** The product, for messages: `MySQL`, `MariaDB`. */
  readonly product: string;
  /** Values that must not appear in the message (passwords in the statement). */
  readonly secrets?: readonly string[];
  /** What was being done, e.g. `create database "shop"`. */
  readonly action?: string;
}

/**
 * Turns a driver or server error into an {@link EngineError} with a stable code. The result never
 * keeps the driver error as its cause: mysql2 errors carry the statement text, which can hold a
 * password. Errors that already are EngineErrors pass through unchanged.
 */
export function translateError(error: unknown, context: ErrorContext): EngineError {
  if (error instanceof EngineError) return error;
  const driver = asDriverError(error);
  const detail = redact(driver.message ?? 'unknown error', context.secrets);
  const doing = context.action ? `Could not ${context.action}: ` : '';
  switch (driver.errno) {
    case MysqlErrorNumber.accessDenied:
      return new EngineError(
        'UNAVAILABLE',
        `${context.product} refused the login: the user name or password is wrong (${detail}).`,
      );
    case MysqlErrorNumber.dbAccessDenied:
    case MysqlErrorNumber.tableAccessDenied:
      return new EngineError('INVALID_INPUT', `${doing}${context.product} denied access: ${detail}`);
    case MysqlErrorNumber.unknownDatabase:
    case MysqlErrorNumber.databaseMissing:
    case MysqlErrorNumber.unknownTable:
    case MysqlErrorNumber.tableMissing:
      return new NotFoundError(`${doing}${detail}`);
    case MysqlErrorNumber.databaseExists:
    case MysqlErrorNumber.tableExists:
    case MysqlErrorNumber.duplicateEntry:
      return new ConflictError(`${doing}${detail}`);
    default:
      break;
  }
  if (driver.code === 'ECONNREFUSED' || driver.code === 'ETIMEDOUT' || driver.code === 'PROTOCOL_CONNECTION_LOST' || driver.code === 'ECONNRESET') {
    return new EngineError('UNAVAILABLE', `${doing}${context.product} is not reachable (${driver.code}).`);
  }
  if (typeof driver.errno === 'number' && driver.errno >= 1000) {
    // Any other server error: the statement was refused; the server's words say why.
    return new EngineError('INVALID_INPUT', `${doing}${detail}`);
  }
  return new EngineError('UNAVAILABLE', `${doing}${detail}`);
}
