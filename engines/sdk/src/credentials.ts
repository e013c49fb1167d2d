/**
 * Where an engine keeps secrets that its own data or its own log can show: tables of password
 * hashes, views of other sessions' statements, statement text echoed into the server log. The
 * engine declares them here (`Engine.credentials`), once; the control plane keeps them from
 * callers who may read data but not secrets (viewers), whatever path they read by.
 */
export interface CredentialExposure {
  /**
   * True when the rows of `table` in `database` hold credentials (password hashes, keys) or the
   * statement text of other sessions, which may carry a password in clear. Receives the names as
   * a caller passes them to browse, not yet validated: compare without regard to case, so a name
   * the server would resolve to the same relation cannot slip through.
   */
  holdsCredentials(database: string, table: string): boolean;
  /**
   * How a password appears in the engine's statement text (as its log or its error messages quote
   * a statement). Each pattern is global; capture group 1 is the text before the password and is
   * kept, the rest of the match is replaced by {@link REDACTED}.
   */
  readonly passwordPatterns: readonly RegExp[];
}

/** What a removed secret is replaced with. */
export const REDACTED = '[redacted]';

/** Secrets shorter than this are not replaced by value: they would mangle ordinary words. */
export const MIN_REDACTED_SECRET_LENGTH = 4;

/**
 * A function that removes the `known` secrets from text (exact values, longest first so no part of
 * one survives) and anything the engine's `patterns` recognise as a password. Build it once and
 * apply it to many texts (a log's lines).
 */
export function passwordRedactor(patterns: readonly RegExp[], known: Iterable<string> = []): (text: string) => string {
  const values = [...new Set(known)].filter((secret) => typeof secret === 'string' && secret.length >= MIN_REDACTED_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  return (text) => {
    let clean = text;
    for (const secret of values) if (clean.includes(secret)) clean = clean.split(secret).join(REDACTED);
    for (const pattern of patterns) {
      // A test first: most lines (a log's) have no match, and V8 tests several times faster than it
      // replaces with a callback. The patterns are global, so their position is reset around it.
      pattern.lastIndex = 0;
      const found = pattern.test(clean);
      pattern.lastIndex = 0;
      if (found) clean = clean.replace(pattern, (_match, kept: unknown) => `${typeof kept === 'string' ? kept : ''}${REDACTED}`);
    }
    return clean;
  };
}

/** {@link passwordRedactor} for one text. */
export function redactPasswords(text: string, patterns: readonly RegExp[], known: Iterable<string> = []): string {
  return passwordRedactor(patterns, known)(text);
}

/**
 * A quoted password literal in SQL as PostgreSQL, MySQL and MariaDB write it: single or double
 * quotes (with doubled or backslash-escaped quotes, cut off at the end of a truncated line) or
 * PostgreSQL's dollar quotes. Bare words are left alone: no engine takes a password unquoted, and
 * matching them would eat ordinary log text ("password authentication failed").
 */
export const SQL_QUOTED_SECRET = String.raw`(?:[EeNn]?'(?:[^'\\]|\\.|'')*'?|"(?:[^"\\]|\\.|"")*"?|\$(?<tag>[A-Za-z_]*)\$[\s\S]*?(?:\$\k<tag>\$|$))`;

/** The password of a URL with credentials (`scheme://user:password@host`); the rest is kept. */
export const URL_PASSWORD_PATTERN = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)[^\s@/]+(?=@)/gi;
