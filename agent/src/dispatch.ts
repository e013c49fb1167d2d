import type {
  CommandArgs,
  CommandName,
  CommandResult,
  DumpChunk,
  StreamArgs,
  StreamItem,
  StreamName,
  UploadArgs,
  UploadName,
  UploadResult,
} from './protocol/commands.js';
import { dumpChunk, validateCommand, validateStream, validateUpload } from './protocol/validate.js';
import { WireFailure, toWireError } from './errors.js';
import { commandHandlers, streamHandlers, uploadHandlers } from './handlers/index.js';
import type { AgentContext } from './handlers/index.js';

type AnyCommandHandler = (context: AgentContext, args: unknown, signal: AbortSignal) => Promise<unknown>;
type AnyStreamHandler = (context: AgentContext, args: unknown, signal: AbortSignal) => AsyncIterable<unknown>;
type AnyUploadHandler = (context: AgentContext, args: unknown, body: AsyncIterable<DumpChunk>, signal: AbortSignal) => Promise<unknown>;

/**
 * The transport-neutral entry points of the agent. Names and arguments may come straight off the
 * wire: each call validates them, runs the handler, and turns any failure into a {@link WireFailure}
 * whose `wire` error is redacted of the passwords in the arguments. The in-process executor and a
 * hub connection call exactly these, so both behave the same.
 */
export class Dispatcher {
  /** Every engine's password patterns, applied to every error that leaves the agent. */
  readonly #passwordPatterns: readonly RegExp[];

  constructor(readonly context: AgentContext) {
    this.#passwordPatterns = context.engines.list().flatMap((engine) => engine.credentials?.passwordPatterns ?? []);
  }

  dispatchCommand<K extends CommandName>(name: K, args: CommandArgs<K>, signal?: AbortSignal): Promise<CommandResult<K>>;
  dispatchCommand(name: string, args: unknown, signal?: AbortSignal): Promise<unknown>;
  async dispatchCommand(name: string, args: unknown, signal?: AbortSignal): Promise<unknown> {
    const call = linkedController(signal);
    try {
      const checked = validateCommand(name, args);
      const handler = commandHandlers[name as CommandName] as unknown as AnyCommandHandler;
      return await handler(this.context, checked, call.signal);
    } catch (error) {
      throw new WireFailure(toWireError(error, collectSecrets(args), this.#passwordPatterns));
    } finally {
      call.dispose();
    }
  }

  /**
   * Items of a stream, pulled one at a time (the handler runs only as fast as the caller reads).
   * Aborting `signal`, or leaving the loop early, cancels the handler; an aborted stream ends
   * without an error.
   */
  dispatchStream<K extends StreamName>(name: K, args: StreamArgs<K>, signal?: AbortSignal): AsyncGenerator<StreamItem<K>>;
  dispatchStream(name: string, args: unknown, signal?: AbortSignal): AsyncGenerator<unknown>;
  async *dispatchStream(name: string, args: unknown, signal?: AbortSignal): AsyncGenerator<unknown> {
    const call = linkedController(signal);
    try {
      const checked = validateStream(name, args);
      const handler = streamHandlers[name as StreamName] as unknown as AnyStreamHandler;
      for await (const item of handler(this.context, checked, call.signal)) {
        yield item;
        if (signal?.aborted) return;
      }
    } catch (error) {
      if (signal?.aborted) return;
      throw new WireFailure(toWireError(error, collectSecrets(args), this.#passwordPatterns));
    } finally {
      call.dispose();
    }
  }

  /** Runs an upload whose body is a stream of chunks; each chunk is validated as it arrives. */
  dispatchUpload<K extends UploadName>(name: K, args: UploadArgs<K>, body: AsyncIterable<DumpChunk>, signal?: AbortSignal): Promise<UploadResult<K>>;
  dispatchUpload(name: string, args: unknown, body: AsyncIterable<unknown>, signal?: AbortSignal): Promise<unknown>;
  async dispatchUpload(name: string, args: unknown, body: AsyncIterable<unknown>, signal?: AbortSignal): Promise<unknown> {
    const call = linkedController(signal);
    try {
      const checked = validateUpload(name, args);
      const handler = uploadHandlers[name as UploadName] as unknown as AnyUploadHandler;
      return await handler(this.context, checked, checkedChunks(body), call.signal);
    } catch (error) {
      throw new WireFailure(toWireError(error, collectSecrets(args), this.#passwordPatterns));
    } finally {
      call.dispose();
    }
  }
}

async function* checkedChunks(body: AsyncIterable<unknown>): AsyncGenerator<DumpChunk> {
  let index = 0;
  for await (const chunk of body) yield dumpChunk(chunk, `body[${index++}]`);
}

/**
 * The abort reason of a call that has finished: one shared AbortError, since `abort()` without a
 * reason builds a new DOMException (with its stack) for every call, a good part of a fast command.
 */
const CALL_FINISHED = new DOMException('The call has finished.', 'AbortError');

/** An abort signal for one call: aborted by the caller's signal, and always when the call ends. */
function linkedController(outer?: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const forward = () => controller.abort(outer?.reason);
  if (outer?.aborted) forward();
  else outer?.addEventListener('abort', forward, { once: true });
  return {
    signal: controller.signal,
    dispose() {
      outer?.removeEventListener('abort', forward);
      controller.abort(CALL_FINISHED);
    },
  };
}

/** Every password in an argument object, wherever it sits, so error messages can be scrubbed. */
export function collectSecrets(args: unknown, found: string[] = [], depth = 0): string[] {
  if (depth > 4 || typeof args !== 'object' || args === null) return found;
  for (const [key, value] of Object.entries(args)) {
    if (typeof value === 'string' && /password/i.test(key)) found.push(value);
    else if (typeof value === 'object') collectSecrets(value, found, depth + 1);
  }
  return found;
}
