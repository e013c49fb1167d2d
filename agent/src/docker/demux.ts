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

/**
 * Decodes the frames into payload bytes, handed out as views of the chunk they arrived in: a frame
 * split over two chunks comes out as two pieces of the same stream, and nothing is copied but a
 * header split between chunks (at most 7 bytes). Joining the rest of a chunk onto a split frame
 * instead copied about 0.7 bytes per byte of a dump (frames of up to 32 KiB, reads of up to 64 KiB)
 * and nearly every read of a log burst. Consumers of lines keep a cut line or character themselves.
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
    this.forEach(chunk, (stream, bytes, start, end) => pieces.push({ stream, payload: bytes.subarray(start, end) }));
    return pieces;
  }

  /**
   * Adds a chunk and calls `visit` for each payload piece in it, in order, with the piece's place
   * in `bytes` instead of a Frame object and a Buffer view each: a log burst is one frame per line,
   * and this is the per-line path. `bytes` is only good during the call; a piece is never empty.
   */
  forEach(chunk: Buffer, visit: (stream: Frame['stream'], bytes: Buffer, start: number, end: number) => void): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#remaining > 0) {
        const end = Math.min(chunk.length, offset + this.#remaining);
        this.#remaining -= end - offset;
        visit(this.#stream, chunk, offset, end);
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
