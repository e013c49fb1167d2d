import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { Operation, type OperationKind, type OperationState, type OperationStep } from '../db/entities.js';
import type { KrintOrm } from '../db/orm.js';
import { ConflictError, describeError, InvalidInputError, NotFoundError } from '../errors.js';

export type { OperationKind, OperationState } from '../db/entities.js';

/** One event of a long operation; the last one has `done` set and a final `state`. */
export interface OperationProgress {
  readonly operationId: string;
  readonly instanceId: string;
  readonly operation: OperationKind;
  readonly phase: string;
  readonly message: string;
  readonly current: number | null;
  readonly total: number | null;
  /** True on the last event of the operation. */
  readonly done: boolean;
  /** `running` until the last event, then how it ended. */
  readonly state: OperationState;
  /** Set on the last event when the operation did not succeed. */
  readonly error: string | null;
  readonly at: Date;
}

/** What an operation's code reports through; every method is safe to call after the end. */
export interface ProgressReporter {
  step(phase: string, message: string, current?: number | null, total?: number | null): void;
}

/** A running operation, as its code sees it. */
export interface OperationRun extends ProgressReporter {
  readonly id: string;
  /** Aborted by `cancel` (cancellable kinds only) and when the control plane shuts down. */
  readonly signal: AbortSignal;
  /** Records a step and waits until it is stored: for commit points a restart must know about. */
  checkpoint(phase: string, message: string): Promise<void>;
  succeed(message: string, result?: Record<string, string | number>): Promise<void>;
  /** Ends as `cancelled` when the signal was aborted by `cancel`, `failed` otherwise. */
  fail(error: unknown): Promise<void>;
}

export interface BeginOptions {
  readonly kind: OperationKind;
  readonly instanceId: string;
  readonly instanceName: string;
  readonly actor: string;
  readonly detail?: string | null;
}

/** Kinds a person may cancel: their undo is complete (a dump file removed, a restore retried). */
export const CANCELLABLE_KINDS: readonly OperationKind[] = ['backup', 'restore'];

const MAX_EVENTS_PER_OPERATION = 500;
/** The most operations one `operations` call returns. */
export const MAX_LISTED_OPERATIONS = 500;
const MAX_STORED_STEPS = 50;
/** How often a follower of an operation owned by another process looks at its row. */
const REMOTE_POLL_MS = 1_000;

interface LiveOperation {
  readonly row: { id: string; kind: OperationKind; instanceId: string };
  readonly events: OperationProgress[];
  readonly listeners: Set<() => void>;
  readonly controller: AbortController;
  cancelledByUser: boolean;
  /** Row writes in order; a step never overtakes the one before it. */
  writes: Promise<void>;
  /** Resolves once the operation has ended and its row says so. */
  readonly finished: Promise<void>;
  end(state: Exclude<OperationState, 'running'>, message: string, result?: Record<string, string | number>): Promise<void>;
}

/**
 * Long operations, stored as `Operation` rows and followed live. The row is written when the
 * operation starts, at every new phase and at the end, so a restart knows what was cut short
 * (`interruptAbandoned`), and a subscriber who arrives late, or after a restart, is told how it
 * ended: every follow ends with a `done` event (`succeeded`, `failed`, `cancelled` or
 * `interrupted`). Events between phases (pull progress, ...) are kept in memory only.
 */
export class OperationTracker {
  /** This process, as the `owner` of the operations it runs. */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #live = new Map<string, LiveOperation>();
  /** Followers waiting for the next operation of a kind on an instance. */
  readonly #waiting = new Set<() => void>();
  #accepting = true;

  constructor(private readonly orm: KrintOrm) {}

  /** Records a new operation as running and returns the handle its code reports through. */
  async begin(options: BeginOptions): Promise<OperationRun> {
    if (!this.#accepting) throw new ConflictError('The control plane is shutting down and starts no new operations.');
    const em = this.orm.em.fork();
    const row = em.create(Operation, {
      kind: options.kind,
      instanceId: options.instanceId,
      instanceName: options.instanceName,
      actor: options.actor,
      owner: this.owner,
      detail: options.detail ?? null,
      state: 'running',
      steps: [],
    });
    await em.persistAndFlush(row);
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    let ended = false;
    const push = (event: Omit<OperationProgress, 'operationId' | 'instanceId' | 'operation' | 'at'>) => {
      if (live.events.length >= MAX_EVENTS_PER_OPERATION) live.events.splice(1, 1);
      live.events.push({ operationId: row.id, instanceId: row.instanceId, operation: row.kind, at: new Date(), ...event });
      for (const listener of live.listeners) listener();
    };
    const write = (change: (operation: Operation) => void) => {
      live.writes = live.writes
        .then(async () => {
          change(row);
          await em.flush();
        })
        .catch(() => undefined);
      return live.writes;
    };
    let lastPhase: string | null = null;
    const recordStep = (phase: string, message: string) => {
      if (lastPhase === phase) return live.writes;
      lastPhase = phase;
      const step: OperationStep = { phase, message: message.slice(0, 500), at: new Date().toISOString() };
      return write((operation) => (operation.steps = [...operation.steps, step].slice(-MAX_STORED_STEPS)));
    };
    const live: LiveOperation = {
      row: { id: row.id, kind: row.kind, instanceId: row.instanceId },
      events: [],
      listeners: new Set(),
      controller: new AbortController(),
      cancelledByUser: false,
      writes: Promise.resolve(),
      finished,
      end: async (state, message, result) => {
        if (ended) return;
        ended = true;
        await write((operation) => Object.assign(operation, { state, message, error: state === 'succeeded' ? null : message, result: result ?? null, finishedAt: new Date() }));
        push({ phase: state === 'succeeded' ? 'done' : state, message, current: null, total: null, done: true, state, error: state === 'succeeded' ? null : message });
        this.#live.delete(row.id);
        finish();
      },
    };
    this.#live.set(row.id, live);
    for (const wake of this.#waiting) wake();

    return {
      id: row.id,
      signal: live.controller.signal,
      step: (phase, message, current = null, total = null) => {
        if (ended) return;
        void recordStep(phase, message);
        push({ phase, message, current, total, done: false, state: 'running', error: null });
      },
      checkpoint: async (phase, message) => {
        if (ended) return;
        push({ phase, message, current: null, total: null, done: false, state: 'running', error: null });
        await recordStep(phase, message);
      },
      succeed: (message, result) => live.end('succeeded', message, result),
      fail: (error) => live.end(live.cancelledByUser ? 'cancelled' : 'failed', live.cancelledByUser ? `Cancelled: ${describeError(error)}` : typeof error === 'string' ? error : describeError(error)),
    };
  }

  async get(id: string): Promise<Operation> {
    const row = await this.orm.em.fork().findOne(Operation, { id });
    if (!row) throw new NotFoundError(`No operation with id "${id}".`);
    return row;
  }

  /** The operation's row once it has ended (at once when it already has). */
  async settled(id: string): Promise<Operation> {
    const live = this.#live.get(id);
    if (live) await live.finished;
    return this.get(id);
  }

  /** True while this process runs an operation on the instance. */
  isRunningHere(instanceId: string): boolean {
    return [...this.#live.values()].some((live) => live.row.instanceId === instanceId);
  }

  /** Newest first, optionally of one instance, kind or state. */
  async list(filter: { instanceId?: string | null; kind?: OperationKind | null; state?: OperationState | null; limit?: number } = {}): Promise<Operation[]> {
    const where = {
      ...(filter.instanceId ? { instanceId: filter.instanceId } : {}),
      ...(filter.kind ? { kind: filter.kind } : {}),
      ...(filter.state ? { state: filter.state } : {}),
    };
    const limit = filter.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LISTED_OPERATIONS) throw new InvalidInputError(`The limit must be between 1 and ${MAX_LISTED_OPERATIONS}, not ${limit}.`, 'limit');
    return this.orm.em.fork().find(Operation, where, { orderBy: { createdAt: 'desc' }, limit });
  }

  /** The running operation of an instance, if any. */
  async running(instanceId: string): Promise<Operation | null> {
    return this.orm.em.fork().findOne(Operation, { instanceId, state: 'running' }, { orderBy: { createdAt: 'desc' } });
  }

  /** Asks a running backup or restore to stop; it ends `cancelled` once its undo is done. */
  async cancel(id: string): Promise<Operation> {
    const row = await this.get(id);
    if (row.state !== 'running') throw new ConflictError(`Operation ${row.kind} of "${row.instanceName}" already ended (${row.state}).`);
    if (!CANCELLABLE_KINDS.includes(row.kind)) throw new ConflictError(`A ${row.kind} cannot be cancelled; only ${CANCELLABLE_KINDS.join(' and ')} can.`);
    const live = this.#live.get(id);
    if (!live) throw new ConflictError(`Operation ${id} runs in another control-plane process (${row.owner}).`);
    live.cancelledByUser = true;
    live.controller.abort(new Error('Cancelled on request.'));
    await live.finished;
    return this.get(id);
  }

  /**
   * Every event of one operation from its start, then new ones until it ends. An operation this
   * process does not run is replayed from its row (its steps, then how it ended); one still
   * running elsewhere is watched until its row says it ended.
   */
  async *follow(id: string, signal?: AbortSignal): AsyncGenerator<OperationProgress> {
    const live = this.#live.get(id);
    if (live) {
      yield* this.#followLive(live, signal);
      return;
    }
    let row = await this.get(id);
    for (const step of row.steps) yield stepEvent(row, step);
    while (row.state === 'running') {
      if (signal?.aborted) return;
      await sleep(REMOTE_POLL_MS, signal);
      const again = this.#live.get(id);
      if (again) {
        yield* this.#followLive(again, signal);
        return;
      }
      const seen = row.steps.length;
      row = await this.get(id);
      for (const step of row.steps.slice(seen)) yield stepEvent(row, step);
    }
    yield finalEvent(row);
  }

  /**
   * Follows an instance's operation of one kind: the running one, or else the next one to start.
   * An operation that ended before the subscription is never replayed, except a provision (there
   * is one per instance, so a late subscriber is told how it ended). Pass the operation's id to
   * `follow` for an exact answer.
   */
  async *followKind(instanceId: string, kind: OperationKind, signal?: AbortSignal): AsyncGenerator<OperationProgress> {
    const since = new Date();
    for (;;) {
      const running = [...this.#live.values()].find((live) => live.row.instanceId === instanceId && live.row.kind === kind);
      if (running) {
        yield* this.#followLive(running, signal);
        return;
      }
      const em = this.orm.em.fork();
      const latest = await em.findOne(Operation, { instanceId, kind }, { orderBy: { createdAt: 'desc' } });
      if (latest && (latest.state === 'running' || kind === 'provision' || latest.createdAt >= since)) {
        yield* this.follow(latest.id, signal);
        return;
      }
      if (signal?.aborted) return;
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      this.#waiting.add(wake);
      const onAbort = () => wake();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        // Poll too: an operation begun by another process wakes no one here.
        await Promise.race([woken, sleep(REMOTE_POLL_MS * 5)]);
      } finally {
        this.#waiting.delete(wake);
        signal?.removeEventListener('abort', onAbort);
      }
    }
  }

  async *#followLive(live: LiveOperation, signal?: AbortSignal): AsyncGenerator<OperationProgress> {
    let wake: (() => void) | null = null;
    const listener = () => wake?.();
    live.listeners.add(listener);
    let index = 0;
    try {
      for (;;) {
        while (index < live.events.length) {
          const event = live.events[index++]!;
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
      live.listeners.delete(listener);
    }
  }

  /** Operations this process is running now. */
  get liveCount(): number {
    return this.#live.size;
  }

  /**
   * Shutdown: starts nothing new, waits up to `graceMs` for running operations, then aborts what
   * is left and marks it `interrupted` so the next start reconciles it. Returns the ids it marked.
   */
  async shutdown(graceMs: number): Promise<string[]> {
    this.#accepting = false;
    const running = [...this.#live.values()];
    await Promise.race([Promise.all(running.map((live) => live.finished)), sleep(graceMs)]);
    const left = [...this.#live.values()];
    // Interrupted first, so the undo that the abort sets off cannot record the end as a failure.
    await Promise.all(left.map((live) => live.end('interrupted', 'The control plane was stopped while this operation ran; it is reconciled at the next start.')));
    for (const live of left) live.controller.abort(new Error('The control plane is shutting down.'));
    return left.map((live) => live.row.id);
  }

  /**
   * At start: every operation still `running` in the database belongs to a process that is gone
   * (one control plane per database), so it is marked `interrupted`; reconciliation then finishes
   * or undoes what it left. Returns them, oldest first.
   */
  async interruptAbandoned(): Promise<Operation[]> {
    const em = this.orm.em.fork();
    const abandoned = await em.find(Operation, { state: 'running' }, { orderBy: { createdAt: 'asc' } });
    if (abandoned.length > 0) await this.#markInterrupted({ id: { $in: abandoned.map((row) => row.id) } }, 'The control plane stopped while this operation ran.');
    return abandoned;
  }

  /** Notes what reconciliation did about an interrupted operation. */
  async noteReconciled(id: string, text: string): Promise<void> {
    await this.orm.em.fork().nativeUpdate(Operation, { id }, { reconciliation: text, updatedAt: new Date() });
  }

  async #markInterrupted(where: object, message: string): Promise<void> {
    await this.orm.em.fork().nativeUpdate(Operation, { ...where, state: 'running' }, { state: 'interrupted', message, error: message, finishedAt: new Date(), updatedAt: new Date() });
  }
}

function stepEvent(row: Operation, step: OperationStep): OperationProgress {
  return { operationId: row.id, instanceId: row.instanceId, operation: row.kind, phase: step.phase, message: step.message, current: null, total: null, done: false, state: 'running', error: null, at: new Date(step.at) };
}

function finalEvent(row: Operation): OperationProgress {
  const message = row.message ?? row.error ?? row.state;
  return {
    operationId: row.id,
    instanceId: row.instanceId,
    operation: row.kind,
    phase: row.state === 'succeeded' ? 'done' : row.state,
    message,
    current: null,
    total: null,
    done: true,
    state: row.state,
    error: row.state === 'succeeded' ? null : message,
    at: row.finishedAt ?? row.updatedAt,
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
