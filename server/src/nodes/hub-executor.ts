import { randomUUID } from 'node:crypto';
import {
  NodeClientMethods,
  overTheWire,
  STREAM_NEXT_IN_FLIGHT,
  STREAM_POLL_MS,
  type CallOptions,
  type CommandArgs,
  type CommandExecutor,
  type CommandName,
  type CommandResult,
  type DumpChunk,
  type Envelope,
  type StreamArgs,
  type StreamBatch,
  type StreamItem,
  type StreamName,
  type UploadArgs,
  type UploadName,
  type UploadResult,
  type WireError,
} from '@krint/agent';

/** The part of a SignalR connection proxy the executor needs (client results). */
export interface NodeConnection {
  invoke<T = unknown>(method: string, args?: readonly unknown[], options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<T>;
  send(method: string, ...args: unknown[]): Promise<void>;
}

export interface HubExecutorOptions {
  /** Longest a request/response command may take on the node. */
  readonly commandTimeoutMs?: number;
  /** Longest a restore may take; the connection dropping fails it at once regardless. */
  readonly uploadTimeoutMs?: number;
}

const DEFAULT_COMMAND_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_UPLOAD_TIMEOUT_MS = 6 * 60 * 60_000;
/**
 * `Next` answers within the poll window once the requests before it are answered (the node takes
 * them in order); this covers those and the round trip.
 */
const NEXT_TIMEOUT_MS = STREAM_NEXT_IN_FLIGHT * STREAM_POLL_MS + 30_000;

/**
 * Runs protocol commands on a node over its hub connection. It behaves like the in-process
 * executor: same arguments, same results, same error codes (carried in envelopes), so services
 * cannot tell a node from the local host. Uploads are pulled by the node chunk by chunk through
 * {@link UploadRegistry}, so a restore never sits in memory on either side.
 */
export class HubExecutor implements CommandExecutor {
  readonly #connection: NodeConnection;
  readonly #uploads: UploadRegistry;
  readonly #options: Required<HubExecutorOptions>;

  constructor(connection: NodeConnection, uploads: UploadRegistry, options: HubExecutorOptions = {}) {
    this.#connection = connection;
    this.#uploads = uploads;
    this.#options = {
      commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      uploadTimeoutMs: options.uploadTimeoutMs ?? DEFAULT_UPLOAD_TIMEOUT_MS,
    };
  }

  async run<K extends CommandName>(name: K, args: CommandArgs<K>, options?: CallOptions): Promise<CommandResult<K>> {
    const envelope = await this.#invoke<Envelope<CommandResult<K>>>(
      NodeClientMethods.run,
      { callId: randomUUID(), name, args: overTheWire(args) },
      this.#options.commandTimeoutMs,
      options?.signal,
    );
    return unwrap(envelope);
  }

  stream<K extends StreamName>(name: K, args: StreamArgs<K>, options?: CallOptions): AsyncIterable<StreamItem<K>> {
    const executor = this;
    return {
      async *[Symbol.asyncIterator]() {
        const streamId = randomUUID();
        unwrap(await executor.#invoke<Envelope<null>>(NodeClientMethods.openStream, { streamId, name, args: overTheWire(args) }, executor.#options.commandTimeoutMs, options?.signal));
        let finished = false;
        const next = () => executor.#invoke<Envelope<StreamBatch>>(NodeClientMethods.next, streamId, NEXT_TIMEOUT_MS, options?.signal);
        // Requests stay in flight while the caller consumes the current batch, so a dump moves at
        // the speed of the link rather than one round trip per batch; memory stays bounded by the
        // batches requested. Requests answered after the end (the stream is gone) are ignored.
        const pending: Promise<Envelope<StreamBatch>>[] = [];
        const request = () => {
          const call = next();
          call.catch(() => undefined); // surfaces when awaited; never unhandled if left behind
          pending.push(call);
        };
        while (pending.length < STREAM_NEXT_IN_FLIGHT) request();
        try {
          while (!finished) {
            const batch: StreamBatch = unwrap(await pending.shift()!);
            finished = batch.done;
            if (!finished) request();
            for (const item of batch.items) yield item as StreamItem<K>;
          }
        } finally {
          // The reader left early (or failed): stop the producer on the node.
          if (!finished) await executor.#connection.send(NodeClientMethods.cancel, streamId).catch(() => undefined);
        }
      },
    };
  }

  async upload<K extends UploadName>(name: K, args: UploadArgs<K>, body: AsyncIterable<DumpChunk>, options?: CallOptions): Promise<UploadResult<K>> {
    const uploadId = randomUUID();
    const release = this.#uploads.open(uploadId, body);
    try {
      const envelope = await this.#invoke<Envelope<UploadResult<K>>>(NodeClientMethods.upload, { uploadId, name, args: overTheWire(args) }, this.#options.uploadTimeoutMs, options?.signal);
      return unwrap(envelope);
    } finally {
      await release();
    }
  }

  async #invoke<T>(method: string, argument: unknown, timeoutMs: number, signal: AbortSignal | undefined): Promise<T> {
    try {
      return await this.#connection.invoke<T>(method, [argument], signal ? { timeoutMs, signal } : { timeoutMs });
    } catch (error) {
      throw transportFailure(error, describeCall(method, argument));
    }
  }
}

/**
 * Upload bodies waiting to be pulled by nodes, keyed by upload id. The hub's `NextUploadChunk`
 * method reads from here; one chunk is read from the source per call, so the source (a file, an
 * HTTP upload) is paced by the node.
 */
export class UploadRegistry {
  readonly #uploads = new Map<string, AsyncIterator<DumpChunk>>();

  open(uploadId: string, body: AsyncIterable<DumpChunk>): () => Promise<void> {
    const iterator = body[Symbol.asyncIterator]();
    this.#uploads.set(uploadId, iterator);
    return async () => {
      if (this.#uploads.get(uploadId) === iterator) this.#uploads.delete(uploadId);
      await iterator.return?.().catch(() => undefined);
    };
  }

  /**
   * The next chunk's bytes (sent as MessagePack `bin`, not copied), or `null` at the end (or for an
   * unknown id, which ends that upload).
   */
  async next(uploadId: string): Promise<Uint8Array | null> {
    const iterator = this.#uploads.get(uploadId);
    if (!iterator) return null;
    const result = await iterator.next();
    if (result.done) {
      this.#uploads.delete(uploadId);
      return null;
    }
    return result.value.data;
  }

  get size(): number {
    return this.#uploads.size;
  }
}

/** What a call was for, in words, for transport errors: `backup.dump`, `db.query`... */
function describeCall(method: string, argument: unknown): string {
  if (typeof argument === 'object' && argument !== null && typeof (argument as { name?: unknown }).name === 'string') return (argument as { name: string }).name;
  return method === NodeClientMethods.next ? 'a stream' : method;
}

/**
 * The hub failed, not the command: the connection went away or the node did not answer in time.
 * These become UNAVAILABLE / TIMEOUT errors that name the operation, never an unexplained error
 * or a hang. A call the caller cancelled keeps its own error.
 */
function transportFailure(error: unknown, operation: string): Error {
  const name = error instanceof Error ? error.name : '';
  if (name === 'ClientResultTimeoutError') {
    return Object.assign(new Error(`The node did not answer ${operation} in time.`, { cause: error }), { code: 'TIMEOUT' });
  }
  if (name === 'ConnectionLostError') {
    return Object.assign(new Error(`The node disconnected during ${operation}; nothing was reported as done.`, { cause: error }), { code: 'UNAVAILABLE' });
  }
  return error instanceof Error ? error : new Error(String(error));
}

function unwrap<T>(envelope: Envelope<T>): T {
  if (envelope.ok) return envelope.value;
  throw wireFailure(envelope.error);
}

/** An error carrying the protocol's code; the router maps it to the control plane's typed errors. */
function wireFailure(wire: WireError): Error {
  return Object.assign(new Error(wire.message), { code: wire.code, ...(wire.field ? { field: wire.field } : {}) });
}
