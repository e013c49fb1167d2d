import { InvalidInputError, assertCreatableName, assertQuotableName } from '@krint/engine-sdk';

/** Databases MongoDB owns; they are listed but cannot be dropped or created from Krint. */
export const SYSTEM_DATABASES: ReadonlySet<string> = new Set(['admin', 'local', 'config']);

/** MongoDB's own limit for database names, in bytes. */
const MAX_DATABASE_BYTES = 63;
const MAX_COLLECTION_BYTES = 255;

/** A database name to look up: MongoDB forbids `/\. "$*<>:|?` and NUL in them, and more than 63 bytes. */
export function assertDatabaseName(name: string): string {
  assertQuotableName(name, 'database');
  if (Buffer.byteLength(name, 'utf8') > MAX_DATABASE_BYTES) {
    throw new InvalidInputError(`The database name is longer than MongoDB's limit of ${MAX_DATABASE_BYTES} bytes.`, 'database');
  }
  if (/[/\\. "$*<>:|?]/.test(name)) {
    throw new InvalidInputError('MongoDB database names cannot contain / \\ . " $ * < > : | ? or spaces.', 'database');
  }
  return name;
}

/** A database Krint creates: a plain name (letters, digits, underscores), not a system database. */
export function assertCreatableDatabase(name: string): string {
  assertCreatableName(name, 'database');
  assertNotSystem(name, 'created');
  return name;
}

export function assertNotSystem(name: string, what: string): void {
  if (SYSTEM_DATABASES.has(name)) {
    throw new InvalidInputError(`"${name}" is a MongoDB system database and cannot be ${what} from Krint.`, 'database');
  }
}

/** A collection name: non-empty, no `$` or NUL, not MongoDB's reserved `system.` namespace. */
export function assertCollectionName(name: string, purpose: 'read' | 'write' = 'read'): string {
  assertQuotableName(name, 'collection');
  if (Buffer.byteLength(name, 'utf8') > MAX_COLLECTION_BYTES) {
    throw new InvalidInputError(`The collection name is longer than ${MAX_COLLECTION_BYTES} bytes.`, 'collection');
  }
  if (name.includes('$')) throw new InvalidInputError('MongoDB collection names cannot contain "$".', 'collection');
  if (purpose === 'write' && name.startsWith('system.')) {
    throw new InvalidInputError(`"${name}" is a MongoDB system collection and cannot be changed from Krint.`, 'collection');
  }
  return name;
}
