/**
 * Limits how many non-streaming invocations of one connection run at once (ASP.NET Core's
 * `MaximumParallelInvocationsPerClient`, default 1), starting them in arrival order so results
 * come back in request order.
 *
 * A method that waits for a client result gives its slot back for the wait; otherwise, with one
 * slot, the client's answer could never be dispatched and the connection would deadlock.
 */
export class InvocationSlots {
  #free: number;
  #queue: Array<() => void> = [];
  #head = 0;

  constructor(limit: number) {
    this.#free = Math.max(1, limit);
  }

  /** Resolves when a slot is taken; `urgent` jumps the queue (for a method resuming after a wait). */
  acquire(urgent = false): Promise<void> | undefined {
    if (this.#free > 0 && this.waiting === 0) {
      this.#free--;
      return undefined;
    }
    return new Promise<void>((resolve) => {
      if (urgent) {
        if (this.#head > 0) this.#queue[--this.#head] = resolve;
        else this.#queue.unshift(resolve);
      } else {
        this.#queue.push(resolve);
      }
    });
  }

  release(): void {
    if (this.#head < this.#queue.length) {
      const next = this.#queue[this.#head] as () => void;
      this.#queue[this.#head++] = noop;
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head);
        this.#head = 0;
      }
      next();
    } else {
      this.#free++;
    }
  }

  /** Invocations waiting for a slot. */
  get waiting(): number {
    return this.#queue.length - this.#head;
  }
}

function noop(): void {}
