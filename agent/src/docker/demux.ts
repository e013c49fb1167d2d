/**
 * Docker multiplexes stdout and stderr of a container without a TTY into frames: one byte for the
 * stream (1 stdout, 2 stderr), three zero bytes, a big-endian 32-bit length, then the payload. A
 * frame can arrive split over several chunks, and one chunk can hold several frames.
 */
export interface Frame {
  readonly stream: 'stdout' | 'stderr';
  readonly payload: Buffer;
}

const HEADER_BYTES = 8;

export class FrameDecoder {
  #pending: Buffer = Buffer.alloc(0);

  /** Adds a chunk and returns the frames it completes. */
  push(chunk: Buffer): Frame[] {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    const frames: Frame[] = [];
    while (this.#pending.length >= HEADER_BYTES) {
      const length = this.#pending.readUInt32BE(4);
      if (this.#pending.length < HEADER_BYTES + length) break;
      const streamByte = this.#pending[0];
      frames.push({
        stream: streamByte === 2 ? 'stderr' : 'stdout',
        payload: this.#pending.subarray(HEADER_BYTES, HEADER_BYTES + length),
      });
      this.#pending = this.#pending.subarray(HEADER_BYTES + length);
    }
    return frames;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pendingBytes(): number {
    return this.#pending.length;
  }
}
