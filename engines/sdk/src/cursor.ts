import type { JsonValue } from './session.js';
import { InvalidInputError } from './errors.js';

/**
 * Page cursors are opaque to clients: base64url of the JSON key values of the last row seen.
 * Engines decode them back into the values of their keyset condition.
 */
export function encodeCursor(values: readonly JsonValue[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): JsonValue[] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed)) return parsed as JsonValue[];
  } catch {
    // fall through to the error below
  }
  throw new InvalidInputError('The page cursor is not valid; start again from the first page.', 'cursor');
}
