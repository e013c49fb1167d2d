import { InvalidDataError } from './errors/invalid-data.error.js';
import type { RecordSplitter } from './hub-protocol.js';

/** A length prefix holds at most 5 groups of 7 bits; the fifth may use only 3 of them (< 2 GiB). */
const MAX_PREFIX_BYTES = 5;

/**
 * Splits bytes framed the way the MessagePack hub protocol frames them: a VarInt length (7 bits
 * per byte, least-significant group first, top bit set while more bytes follow), then that many
 * bytes of body. A frame may hold several records and a record may span frames.
 *
 * A record lying inside one chunk is returned as a view of that chunk, not a copy. That is safe
 * because chunks come from `ws` messages and HTTP bodies, which are fresh allocations never
 * written again; bytes held across chunks are copied, since those are the only ones whose source
 * the caller may reuse. The views are plain `Uint8Array`s (not `Buffer`s), so what the decoder
 * slices out of them are plain `Uint8Array`s too.
 *
 * The declared length is checked against the limit as soon as the prefix is read, so an
 * oversized record is refused before any of its body is buffered.
 */
export class LengthPrefixedReader implements RecordSplitter {
  /** Body bytes of the record being assembled, or the first bytes of an unfinished prefix. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Body length of the record being assembled; `-1` while its prefix is incomplete. */
  #bodyLength = -1;

  /** @param maxRecordBytes largest body accepted, prefix excluded; `null` for no limit. */
  constructor(private readonly maxRecordBytes: number | null) {}

  push(input: Buffer): Uint8Array[] {
    const records: Uint8Array[] = [];
    let chunk = input;
    let offset = 0;
    if (this.#pendingBytes > 0 || this.#bodyLength >= 0) {
      if (this.#bodyLength < 0) {
        // An unfinished prefix is at most 4 bytes: joining it to the chunk is cheap.
        chunk = Buffer.concat([...this.#pending, input]);
        this.#reset();
      } else {
        const missing = this.#bodyLength - this.#pendingBytes;
        if (input.length < missing) {
          this.#hold(input);
          return records;
        }
        this.#pending.push(input.subarray(0, missing));
        const body = Buffer.concat(this.#pending, this.#bodyLength);
        records.push(plain(body, 0, body.length));
        this.#reset();
        offset = missing;
      }
    }
    while (offset < chunk.length) {
      const prefix = readPrefix(chunk, offset);
      if (prefix === undefined) {
        this.#hold(chunk.subarray(offset));
        break;
      }
      const { bodyLength, prefixLength } = prefix;
      this.#checkSize(bodyLength);
      const start = offset + prefixLength;
      if (start + bodyLength <= chunk.length) {
        records.push(plain(chunk, start, bodyLength));
        offset = start + bodyLength;
        continue;
      }
      this.#bodyLength = bodyLength;
      this.#hold(chunk.subarray(start));
      break;
    }
    return records;
  }

  get bufferedBytes(): number {
    return this.#pendingBytes;
  }

  #hold(bytes: Buffer): void {
    if (bytes.length === 0) return;
    // Copy: whatever the caller gave may be reused once push returns.
    this.#pending.push(Buffer.from(bytes));
    this.#pendingBytes += bytes.length;
  }

  #reset(): void {
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#bodyLength = -1;
  }

  #checkSize(length: number): void {
    if (this.maxRecordBytes !== null && length > this.maxRecordBytes) {
      throw new InvalidDataError(`The maximum message size of ${this.maxRecordBytes}B was exceeded.`);
    }
  }
}

/** Reads a VarInt length at `offset`; `undefined` when the chunk ends inside it. */
function readPrefix(chunk: Buffer, offset: number): { bodyLength: number; prefixLength: number } | undefined {
  let bodyLength = 0;
  for (let index = 0; index < MAX_PREFIX_BYTES; index++) {
    if (offset + index >= chunk.length) return undefined;
    const byte = chunk[offset + index] as number;
    if (index === MAX_PREFIX_BYTES - 1 && byte > 0x07) throw new InvalidDataError('Messages over 2GB in size are not supported.');
    // Multiplication, not shifts: the fifth group would overflow a signed 32-bit shift.
    bodyLength += (byte & 0x7f) * 2 ** (7 * index);
    if ((byte & 0x80) === 0) return { bodyLength, prefixLength: index + 1 };
  }
  throw new InvalidDataError('Messages over 2GB in size are not supported.');
}

/** Writes the VarInt length prefix of a `length`-byte body into `target` and returns its size. */
export function writePrefix(length: number, target: Uint8Array): number {
  let remaining = length;
  let index = 0;
  do {
    let group = remaining & 0x7f;
    remaining = Math.floor(remaining / 128);
    if (remaining > 0) group |= 0x80;
    target[index++] = group;
  } while (remaining > 0);
  return index;
}

/** Size of the VarInt prefix for a `length`-byte body. */
export function prefixSize(length: number): number {
  let size = 1;
  for (let remaining = Math.floor(length / 128); remaining > 0; remaining = Math.floor(remaining / 128)) size++;
  return size;
}

function plain(buffer: Buffer, start: number, length: number): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset + start, length);
}
