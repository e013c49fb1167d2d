import { describe, expect, it } from 'vitest';
import { assertKey, escapeGlob, matchesPattern, namespacePattern, parseDbNumber } from './redis-keys.js';

describe('key patterns', () => {
  it('matches Redis globs', () => {
    expect(matchesPattern('*', 'anything:at:all')).toBe(true);
    expect(matchesPattern('user:*', 'user:1')).toBe(true);
    expect(matchesPattern('user:*', 'users:1')).toBe(false);
    expect(matchesPattern('h?llo', 'hallo')).toBe(true);
    expect(matchesPattern('h[ae]llo', 'hillo')).toBe(false);
    expect(matchesPattern('h[^e]llo', 'hallo')).toBe(true);
    expect(matchesPattern('h[a-c]llo', 'hbllo')).toBe(true);
    expect(matchesPattern('a\\*b', 'a*b')).toBe(true);
    expect(matchesPattern('a\\*b', 'axb')).toBe(false);
  });

  it('derives namespace patterns that match exactly their keys, even with glob characters', () => {
    expect(namespacePattern('user:17')).toBe('user:*');
    expect(namespacePattern('plain')).toBeNull();
    expect(namespacePattern(':leading')).toBeNull();
    const odd = 'we*ird[1]:key';
    const pattern = namespacePattern(odd)!;
    expect(pattern).toBe(`${escapeGlob('we*ird[1]')}:*`);
    expect(matchesPattern(pattern, odd)).toBe(true);
    expect(matchesPattern(pattern, 'weXird1:key')).toBe(false);
  });
});

describe('names', () => {
  it('accepts DB numbers within the server count only', () => {
    expect(parseDbNumber('0', 16)).toBe(0);
    expect(parseDbNumber('15', 16)).toBe(15);
    expect(parseDbNumber(undefined, 16)).toBe(0);
    expect(() => parseDbNumber('16', 16)).toThrow(/DB numbers 0 to 15/);
    expect(() => parseDbNumber('app', 16)).toThrow(/not a DB number/);
    expect(() => parseDbNumber('-1', 16)).toThrow(/not a DB number/);
  });

  it('bounds key length in bytes', () => {
    expect(assertKey('k')).toBe('k');
    expect(() => assertKey('')).toThrow(/non-empty/);
    expect(() => assertKey('é'.repeat(600))).toThrow(/1200 bytes/);
    expect(() => assertKey(7)).toThrow(/non-empty string/);
  });
});
