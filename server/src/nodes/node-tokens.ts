import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Node tokens: the pre-shared allow-list from `Node__Tokens__0..N` and tokens created through
 * GraphQL ("Add node"), which are stored only as hashes and shown once. Tokens are 256-bit random
 * values, so a plain SHA-256 is the right hash (a slow password KDF buys nothing here and would
 * make every node connection expensive).
 */
export const NODE_TOKEN_PREFIX = 'krn_';

/**
 * A revoked node keeps its row (its instances still name it) but no token can match this hash:
 * stored hashes are compared only when their length equals a SHA-256 hex digest.
 */
export const REVOKED_TOKEN_HASH = '';

export function generateNodeToken(): string {
  return `${NODE_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashNodeToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Reads `Node__Tokens__0`, `Node__Tokens__1`, ... (in index order; gaps allowed, blanks ignored). */
export function readNodeTokenAllowList(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.entries(env)
    .map(([key, value]) => ({ index: /^Node__Tokens__(\d+)$/.exec(key)?.[1], value: value?.trim() }))
    .filter((entry): entry is { index: string; value: string } => entry.index !== undefined && !!entry.value)
    .sort((a, b) => Number(a.index) - Number(b.index))
    .map((entry) => entry.value);
}

/** Who a token belongs to. */
export type TokenOwner =
  /** An allow-list token; the node identifies itself at registration. */
  | { readonly kind: 'allow-list'; readonly tokenHash: string }
  /** A token created for one node row. */
  | { readonly kind: 'node'; readonly nodeId: string; readonly tokenHash: string };

export interface StoredNodeToken {
  readonly nodeId: string;
  readonly tokenHash: string;
}

/**
 * Checks a presented token against every known hash in constant time per comparison, and always
 * compares against all of them, so timing says nothing about which (or whether one) matched.
 */
export function matchNodeToken(token: string | undefined | null, allowList: readonly string[], stored: readonly StoredNodeToken[]): TokenOwner | null {
  if (!token) return null;
  const presented = Buffer.from(hashNodeToken(token), 'hex');
  let owner: TokenOwner | null = null;
  for (const allowed of allowList) {
    const hash = hashNodeToken(allowed);
    if (timingSafeEqual(presented, Buffer.from(hash, 'hex')) && !owner) owner = { kind: 'allow-list', tokenHash: hash };
  }
  for (const entry of stored) {
    const candidate = Buffer.from(entry.tokenHash, 'hex');
    if (candidate.length !== presented.length) continue;
    if (timingSafeEqual(presented, candidate) && !owner) owner = { kind: 'node', nodeId: entry.nodeId, tokenHash: entry.tokenHash };
  }
  return owner;
}
