import { describe, expect, it } from 'vitest';
import { passwordRedactor, REDACTED, redactPasswords, SQL_QUOTED_SECRET, URL_PASSWORD_PATTERN } from './credentials.js';

const sqlPassword = new RegExp(String.raw`(\bPASSWORD\s+)${SQL_QUOTED_SECRET}`, 'gi');

describe('redactPasswords', () => {
  it('removes known secrets by value, longest first, and leaves short ones alone', () => {
    expect(redactPasswords('root=Abcdef123 user=Abcdef', [], ['Abcdef', 'Abcdef123', 'ab'])).toBe(`root=${REDACTED} user=${REDACTED}`);
    expect(redactPasswords('a tab and a cab', [], ['ab'])).toBe('a tab and a cab');
  });

  it('removes quoted SQL password literals in every quoting style, keeping the words before them', () => {
    const cases: [string, string][] = [
      ["ALTER ROLE bob PASSWORD 'S3cret!'", `ALTER ROLE bob PASSWORD ${REDACTED}`],
      ["alter user bob with encrypted password 'it''s-s3cret' valid until 'infinity'", `alter user bob with encrypted password ${REDACTED} valid until 'infinity'`],
      ["CREATE ROLE x PASSWORD E'back\\'slash'", `CREATE ROLE x PASSWORD ${REDACTED}`],
      ['CREATE ROLE x PASSWORD $tag$dollar$quoted$tag$ LOGIN', `CREATE ROLE x PASSWORD ${REDACTED} LOGIN`],
      ["STATEMENT:  alter role x password 'cut off at the end of the li", `STATEMENT:  alter role x password ${REDACTED}`],
    ];
    for (const [text, expected] of cases) expect(redactPasswords(text, [sqlPassword])).toBe(expected);
  });

  it('leaves ordinary log text alone', () => {
    const line = 'FATAL:  password authentication failed for user "bob"';
    expect(redactPasswords(line, [sqlPassword, URL_PASSWORD_PATTERN], ['unrelated-secret'])).toBe(line);
  });

  it('removes the password of a URL with credentials', () => {
    expect(redactPasswords('dial postgresql://app:Pa55word@db:5432/shop and redis://:only-pass@cache', [URL_PASSWORD_PATTERN])).toBe(
      `dial postgresql://app:${REDACTED}@db:5432/shop and redis://:${REDACTED}@cache`,
    );
  });

  it('builds a reusable function that gives the same result on every call (global patterns keep no state)', () => {
    const redact = passwordRedactor([sqlPassword], ['Known-secret-1']);
    for (let i = 0; i < 3; i++) expect(redact("Known-secret-1 and PASSWORD 'x'")).toBe(`${REDACTED} and PASSWORD ${REDACTED}`);
  });
});
