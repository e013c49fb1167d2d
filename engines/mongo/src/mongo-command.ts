import type { Document } from 'mongodb';
import { InvalidInputError } from '@krint/engine-sdk';
import { parseJsonDocument } from './mongo-ejson.js';

/** Longest console input accepted, in characters. */
export const MAX_COMMAND_TEXT = 256 * 1024;

/**
 * Commands the console refuses, with the reason shown. Users, whole databases and the server have
 * their own guarded paths in Krint; the console is for reading and changing documents.
 */
const REFUSED: Readonly<Record<string, string>> = {
  shutdown: 'it stops the server; stop the instance from Krint instead',
  dropDatabase: 'use "drop database" in the database list, which asks for confirmation',
  createUser: 'users are managed on the Users page',
  updateUser: 'users are managed on the Users page',
  dropUser: 'users are managed on the Users page',
  dropAllUsersFromDatabase: 'users are managed on the Users page',
  grantRolesToUser: 'users are managed on the Users page',
  revokeRolesFromUser: 'users are managed on the Users page',
  createRole: 'roles are managed by Krint',
  dropRole: 'roles are managed by Krint',
  dropAllRolesFromDatabase: 'roles are managed by Krint',
  authenticate: 'the console is already signed in as the instance user',
  logout: 'the console connection is managed by Krint',
  setParameter: 'the server configuration is managed by Krint',
  setFeatureCompatibilityVersion: 'Krint sets it during upgrades',
  fsync: 'it can lock the server against writes',
  fsyncUnlock: 'it belongs to fsync, which the console refuses',
  replSetInitiate: 'Krint runs single servers, not replica sets',
  replSetReconfig: 'Krint runs single servers, not replica sets',
  replSetStepDown: 'Krint runs single servers, not replica sets',
  killOp: 'it stops other clients\' operations',
  killAllSessions: 'it stops other clients\' sessions',
  killAllSessionsByPattern: 'it stops other clients\' sessions',
  compact: 'it blocks the collection while it runs',
  repairDatabase: 'it is removed from MongoDB',
  eval: 'it is removed from MongoDB',
  copydb: 'it is removed from MongoDB',
  getMore: 'results beyond the row limit are not fetched; narrow the query instead',
};

/** Commands whose reply is a cursor; the console caps their first batch at the row limit. */
export const CURSOR_COMMANDS: ReadonlySet<string> = new Set(['find', 'aggregate', 'listCollections', 'listIndexes']);

export interface ConsoleCommand {
  /** The command's name: the first key of the document. */
  readonly name: string;
  /** The document as sent, with `maxTimeMS` and the batch size set. */
  readonly document: Document;
}

/**
 * Parses console text into a command document for `db.command()`. The first key names the command
 * (`{ "find": "users", "filter": { "age": { "$gt": 30 } } }`), as in the server's own protocol.
 * `maxTimeMS` is set to the console timeout unless the text sets a shorter one, and cursor
 * commands get a first batch of `rowLimit + 1` documents, so the server never sends more than the
 * console shows (the extra one tells whether the result was cut).
 */
export function parseConsoleCommand(text: string, options: { rowLimit: number; timeoutMs: number }): ConsoleCommand {
  if (typeof text !== 'string' || text.trim() === '') {
    throw new InvalidInputError('Type a command document, e.g. { "find": "users", "filter": {} }.', 'text');
  }
  if (text.length > MAX_COMMAND_TEXT) {
    throw new InvalidInputError(`The command is ${text.length} characters long; the console accepts at most ${MAX_COMMAND_TEXT}.`, 'text');
  }
  const parsed = parseJsonDocument(text, 'command');
  const name = Object.keys(parsed)[0];
  if (!name) throw new InvalidInputError('The command document is empty; its first key names the command, e.g. "find".', 'text');
  const reason = REFUSED[name];
  if (reason) throw new InvalidInputError(`${name} is not allowed in the console: ${reason}.`, 'text');
  if (name === 'aggregate' && Array.isArray(parsed.pipeline) && parsed.pipeline.some(writesOutput)) {
    throw new InvalidInputError('aggregate with $out or $merge is not allowed in the console: it writes whole collections.', 'text');
  }
  const document: Document = { ...parsed };
  // Canonical Extended JSON reads numbers as Int32/Double/Long objects; Number() reads any of them.
  const requestedValue = parsed.maxTimeMS === undefined ? NaN : Number(parsed.maxTimeMS);
  const requested = Number.isFinite(requestedValue) && requestedValue > 0 ? requestedValue : Infinity;
  document.maxTimeMS = Math.max(1, Math.min(requested, options.timeoutMs));
  const batchSize = Math.max(1, Math.floor(options.rowLimit)) + 1;
  if (name === 'find') document.batchSize = batchSize;
  if (name === 'aggregate') document.cursor = { ...(isDocument(parsed.cursor) ? parsed.cursor : {}), batchSize };
  if (name === 'listCollections' || name === 'listIndexes') document.cursor = { batchSize };
  return { name, document };
}

function writesOutput(stage: unknown): boolean {
  return isDocument(stage) && ('$out' in stage || '$merge' in stage);
}

function isDocument(value: unknown): value is Document {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
