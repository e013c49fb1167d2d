import { randomUUID } from 'node:crypto';
import type { HubConnection } from '@microsoft/signalr';
import type { CommandExecutor, CommandName, StreamItem, StreamName, UploadName, DumpChunk, LogBatch } from '../protocol/commands.js';
import {
  NodeClientMethods,
  NodeHubMethods,
  STREAM_BATCH_BYTES,
  STREAM_BATCH_ITEMS,
  STREAM_LINGER_MS,
  STREAM_POLL_MS,
  type Envelope,
  type RunRequest,
  type StreamBatch,
  type StreamRequest,
  type UploadRequest,
} from '../protocol/node-messages.js';
import { toWireError } from '../errors.js';
import { InvalidInputError } from '@krint/engine-sdk';

/**
 * The node's side of the hub: answers the control plane's client-result invocations by running
 * them on the local executor, the same one the control plane uses in-process. It holds only what
 * is in flight (open streams and uploads); all of it is dropped when the connection goes.
 */
export class NodeBridge {
  readonly #executor: CommandExecutor;
  readonly #connection: HubConnection;
  readonly #streams = new Map<string, OpenStream>();

  constructor(connection: HubConnection, executor: CommandExecutor) {
    this.#connection = connection;
    this.#executor = executor;
    connection.on(NodeClientMethods.run, (request: RunRequest) => this.#run(request));
    connection.on(NodeClientMethods.openStream, (request: StreamRequest) => this.#openStream(request));
    connection.on(NodeClientMethods.next, (streamId: string) => this.#next(streamId));
    connection.on(NodeClientMethods.cancel, (streamId: string) => this.#cancel(streamId));
    connection.on(NodeClientMethods.upload, (request: UploadRequest) => this.#upload(request));
    // A dropped connection ends everything in flight: the control plane has already failed the
    // callers, and a stream nobody reads must not keep a dump or a shell running.
    connection.onreconnecting(() => this.cancelAll());
    connection.onclose(() => this.cancelAll());
  }

  get openStreams(): number {
    return this.#streams.size;
  }

  cancelAll(): void {
    for (const id of [...this.#streams.keys()]) this.#cancel(id);
  }

  async #run(request: RunRequest): Promise<Envelope<unknown>> {
    return envelope(async () => {
      assertRequest(request, 'callId');
      return this.#executor.run(request.name as CommandName, request.args as never);
    });
  }

  async #openStream(request: StreamRequest): Promise<Envelope<null>> {
    return envelope(async () => {
      assertRequest(request, 'streamId');
      if (this.#streams.has(request.streamId)) throw new InvalidInputError(`Stream ${request.streamId} is already open.`, 'streamId');
      const controller = new AbortController();
      const iterable = this.#executor.stream(request.name as StreamName, request.args as never, { signal: controller.signal });
      this.#streams.set(request.streamId, {
        controller,
        iterator: iterable[Symbol.asyncIterator](),
        sizeOf: itemSizer(request.name),
        pending: undefined,
        turn: Promise.resolve(),
      });
      return null;
    });
  }

  /**
   * The control plane keeps several `Next` calls in flight; they are answered strictly one after
   * the other, in the order they arrived, each with the items produced after the previous batch.
   */
  async #next(streamId: string): Promise<Envelope<StreamBatch>> {
    return envelope(async () => {
      const stream = this.#streams.get(streamId);
      if (!stream) throw new InvalidInputError(`Stream ${streamId} is not open.`, 'streamId');
      const batch = stream.turn.then(() => this.#collect(streamId, stream));
      stream.turn = batch.then(
        () => undefined,
        () => undefined,
      );
      return batch;
    });
  }

  async #collect(streamId: string, stream: OpenStream): Promise<StreamBatch> {
    // The stream may have ended, failed or been cancelled while this call waited its turn.
    if (this.#streams.get(streamId) !== stream) throw new InvalidInputError(`Stream ${streamId} is not open.`, 'streamId');
    try {
      const batch = await collectBatch(stream);
      if (batch.done) this.#streams.delete(streamId);
      return batch;
    } catch (error) {
      this.#streams.delete(streamId);
      throw error;
    }
  }

  #cancel(streamId: string): void {
    const stream = this.#streams.get(streamId);
    if (!stream) return;
    this.#streams.delete(streamId);
    stream.controller.abort();
    void stream.iterator.return?.().catch(() => undefined);
  }

  async #upload(request: UploadRequest): Promise<Envelope<unknown>> {
    return envelope(async () => {
      assertRequest(request, 'uploadId');
      const connection = this.#connection;
      async function* chunks(): AsyncGenerator<DumpChunk> {
        for (;;) {
          // MessagePack `bin` arrives as a Uint8Array view of the received message: no copy.
          const data = await connection.invoke<Uint8Array | null>(NodeHubMethods.nextUploadChunk, request.uploadId);
          if (data === null) return;
          yield { data };
        }
      }
      return this.#executor.upload(request.name as UploadName, request.args as never, chunks());
    });
  }
}

interface OpenStream {
  readonly controller: AbortController;
  readonly iterator: AsyncIterator<unknown>;
  /** The rough wire size of one of this stream's items, chosen by its name when it opened. */
  readonly sizeOf: (item: unknown) => number;
  /** A `next()` that outlived the last poll window; the following `Next` picks it up first. */
  pending: Promise<IteratorResult<unknown>> | undefined;
  /** Settles when the `Next` calls received so far are answered; the next one waits for it. */
  turn: Promise<void>;
}

/**
 * Takes what the stream has ready: waits for the first item up to the poll window, then adds
 * items that follow within a short linger, up to the batch limits (items and bytes), so a log follow
 * sends lines in bulk and a dump sends a few chunks per message, well under the hub's record limit.
 */
async function collectBatch(stream: OpenStream): Promise<StreamBatch> {
  const items: unknown[] = [];
  const first = await raceWindow(stream, STREAM_POLL_MS);
  if (first === 'timeout') return { items, done: false };
  if (first.done) return { items, done: true };
  items.push(first.value);
  let bytes = stream.sizeOf(first.value);
  while (items.length < STREAM_BATCH_ITEMS && bytes < STREAM_BATCH_BYTES) {
    const next = await raceWindow(stream, STREAM_LINGER_MS);
    if (next === 'timeout') break;
    if (next.done) return { items, done: true };
    items.push(next.value);
    bytes += stream.sizeOf(next.value);
  }
  return { items, done: false };
}

async function raceWindow(stream: OpenStream, windowMs: number): Promise<IteratorResult<unknown> | 'timeout'> {
  stream.pending ??= stream.iterator.next();
  const pending = stream.pending;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), windowMs);
  });
  try {
    const result = await Promise.race([pending, timeout]);
    if (result !== 'timeout') stream.pending = undefined;
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** What a small item (a progress event, a piece of terminal output) is taken to cost on the wire. */
const SMALL_ITEM_BYTES = 256;
const smallItem = (): number => SMALL_ITEM_BYTES;

/** Rough size of each stream's items on the wire: dump chunks by their bytes, log batches by their lines. */
const ITEM_SIZE: { readonly [K in StreamName]: (item: StreamItem<K>) => number } = {
  'image.pull': smallItem,
  'logs.follow': logBatchSize,
  'backup.dump': (chunk: DumpChunk) => chunk.data.byteLength,
  'exec.attach': smallItem,
  'events.watch': smallItem,
};

/**
 * The sizer for the stream `name`. The items the bridge reads are those of the executor's stream
 * of that name, hence the one cast. A name that is not a stream gets the small-item sizer: the
 * executor refuses such a stream before it yields anything.
 */
function itemSizer(name: string): (item: unknown) => number {
  return Object.hasOwn(ITEM_SIZE, name) ? (ITEM_SIZE[name as StreamName] as (item: unknown) => number) : smallItem;
}

/** A log batch by its lines' text plus the stream, the timestamp and the field names of each. */
function logBatchSize(batch: LogBatch): number {
  let bytes = 0;
  for (const line of batch.lines) bytes += line.text.length + 80;
  return bytes;
}

function assertRequest(request: unknown, idField: string): asserts request is { name: string; args: unknown } {
  if (typeof request !== 'object' || request === null) throw new InvalidInputError('The request must be an object.');
  const record = request as Record<string, unknown>;
  if (typeof record[idField] !== 'string' || typeof record.name !== 'string') {
    throw new InvalidInputError(`The request needs a string "${idField}" and "name".`);
  }
}

async function envelope<T>(work: () => Promise<T>): Promise<Envelope<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: toWireError(error) };
  }
}

export { randomUUID as newRequestId };
