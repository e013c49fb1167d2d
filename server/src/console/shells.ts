import type { CommandExecutor, ExecOutput } from '@krint/agent';
import { InvalidInputError, NotFoundError } from '@krint/engine-sdk';
import { randomUUID } from 'node:crypto';
import { audited, handleFor, type Actor, type ServiceDeps } from '../services/context.js';

/** A session opened by `openShell` and not yet (or no longer) attached. */
interface ShellSession {
  readonly id: string;
  readonly instanceId: string;
  readonly containerId: string;
  readonly executor: CommandExecutor;
  columns: number;
  rows: number;
  /** The agent's exec session id, once attached. */
  agentSessionId: string | null;
  attached: boolean;
  expiry: NodeJS.Timeout | null;
}

/** An opened shell that nobody subscribes to is dropped after this long. */
const UNCLAIMED_SHELL_MS = 60_000;

export type ShellEvent = { kind: 'output'; data: string } | { kind: 'exit'; exitCode: number | null };

/**
 * Interactive shells: `open` reserves a session, `attach` (the `shell` subscription) starts the
 * exec and streams its output, `input`/`resize` reach it while attached. The exec ends when the
 * subscriber leaves; a session can be attached once.
 */
export class ShellService {
  readonly #sessions = new Map<string, ShellSession>();

  constructor(private readonly deps: ServiceDeps) {}

  async open(instanceId: string, columns: number, rows: number, actor: Actor): Promise<string> {
    checkSize(columns, rows);
    const handle = await handleFor(this.deps, instanceId);
    return audited(this.deps, { actor, action: 'instance.shell', targetType: 'instance', targetId: instanceId, targetName: handle.instance.name }, async () => {
      const session: ShellSession = { id: randomUUID(), instanceId, containerId: handle.address.containerId, executor: handle.executor, columns, rows, agentSessionId: null, attached: false, expiry: null };
      session.expiry = setTimeout(() => this.#sessions.delete(session.id), UNCLAIMED_SHELL_MS);
      this.#sessions.set(session.id, session);
      return session.id;
    });
  }

  /**
   * The shell's events until it exits or the subscriber leaves. Not an async generator: one that
   * waits on a quiet shell (a `sleep`, a long query) would queue the subscriber's `return()` behind
   * the next output, leaving the shell and what runs in it to the container. Here `return()` aborts
   * the agent's stream at once, which ends that wait, and the agent ends what the shell started.
   */
  attach(sessionId: string): AsyncIterableIterator<ShellEvent> {
    const session = this.#get(sessionId);
    if (session.attached) throw new InvalidInputError('This shell session is already attached; open a new one.', 'sessionId');
    session.attached = true;
    if (session.expiry) clearTimeout(session.expiry);
    const abort = new AbortController();
    const events = this.#events(session, abort.signal);
    const iterator: AsyncIterableIterator<ShellEvent> = {
      next: () => events.next(),
      return: async () => {
        abort.abort();
        await events.return(undefined).catch(() => undefined);
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  async *#events(session: ShellSession, signal: AbortSignal): AsyncGenerator<ShellEvent> {
    try {
      const stream = session.executor.stream('exec.attach', { containerId: session.containerId, columns: session.columns, rows: session.rows }, { signal });
      for await (const item of stream as AsyncIterable<ExecOutput>) {
        if (item.kind === 'started') session.agentSessionId = item.sessionId;
        else if (item.kind === 'output') yield { kind: 'output', data: item.data };
        else {
          yield { kind: 'exit', exitCode: item.exitCode };
          return;
        }
      }
    } catch (error) {
      // The subscriber left: the stream ended because it was told to.
      if (!signal.aborted) throw error;
    } finally {
      this.#sessions.delete(session.id);
    }
  }

  async input(sessionId: string, data: string): Promise<void> {
    if (typeof data !== 'string' || data.length > 64 * 1024) throw new InvalidInputError('Shell input must be at most 64 KiB per call.', 'data');
    const session = this.#attached(sessionId);
    await session.executor.run('exec.input', { sessionId: session.agentSessionId!, data });
  }

  async resize(sessionId: string, columns: number, rows: number): Promise<void> {
    checkSize(columns, rows);
    const session = this.#get(sessionId);
    session.columns = columns;
    session.rows = rows;
    if (session.agentSessionId) await session.executor.run('exec.resize', { sessionId: session.agentSessionId, columns, rows });
  }

  closeAll(): void {
    for (const session of this.#sessions.values()) if (session.expiry) clearTimeout(session.expiry);
    this.#sessions.clear();
  }

  #get(sessionId: string): ShellSession {
    const session = this.#sessions.get(sessionId);
    if (!session) throw new NotFoundError('No such shell session; it ended or was never opened. Open a new shell.');
    return session;
  }

  /** Input can arrive right after the subscription starts, before the agent reported its session id. */
  #attached(sessionId: string): ShellSession {
    const session = this.#get(sessionId);
    if (!session.attached || !session.agentSessionId) throw new InvalidInputError('The shell is not attached yet; subscribe to shell(sessionId) first and wait for output.', 'sessionId');
    return session;
  }
}

function checkSize(columns: number, rows: number): void {
  if (!Number.isInteger(columns) || columns < 10 || columns > 1000) throw new InvalidInputError('columns must be from 10 to 1000.', 'columns');
  if (!Number.isInteger(rows) || rows < 2 || rows > 500) throw new InvalidInputError('rows must be from 2 to 500.', 'rows');
}
