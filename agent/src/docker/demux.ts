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
const EMPTY = Buffer.alloc(0);

export class FrameDecoder {
  #pending: Buffer = EMPTY;

  /** Adds a chunk and returns the frames it completes. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    this.forEach(chunk, (stream, bytes, start, end) => frames.push({ stream, payload: bytes.subarray(start, end) }));
    return frames;
  }

  /**
   * Adds a chunk and calls `visit` for each frame it completes, with the payload's place in
   * `bytes` instead of a Frame object and a Buffer view each: a log burst is one frame per line,
   * and this is the per-line path. `bytes` is only good during the call.
   */
  forEach(chunk: Buffer, visit: (stream: 'stdout' | 'stderr', bytes: Buffer, start: number, end: number) => void): void {
    const bytes = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    let offset = 0;
    while (bytes.length - offset >= HEADER_BYTES) {
      const length = bytes.readUInt32BE(offset + 4);
      const end = offset + HEADER_BYTES + length;
      if (end > bytes.length) break;
      visit(bytes[offset] === 2 ? 'stderr' : 'stdout', bytes, offset + HEADER_BYTES, end);
      offset = end;
    }
    this.#pending = offset === bytes.length ? EMPTY : bytes.subarray(offset);
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get pendingBytes(): number {
    return this.#pending.length;
  }
}
