/**
 * The server side of one client upload: an async iterable fed by the client's StreamItems.
 *
 * The buffer is small and bounded. When it fills, `onFull` pauses reading from the socket (as
 * ASP.NET Core's read loop does) and `onDrain` resumes it once the hub method consumes items, so a
 * fast uploader cannot outgrow a slow consumer.
 */
export class UploadStream<T = unknown> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #ended = false;
  #error: Error | undefined;
  #discarded = false;
  #full = false;
  #wake: (() => void) | undefined;

  constructor(
    private readonly capacity: number,
    private readonly onFull: () => void,
    private readonly onDrain: () => void,
  ) {}

  /** Called for each StreamItem. Items after the end or after the consumer quit are dropped. */
  push(item: T): void {
    if (this.#ended || this.#discarded) return;
    this.#items.push(item);
    if (!this.#full && this.#items.length >= this.capacity) {
      this.#full = true;
      this.onFull();
    }
    this.#wakeConsumer();
  }

  /** Called for the upload's Completion; an error makes the consumer's loop throw it. */
  end(error?: Error): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#wakeConsumer();
  }

  /** The hub method is done with the upload: drop what is buffered and stop pausing the socket. */
  discard(): void {
    this.#discarded = true;
    this.#items.length = 0;
    this.#releaseFull();
    this.end();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    try {
      for (;;) {
        if (this.#items.length > 0) {
          const item = this.#items.shift() as T;
          if (this.#items.length < this.capacity / 2) this.#releaseFull();
          yield item;
          continue;
        }
        if (this.#ended) {
          if (this.#error) throw this.#error;
          return;
        }
        await new Promise<void>((resolve) => (this.#wake = resolve));
      }
    } finally {
      // Reached when the consumer breaks out early too: further items are of no use.
      if (!this.#ended || this.#items.length > 0) this.discard();
    }
  }

  #wakeConsumer(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #releaseFull(): void {
    if (!this.#full) return;
    this.#full = false;
    this.onDrain();
  }
}
