import { InvalidInputError } from '@krint/engine-sdk';

/**
 * Names in Redis terms: a "database" is a DB number, a "table" is a key pattern (SCAN's MATCH
 * glob, e.g. `user:*`), a "row" is one key.
 */

/** The pattern that lists every key of a DB number. */
export const ALL_KEYS = '*';

/**
 * Longest key Krint creates or looks up, in UTF-8 bytes. Redis accepts up to 512 MB, but a key
 * that long cannot be shown, typed or put into a cursor; existing longer keys can still be deleted
 * from the console.
 */
export const MAX_KEY_BYTES = 1024;
const MAX_PATTERN_BYTES = 1024;

/** Checks a DB number given as text ("0".."15") against the server's `databases` setting. */
export function parseDbNumber(database: string | undefined, databaseCount: number): number {
  const text = database === undefined || database === '' ? '0' : database;
  if (!/^\d{1,5}$/.test(text)) {
    throw new InvalidInputError(`Redis databases are numbered; "${printable(text)}" is not a DB number (0 to ${databaseCount - 1}).`, 'database');
  }
  const db = Number(text);
  if (db >= databaseCount) {
    throw new InvalidInputError(`DB number ${db} does not exist; this server has DB numbers 0 to ${databaseCount - 1}.`, 'database');
  }
  return db;
}

export function assertKey(key: unknown, field = 'key'): string {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidInputError('The key must be a non-empty string.', field);
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    throw new InvalidInputError(`The key is ${bytes} bytes long; Krint accepts keys of at most ${MAX_KEY_BYTES} bytes.`, field);
  }
  return key;
}

export function assertPattern(pattern: string): string {
  if (typeof pattern !== 'string' || pattern.length === 0) {
    throw new InvalidInputError('The key pattern must not be empty; use * for every key.', 'table');
  }
  const bytes = Buffer.byteLength(pattern, 'utf8');
  if (bytes > MAX_PATTERN_BYTES) {
    throw new InvalidInputError(`The key pattern is ${bytes} bytes long; the limit is ${MAX_PATTERN_BYTES}.`, 'table');
  }
  return pattern;
}

/** Escapes glob characters so a literal prefix can be used in a MATCH pattern. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (ch) => `\\${ch}`);
}

/** The namespace pattern of a key: `user:*` for `user:17`, `null` for keys without a colon. */
export function namespacePattern(key: string): string | null {
  const colon = key.indexOf(':');
  return colon > 0 ? `${escapeGlob(key.slice(0, colon))}:*` : null;
}

/**
 * Whether `key` matches the Redis glob `pattern` (`*`, `?`, `[abc]`, `[^a]`, `[a-z]`, `\x`), so
 * edits through a pattern "table" cannot touch keys outside it.
 */
export function matchesPattern(pattern: string, key: string): boolean {
  return globToRegExp(pattern).test(key);
}

function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') source += '[\\s\\S]*';
    else if (ch === '?') source += '[\\s\\S]';
    else if (ch === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]!);
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end === -1) {
        source += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith('^');
      if (negated) body = body.slice(1);
      source += `[${negated ? '^' : ''}${body.replace(/[\\\]^]/g, (c) => `\\${c}`)}]`;
      i = end;
    } else source += escapeRegExp(ch);
  }
  return new RegExp(`^${source}$`, 'u');
}

function escapeRegExp(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/-]/g, (c) => `\\${c}`);
}

export function printable(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}…` : clean;
}
