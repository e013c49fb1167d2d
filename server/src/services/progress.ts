/** One step of a long operation (provision, upgrade, visibility change, rollback). */
export interface OperationProgress {
  readonly instanceId: string;
  readonly operation: OperationKind;
  readonly phase: string;
  readonly message: string;
  readonly current: number | null;
  readonly total: number | null;
  /** True on the last event of the operation. */
  readonly done: boolean;
  /** Set on the last event when the operation failed. */
  readonly error: string | null;
  readonly at: Date;
}

export type OperationKind = 'provision' | 'upgrade' | 'visibility' | 'rollback' | 'restore';

const MAX_EVENTS_PER_OPERATION = 500;

interface Operation {
  readonly events: OperationProgress[];
  readonly listeners: Set<() => void>;
}

/**
 * Progress of the latest operation per instance and kind, kept in memory so a client that
 * subscribes after starting the mutation still sees every step (replay, then follow).
 */
export class ProgressTracker {
  readonly #operations = new Map<string, Operation>();

  /** Starts a new operation, dropping the previous one's history. */
  begin(instanceId: string, operation: OperationKind): ProgressReporter {
    const key = `${operation}:${instanceId}`;
    const previous = this.#operations.get(key);
    const state: Operation = { events: [], listeners: previous?.listeners ?? new Set() };
    this.#operations.set(key, state);
    const push = (event: Omit<OperationProgress, 'instanceId' | 'operation' | 'at'>) => {
      if (state.events.length >= MAX_EVENTS_PER_OPERATION) state.events.splice(1, 1);
      state.events.push({ instanceId, operation, at: new Date(), ...event });
      for (const listener of state.listeners) listener();
    };
    return {
      step: (phase, message, current = null, total = null) => push({ phase, message, current, total, done: false, error: null }),
      succeed: (message) => push({ phase: 'done', message, current: null, total: null, done: true, error: null }),
      fail: (message) => push({ phase: 'failed', message, current: null, total: null, done: true, error: message }),
    };
  }

  /** Every event of the current operation, then new ones until it is done or the caller leaves. */
  async *follow(instanceId: string, operation: OperationKind, signal?: AbortSignal): AsyncGenerator<OperationProgress> {
    const key = `${operation}:${instanceId}`;
    let state = this.#operations.get(key);
    if (!state) {
      state = { events: [], listeners: new Set() };
      this.#operations.set(key, state);
    }
    let wake: (() => void) | null = null;
    const listener = () => wake?.();
    const listeners = state.listeners;
    listeners.add(listener);
    let index = 0;
    let events = state.events;
    try {
      for (;;) {
        const current = this.#operations.get(key);
        if (current && current.events !== events) {
          events = current.events;
          index = 0;
        }
        while (index < events.length) {
          const event = events[index++]!;
          yield event;
          if (event.done) return;
        }
        if (signal?.aborted) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
          signal?.addEventListener('abort', () => resolve(), { once: true });
        });
        wake = null;
      }
    } finally {
      listeners.delete(listener);
    }
  }
}

export interface ProgressReporter {
  step(phase: string, message: string, current?: number | null, total?: number | null): void;
  succeed(message: string): void;
  fail(message: string): void;
}
