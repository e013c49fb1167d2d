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

/**
 * The same frames as byte streams, for consumers of bytes rather than lines (a dump, a command's
 * stderr): payload bytes are handed out as views of the chunk they arrived in, so a frame split over
 * two chunks comes out as two pieces and nothing is copied but a header split between chunks (at
 * most 7 bytes). {@link FrameDecoder} instead joins the rest of the chunk onto a split frame, which
 * for a dump (frames of up to 32 KiB, reads of up to 64 KiB) copied about 0.7 bytes per byte.
 */
export class PayloadDecoder {
  #stream: Frame['stream'] = 'stdout';
  /** Payload bytes of the current frame still to come. */
  #remaining = 0;
  /** The start of a header split between chunks. */
  #header: Buffer = EMPTY;

  /** Adds a chunk and returns the payload pieces in it, in order; pieces of one frame share its stream. */
  push(chunk: Buffer): Frame[] {
    const pieces: Frame[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#remaining > 0) {
        const end = Math.min(chunk.length, offset + this.#remaining);
        pieces.push({ stream: this.#stream, payload: chunk.subarray(offset, end) });
        this.#remaining -= end - offset;
        offset = end;
      } else if (this.#header.length === 0 && chunk.length - offset >= HEADER_BYTES) {
        this.#startFrame(chunk, offset);
        offset += HEADER_BYTES;
      } else {
        const taken = chunk.subarray(offset, offset + HEADER_BYTES - this.#header.length);
        this.#header = Buffer.concat([this.#header, taken]);
        offset += taken.length;
        if (this.#header.length === HEADER_BYTES) {
          this.#startFrame(this.#header, 0);
          this.#header = EMPTY;
        }
      }
    }
    return pieces;
  }

  /** Bytes of a frame still to come (its header or payload): zero between frames. */
  get pendingBytes(): number {
    return this.#header.length > 0 ? HEADER_BYTES - this.#header.length : this.#remaining;
  }

  #startFrame(bytes: Buffer, at: number): void {
    this.#stream = bytes[at] === 2 ? 'stderr' : 'stdout';
    this.#remaining = bytes.readUInt32BE(at + 4);
  }
}
