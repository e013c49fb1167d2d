import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/**
 * How many sign-in attempts are checked, per user name and client address. Each attempt is counted
 * *before* its password is verified, so concurrent guesses cannot all slip in while the first ones
 * are still hashing.
 */
export interface LoginLimits {
  /** Attempts for one user name from one address before backoff starts (per window). */
  readonly perUserAndAddress: number;
  /** Attempts from one address, all user names together, per window. */
  readonly perAddress: number;
  /**
   * Attempts for one user name, all addresses together, per window: bounds guessing spread over
   * many addresses. High enough that a stranger at one address can never reach it alone.
   */
  readonly perUser: number;
  readonly windowMs: number;
  /** The first wait once a user name and address have used their attempts; each further failure doubles it. */
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = {
  perUserAndAddress: 5,
  perAddress: 50,
  perUser: 100,
  windowMs: 15 * 60_000,
  backoffMs: 60_000,
  maxBackoffMs: 15 * 60_000,
};

/** How long a user name and address pair's backoff is remembered after its last failure. */
const BACKOFF_MEMORY_SECONDS = 24 * 3600;
/** Longer names cannot exist (see `users.ts`); the key keeps a bounded prefix of whatever was sent. */
const MAX_KEY_NAME_LENGTH = 128;

/** Which limit refused an attempt, in words for the error message. */
export type LimitedBy = 'user-and-address' | 'address' | 'user';

export type SignInAttempt =
  | {
      readonly allowed: true;
      /** The password was right: the pair's failures and backoff are forgiven. */
      succeeded(): Promise<void>;
      /** The password was wrong: once the pair's attempts are used up, it waits, twice as long each time. */
      failed(): Promise<void>;
    }
  | { readonly allowed: false; readonly limitedBy: LimitedBy; readonly retryAfterSeconds: number };

/**
 * Builds one counter store. In memory by default (one control-plane process); the library's Redis,
 * PostgreSQL or cluster stores take the same options and share the counts between processes.
 */
export type LimiterFactory = (options: { readonly keyPrefix: string; readonly points: number; readonly duration: number }) => RateLimiterAbstract;

const inMemory: LimiterFactory = (options) => new RateLimiterMemory(options);

/**
 * Sign-in throttling as OWASP advises: per user name *and* address with exponential backoff, not a
 * lock a stranger can put on someone else's account. A guesser at one address gets
 * `perUserAndAddress` attempts, then one attempt per backoff (1 min, 2, 4 … up to 15 min); the
 * real user at another address is not affected. `perAddress` bounds one address trying many names,
 * `perUser` many addresses trying one name.
 *
 * The counters are `rate-limiter-flexible`'s: `consume` reserves an attempt atomically (in memory
 * and in its shared stores), so counting happens before the ~90 ms password check.
 */
export class SignInThrottle {
  readonly #byAddress: RateLimiterAbstract;
  readonly #byPair: RateLimiterAbstract;
  readonly #byUser: RateLimiterAbstract;
  /** How many backoffs a pair has served; decides the length of the next one. */
  readonly #backoffs: RateLimiterAbstract;

  constructor(
    readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
    limiter: LimiterFactory = inMemory,
  ) {
    const window = limits.windowMs / 1000;
    this.#byAddress = limiter({ keyPrefix: 'signin-address', points: limits.perAddress, duration: window });
    this.#byPair = limiter({ keyPrefix: 'signin-pair', points: limits.perUserAndAddress, duration: window });
    this.#byUser = limiter({ keyPrefix: 'signin-user', points: limits.perUser, duration: window });
    this.#backoffs = limiter({ keyPrefix: 'signin-backoffs', points: Number.MAX_SAFE_INTEGER, duration: BACKOFF_MEMORY_SECONDS });
  }

  /** Reserves an attempt for `userName` from `address`, or says which limit refuses it and for how long. */
  async begin(userName: string, address: string): Promise<SignInAttempt> {
    const user = userName.toLowerCase().slice(0, MAX_KEY_NAME_LENGTH);
    const from = addressKey(address);
    const pair = JSON.stringify([user, from]);

    // An address already over its limit is refused before any pair key is created for it, so a
    // flood of made-up names from one address costs no memory. It is charged only below, for
    // attempts its pair lets through: a guesser's throttled requests do not lock out others there.
    const addressUsed = await this.#byAddress.get(from);
    if (addressUsed && addressUsed.consumedPoints >= this.limits.perAddress) return refused('address', addressUsed.msBeforeNext);

    // After a backoff the pair gets one attempt at a time: it costs the whole allowance.
    const inBackoff = ((await this.#backoffs.get(pair))?.consumedPoints ?? 0) > 0;
    const cost = inBackoff ? this.limits.perUserAndAddress : 1;
    const byPair = await take(this.#byPair, pair, cost);
    if (byPair.refusedForMs !== null) return refused('user-and-address', byPair.refusedForMs);

    const byAddress = await take(this.#byAddress, from, 1);
    if (byAddress.refusedForMs !== null) {
      await this.#byPair.reward(pair, cost);
      return refused('address', byAddress.refusedForMs);
    }

    const byUser = await take(this.#byUser, user, 1);
    if (byUser.refusedForMs !== null) {
      await Promise.all([this.#byPair.reward(pair, cost), this.#byAddress.reward(from, 1)]);
      return refused('user', byUser.refusedForMs);
    }

    const usedLastAttempt = byPair.remainingPoints === 0;
    return {
      allowed: true,
      succeeded: async () => {
        await Promise.all([this.#byPair.delete(pair), this.#backoffs.delete(pair), this.#byUser.reward(user, 1), this.#byAddress.reward(from, 1)]);
      },
      failed: async () => {
        if (!usedLastAttempt) return;
        const served = (await this.#backoffs.penalty(pair, 1)).consumedPoints;
        const waitMs = Math.min(this.limits.backoffMs * 2 ** Math.min(served - 1, 30), this.limits.maxBackoffMs);
        await this.#byPair.block(pair, waitMs / 1000);
      },
    };
  }
}

function refused(limitedBy: LimitedBy, ms: number): SignInAttempt {
  return { allowed: false, limitedBy, retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) };
}

/** Consumes `points`; a refusal is a value (the library rejects with its result), a store failure throws. */
async function take(limiter: RateLimiterAbstract, key: string, points: number): Promise<{ refusedForMs: number | null; remainingPoints: number }> {
  try {
    const result = await limiter.consume(key, points);
    return { refusedForMs: null, remainingPoints: result.remainingPoints };
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return { refusedForMs: rejection.msBeforeNext, remainingPoints: 0 };
    throw rejection;
  }
}

/**
 * The key of a client address: IPv4 as is (also when mapped into IPv6), IPv6 by its /64 prefix,
 * because one subscriber usually holds a whole /64 and could otherwise pick a fresh address per
 * attempt.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const bare = address.replace(/%.*$/, '').toLowerCase();
  const [head = '', tail] = bare.split('::', 2) as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
