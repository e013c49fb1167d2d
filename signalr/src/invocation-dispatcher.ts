import { ErrorTexts, withDetail } from './error-texts.js';
import { HubError } from './errors/hub-error.js';
import type { Hub, MethodDescriptor } from './hub.js';
import type { HubCallContext } from './hub-context.js';
import {
  errorMessage,
  MessageType,
  resultMessage,
  streamEndMessage,
  streamItemMessage,
  type HubMessage,
  type InvocationMessage,
  type StreamInvocationMessage,
} from './hub-protocol.js';
import type { ClientResults } from './client-results.js';
import { InvocationSlots } from './invocation-slots.js';
import { UploadStream } from './upload-stream.js';

/** Invocations queued for a slot above which the socket stops being read, and where it resumes. */
const QUEUE_PAUSE_AT = 512;
const QUEUE_RESUME_AT = 128;

/** A slot held by a running invocation, given back while it waits for a client result. */
export interface HeldSlot {
  release(): void;
  reacquire(): Promise<void>;
}

/** What the dispatcher needs from its connection. */
export interface DispatchHost<TUser> {
  readonly detailedErrors: boolean;
  readonly streamBufferCapacity: number;
  readonly clientResults: ClientResults;
  /** Aborted when the connection ends. */
  readonly signal: AbortSignal;
  /** Serializes and queues a message; throws if it cannot be serialized. */
  write(message: HubMessage): Promise<void> | undefined;
  pauseReading(): void;
  resumeReading(): void;
  createContext(signal: AbortSignal, slot: HeldSlot | undefined): HubCallContext<TUser>;
}

/**
 * Runs the hub methods a connection's messages ask for: blocking and fire-and-forget invocations,
 * server streams with cancellation, uploads, and the answers to the server's client-result calls.
 */
export class InvocationDispatcher<TUser> {
  readonly #uploads = new Map<string, UploadStream>();
  readonly #streams = new Map<string, AbortController>();
  readonly #slots: InvocationSlots;
  #pausedForQueue = false;

  constructor(
    private readonly hub: Hub<TUser>,
    private readonly host: DispatchHost<TUser>,
    maxParallelInvocations: number,
  ) {
    this.#slots = new InvocationSlots(maxParallelInvocations);
  }

  /** Handles one message of types 1 to 5. Never throws. */
  dispatch(message: HubMessage): void {
    switch (message.type) {
      case MessageType.Invocation:
      case MessageType.StreamInvocation:
        this.#invoke(message);
        return;
      case MessageType.StreamItem:
        this.#uploads.get(message.invocationId)?.push(message.item);
        return;
      case MessageType.Completion: {
        const upload = this.#uploads.get(message.invocationId);
        if (upload) {
          this.#uploads.delete(message.invocationId);
          upload.end(message.error !== undefined ? new Error(message.error) : undefined);
        } else {
          // Unknown ids (a late answer after a timeout, say) are ignored.
          this.host.clientResults.complete(message);
        }
        return;
      }
      case MessageType.CancelInvocation:
        this.#streams.get(message.invocationId)?.abort();
        return;
      default:
        return;
    }
  }

  /** The connection ended: uploads fail, streams stop (their signal is the connection's too). */
  dispose(): void {
    for (const upload of this.#uploads.values()) upload.end(new Error('The connection ended before the upload completed.'));
    this.#uploads.clear();
    for (const stream of this.#streams.values()) stream.abort();
  }

  #invoke(message: InvocationMessage | StreamInvocationMessage): void {
    const streaming = message.type === MessageType.StreamInvocation;
    const id = message.invocationId;
    const reply = (text: string) => {
      if (id !== undefined) this.host.write(errorMessage(id, text));
    };
    const method = this.hub.lookup(message.target);
    if (!method) return reply(ErrorTexts.methodNotFound(message.target));
    if (method.streaming && !streaming) return reply(ErrorTexts.streamingMethodInvoked(message.target));
    if (!method.streaming && streaming) return reply(ErrorTexts.nonStreamingMethodStreamed(message.target));
    if (message.arguments.length !== method.arity) {
      const detail = new HubBindingError(ErrorTexts.argumentCountMismatch(message.arguments.length, method.arity));
      return reply(withDetail(ErrorTexts.bindingFailed(message.target), detail, this.host.detailedErrors));
    }
    const streamIds = message.streamIds ?? [];
    if (streamIds.length !== method.uploads) {
      const detail = new HubError(ErrorTexts.uploadCountMismatch(streamIds.length, method.uploads));
      return reply(withDetail(ErrorTexts.invocationFailed(message.target), detail, this.host.detailedErrors));
    }
    if (streaming && id !== undefined && this.#streams.has(id)) return reply(ErrorTexts.invocationIdInUse(id));

    // Uploads are registered now: their items may follow in the very same frame.
    const uploads = streamIds.map((streamId) => {
      const upload = new UploadStream(
        this.host.streamBufferCapacity,
        () => this.host.pauseReading(),
        () => this.host.resumeReading(),
      );
      this.#uploads.set(streamId, upload);
      return upload;
    });
    const args = uploads.length > 0 ? [...message.arguments, ...uploads] : (message.arguments as unknown[]);
    const finish = () => {
      streamIds.forEach((streamId, index) => {
        if (this.#uploads.get(streamId) === uploads[index]) this.#uploads.delete(streamId);
        uploads[index]?.discard();
      });
    };

    if (streaming && id !== undefined) {
      void this.#runStream(method, message.target, id, args).finally(finish);
      return;
    }
    // Uploading methods, like streams, take no slot: they must not hold up the rest of the connection.
    if (uploads.length > 0) {
      void this.#runMethod(method, message.target, id, args, undefined).finally(finish);
      return;
    }
    const acquired = this.#slots.acquire();
    if (!acquired) {
      void this.#runMethod(method, message.target, id, args, this.#heldSlot());
      return;
    }
    this.#checkQueue();
    void acquired.then(() => {
      this.#checkQueue();
      return this.#runMethod(method, message.target, id, args, this.#heldSlot());
    });
  }

  async #runMethod(
    method: MethodDescriptor<TUser>,
    target: string,
    id: string | undefined,
    args: unknown[],
    slot: (HeldSlot & { done(): void }) | undefined,
  ): Promise<void> {
    try {
      // Queued behind others and the connection ended meanwhile: nobody is left to answer.
      if (this.host.signal.aborted) return;
      const context = this.host.createContext(this.host.signal, slot);
      const result = await method.handler(context, ...args);
      if (id !== undefined) this.host.write(resultMessage(id, result));
    } catch (error) {
      if (id !== undefined) this.host.write(errorMessage(id, withDetail(ErrorTexts.invocationFailed(target), error, this.host.detailedErrors)));
    } finally {
      slot?.done();
    }
  }

  async #runStream(method: MethodDescriptor<TUser>, target: string, id: string, args: unknown[]): Promise<void> {
    const cancel = new AbortController();
    const onConnectionEnd = () => cancel.abort();
    this.host.signal.addEventListener('abort', onConnectionEnd, { once: true });
    this.#streams.set(id, cancel);
    const canceled = new Promise<typeof CANCELED>((resolve) => cancel.signal.addEventListener('abort', () => resolve(CANCELED), { once: true }));
    let iterator: AsyncIterator<unknown> | undefined;
    try {
      const context = this.host.createContext(cancel.signal, undefined);
      const produced = method.handler(context, ...args) as AsyncIterable<unknown> | Promise<AsyncIterable<unknown>>;
      const iterable = await Promise.race([produced, canceled]);
      if (iterable !== CANCELED) {
        iterator = iterable[Symbol.asyncIterator]();
        for (;;) {
          const pending = iterator.next();
          pending.catch(() => undefined);
          const next = await Promise.race([pending, canceled]);
          if (next === CANCELED || next.done) break;
          // Awaiting the write is what carries a slow client's backpressure to the producer.
          await this.host.write(streamItemMessage(id, next.value));
          if (cancel.signal.aborted) break;
        }
      }
      this.host.write(streamEndMessage(id));
    } catch (error) {
      // A producer that throws because it was canceled still ends the stream cleanly.
      if (cancel.signal.aborted) this.host.write(streamEndMessage(id));
      else this.host.write(errorMessage(id, withDetail(ErrorTexts.streamFailed, error, this.host.detailedErrors)));
    } finally {
      if (cancel.signal.aborted && iterator?.return) {
        // Not awaited: an async generator parked in an await only returns once that await settles.
        iterator.return().catch(() => undefined);
      }
      this.#streams.delete(id);
      this.host.signal.removeEventListener('abort', onConnectionEnd);
    }
  }

  #heldSlot(): HeldSlot & { done(): void } {
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.#slots.release();
      },
      reacquire: async () => {
        if (held) return;
        await this.#slots.acquire(true);
        held = true;
      },
      done: () => {
        if (held) this.#slots.release();
        held = false;
        this.#checkQueue();
      },
    };
  }

  #checkQueue(): void {
    const waiting = this.#slots.waiting;
    if (!this.#pausedForQueue && waiting >= QUEUE_PAUSE_AT) {
      this.#pausedForQueue = true;
      this.host.pauseReading();
    } else if (this.#pausedForQueue && waiting <= QUEUE_RESUME_AT) {
      this.#pausedForQueue = false;
      this.host.resumeReading();
    }
  }
}

const CANCELED = Symbol('canceled');

/** Shown as `InvalidDataException` in detailed errors, as ASP.NET Core names binding failures. */
class HubBindingError extends Error {
  override readonly name = 'InvalidDataException';
}
