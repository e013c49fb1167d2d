import { randomUUID } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type { Duplex } from 'node:stream';
import { NotFoundError } from '@krint/engine-sdk';
import type { ExecOutput } from '../protocol/commands.js';
import type { Docker } from './client.js';
import { waitForExitCode } from './exec.js';
import { EXEC_MARKER_VARIABLE, newExecMarker, reapExec } from './exec-reaper.js';

/** Starts the richest shell the image has. */
export const DEFAULT_SHELL = ['/bin/sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi'] as const;

export interface AttachOptions {
  readonly command?: readonly string[];
  readonly columns: number;
  readonly rows: number;
  readonly signal?: AbortSignal;
}

interface ExecSession {
  readonly stream: Duplex;
  resize(columns: number, rows: number): Promise<void>;
}

/**
 * Interactive terminals inside containers, by session id. The `exec.attach` stream owns a session
 * from start to exit; `exec.input` and `exec.resize` reach it through this table. A session is
 * removed when its command exits or its stream is cancelled.
 */
export class ExecSessionTable {
  readonly #sessions = new Map<string, ExecSession>();

  constructor(readonly docker: Docker) {}

  /**
   * Starts `command` (a shell by default) with a TTY and yields `started`, then output as UTF-8
   * text (a character split across chunks is kept whole), then `exit` with the exit code.
   */
  async *attach(containerId: string, options: AttachOptions): AsyncGenerator<ExecOutput> {
    // Closing a terminal's connection does not end what was started in it (a `sleep`, a psql
    // query): the shell and its children are reaped by their marker when the session ends early.
    const marker = newExecMarker();
    let exited = false;
    const exec = await this.docker.getContainer(containerId).exec({
      Cmd: [...(options.command ?? DEFAULT_SHELL)],
      Env: ['TERM=xterm-256color', `${EXEC_MARKER_VARIABLE}=${marker}`],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
    });
    const stream = await exec.start({ tty: true });
    const sessionId = randomUUID();
    const resize = async (columns: number, rows: number) => {
      await exec.resize({ w: columns, h: rows });
    };
    this.#sessions.set(sessionId, { stream, resize });
    const stop = () => stream.destroy();
    options.signal?.addEventListener('abort', stop, { once: true });
    try {
      // The process may not have started yet; an early resize failure is harmless.
      await resize(options.columns, options.rows).catch(() => undefined);
      yield { kind: 'started', sessionId };
      const decoder = new StringDecoder('utf8');
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          const data = decoder.write(chunk);
          if (data.length > 0) yield { kind: 'output', data };
        }
      } catch (error) {
        if (!options.signal?.aborted) throw error;
      }
      const rest = decoder.end();
      if (rest.length > 0) yield { kind: 'output', data: rest };
      if (options.signal?.aborted) return;
      const exitCode = await waitForExitCode(exec);
      exited = true;
      yield { kind: 'exit', exitCode };
    } finally {
      options.signal?.removeEventListener('abort', stop);
      this.#sessions.delete(sessionId);
      stop();
      if (!exited) await reapExec(this.docker, containerId, marker);
    }
  }

  /** Sends keystrokes (UTF-8 text) to a session's terminal. */
  async write(sessionId: string, data: string): Promise<void> {
    const session = this.#get(sessionId);
    await new Promise<void>((resolve, reject) => session.stream.write(data, (error) => (error ? reject(error) : resolve())));
  }

  async resize(sessionId: string, columns: number, rows: number): Promise<void> {
    await this.#get(sessionId).resize(columns, rows);
  }

  /** Ids of the open sessions. */
  get ids(): string[] {
    return [...this.#sessions.keys()];
  }

  /** Ends every session, e.g. when the agent shuts down. */
  closeAll(): void {
    for (const session of this.#sessions.values()) session.stream.destroy();
    this.#sessions.clear();
  }

  #get(sessionId: string): ExecSession {
    const session = this.#sessions.get(sessionId);
    if (!session) throw new NotFoundError(`No open terminal session ${sessionId}; it has ended or never existed.`);
    return session;
  }
}
