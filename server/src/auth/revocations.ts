import type { Caller } from './types.js';

/**
 * A credential that stopped being valid. Published after the change is stored, so anything that
 * authenticates again afterwards is refused.
 */
export type Revocation =
  /** A session signed out. */
  | { readonly kind: 'session'; readonly sessionId: string }
  /** An API token revoked. */
  | { readonly kind: 'api-token'; readonly tokenId: string }
  /**
   * A built-in user's sessions ended: the user was deleted, changed role or password. With
   * `exceptSessionId`, that one session stays (the browser that changed the password).
   */
  | { readonly kind: 'user'; readonly userId: string; readonly exceptSessionId?: string | null };

export type RevocationHandler = (revocation: Revocation) => void;

/**
 * Where revocations are announced. In memory it reaches this process only; several control-plane
 * processes would replace it with one that publishes over a shared channel (Redis) and calls the
 * handlers of every process, each of which then ends its own live subscriptions.
 */
export interface RevocationBus {
  publish(revocation: Revocation): void;
  subscribe(handler: RevocationHandler): () => void;
}

export class InMemoryRevocationBus implements RevocationBus {
  readonly #handlers = new Set<RevocationHandler>();

  publish(revocation: Revocation): void {
    for (const handler of this.#handlers) {
      try {
        handler(revocation);
      } catch (error) {
        console.error('A revocation handler failed:', error instanceof Error ? error.message.split('\n')[0] : 'unknown error');
      }
    }
  }

  subscribe(handler: RevocationHandler): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }
}

/** The longest delay `setTimeout` accepts (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Why a live stream was ended, for the client. */
export type EndReason = 'revoked' | 'expired';

interface Tracked {
  readonly caller: Caller;
  readonly end: (reason: EndReason) => void;
}

/**
 * Every open subscription and WebSocket of this process, by the credential it runs on. A
 * revocation ends the matching ones at once; a credential's expiry ends them at its expiry (a
 * provider's JWT cannot be revoked here, so only its expiry applies).
 */
export class LiveCredentials {
  /** `session:<id>`, `api-token:<id>`, `user:<id>` → what runs on it. */
  readonly #byKey = new Map<string, Set<Tracked>>();
  readonly #all = new Set<Tracked>();

  constructor(bus: RevocationBus) {
    bus.subscribe((revocation) => this.#revoke(revocation));
  }

  /** Number of tracked streams (for tests and diagnostics). */
  get size(): number {
    return this.#all.size;
  }

  /**
   * Calls `end` once, when the caller's credential is revoked or expires. Returns the function
   * that stops tracking (call it when the stream ends on its own).
   */
  track(caller: Caller, end: (reason: EndReason) => void): () => void {
    const keys = keysOf(caller);
    if (keys.length === 0 && !caller.expiresAt) return () => undefined;
    let ended = false;
    const tracked: Tracked = {
      caller,
      end: (reason) => {
        if (ended) return;
        untrack();
        end(reason);
      },
    };
    let timer: NodeJS.Timeout | null = null;
    const armUntil = (at: number) => {
      const wait = Math.max(0, at - Date.now());
      // A timer cannot wait longer than MAX_TIMER_MS: a later expiry is reached in steps.
      timer = setTimeout(() => (wait > MAX_TIMER_MS ? armUntil(at) : tracked.end('expired')), Math.min(wait, MAX_TIMER_MS));
      timer.unref();
    };
    if (caller.expiresAt) armUntil(caller.expiresAt.getTime());
    const untrack = () => {
      ended = true;
      if (timer) clearTimeout(timer);
      this.#all.delete(tracked);
      for (const key of keys) {
        const set = this.#byKey.get(key);
        set?.delete(tracked);
        if (set?.size === 0) this.#byKey.delete(key);
      }
    };
    this.#all.add(tracked);
    for (const key of keys) {
      let set = this.#byKey.get(key);
      if (!set) this.#byKey.set(key, (set = new Set()));
      set.add(tracked);
    }
    return untrack;
  }

  #revoke(revocation: Revocation): void {
    const key = revocation.kind === 'session' ? `session:${revocation.sessionId}` : revocation.kind === 'api-token' ? `api-token:${revocation.tokenId}` : `user:${revocation.userId}`;
    const except = revocation.kind === 'user' ? (revocation.exceptSessionId ?? null) : null;
    for (const tracked of [...(this.#byKey.get(key) ?? [])]) {
      if (except !== null && tracked.caller.sessionId === except) continue;
      try {
        tracked.end('revoked');
      } catch (error) {
        console.error('Ending a revoked stream failed:', error instanceof Error ? error.message.split('\n')[0] : 'unknown error');
      }
    }
  }
}

function keysOf(caller: Caller): string[] {
  const keys: string[] = [];
  if (caller.sessionId) keys.push(`session:${caller.sessionId}`);
  if (caller.userId) keys.push(`user:${caller.userId}`);
  if (caller.apiTokenId) keys.push(`api-token:${caller.apiTokenId}`);
  return keys;
}
