import { ClientResultError } from './errors/client-result.error.js';
import { ClientResultTimeoutError } from './errors/client-result-timeout.error.js';
import type { CompletionMessage } from './hub-protocol.js';

interface PendingResult {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly cleanup: () => void;
}

/** The text ASP.NET Core uses when the server stops waiting for a client result. */
export const CLIENT_RESULT_CANCELED = 'Invocation canceled by the server.';

/**
 * Client results awaited on one connection. Ids start with `s` so they can never collide with the
 * ids the client picks for its own uploads, which are plain numbers.
 */
export class ClientResults {
  readonly #pending = new Map<string, PendingResult>();
  #nextId = 0;

  constructor(private readonly connectionId: string) {}

  /**
   * Registers a wait and returns its invocation id and promise. The caller sends the Invocation.
   * A timeout or abort settles the promise locally and sends nothing, so a late answer is ignored.
   */
  begin(method: string, timeoutMs: number, signal: AbortSignal | undefined): { id: string; result: Promise<unknown> } {
    const id = `s${this.#nextId++}`;
    const result = new Promise<unknown>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => this.#settle(id, new Error(CLIENT_RESULT_CANCELED));
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      this.#pending.set(id, { resolve, reject, cleanup });
      if (timeoutMs > 0) {
        timer = setTimeout(() => this.#settle(id, new ClientResultTimeoutError(this.connectionId, method, timeoutMs)), timeoutMs);
      }
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
    return { id, result };
  }

  /** Settles the wait a Completion answers. Returns false when no wait has that id. */
  complete(message: CompletionMessage): boolean {
    if (!this.#pending.has(message.invocationId)) return false;
    if (message.error !== undefined) this.#settle(message.invocationId, new ClientResultError(message.error));
    else this.#settle(message.invocationId, undefined, message.result === undefined ? null : message.result);
    return true;
  }

  /** Fails every wait, e.g. because the connection ended. */
  failAll(error: Error): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id, error);
  }

  get size(): number {
    return this.#pending.size;
  }

  #settle(id: string, error: Error | undefined, value?: unknown): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    pending.cleanup();
    if (error) pending.reject(error);
    else pending.resolve(value);
  }
}
