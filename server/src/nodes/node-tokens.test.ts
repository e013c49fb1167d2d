import { describe, expect, it } from 'vitest';
import { generateNodeToken, hashNodeToken, matchNodeToken, readNodeTokenAllowList } from './node-tokens.js';

describe('node tokens', () => {
  it('reads the allow-list in index order and ignores blanks and other keys', () => {
    const env = { Node__Tokens__1: 'second', Node__Tokens__0: 'first', Node__Tokens__3: '  ', Node__Tokens__x: 'no', Node__Token: 'no' };
    expect(readNodeTokenAllowList(env)).toEqual(['first', 'second']);
  });

  it('generates distinct, URL-safe, prefixed tokens of 256 bits', () => {
    const a = generateNodeToken();
    const b = generateNodeToken();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^krn_[A-Za-z0-9_-]{43}$/);
  });

  it('matches allow-list and stored tokens, and refuses unknown, empty and revoked ones', () => {
    const stored = generateNodeToken();
    const rows = [{ nodeId: 'n-1', tokenHash: hashNodeToken(stored) }];
    expect(matchNodeToken('first', ['first'], rows)).toEqual({ kind: 'allow-list', tokenHash: hashNodeToken('first') });
    expect(matchNodeToken(stored, ['first'], rows)).toEqual({ kind: 'node', nodeId: 'n-1', tokenHash: hashNodeToken(stored) });
    expect(matchNodeToken('unknown', ['first'], rows)).toBeNull();
    expect(matchNodeToken('', ['first'], rows)).toBeNull();
    expect(matchNodeToken(undefined, ['first'], rows)).toBeNull();
    // Revoking deletes the stored hash: the same token is refused from then on.
    expect(matchNodeToken(stored, ['first'], [])).toBeNull();
  });

  it('never stores or compares the token itself', () => {
    const token = generateNodeToken();
    expect(hashNodeToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashNodeToken(token)).not.toContain(token);
  });
});
