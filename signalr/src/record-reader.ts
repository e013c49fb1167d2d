import { InvalidDataError } from './errors/invalid-data.error.js';
import { RECORD_SEPARATOR_CODE, type RecordSplitter } from './hub-protocol.js';

/**
 * Turns WebSocket frames into complete records. A frame may carry several records, and a record
 * may be split across frames, even in the middle of a UTF-8 sequence, so bytes are buffered and
 * decoded only once a whole record is present.
 *
 * The size limit is enforced while buffering, so a peer cannot grow the buffer by never sending a
 * separator.
 *
 * It splits the JSON hub protocol, and reads the handshake of every protocol (see {@link takeFirst}).
 */
export class RecordReader implements RecordSplitter {
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  /** @param maxRecordBytes largest record accepted, separator excluded; `null` for no limit. */
  constructor(private readonly maxRecordBytes: number | null) {}

  /** Returns the records completed by `chunk`, in order. Throws {@link InvalidDataError} on an oversized record. */
  push(chunk: Buffer): string[] {
    const records: string[] = [];
    let start = 0;
    let separator = chunk.indexOf(RECORD_SEPARATOR_CODE, start);
    while (separator !== -1) {
      const length = this.#pendingBytes + separator - start;
      this.#checkSize(length);
      if (this.#pendingBytes === 0) {
        records.push(chunk.toString('utf8', start, separator));
      } else {
        this.#pending.push(chunk.subarray(start, separator));
        records.push(Buffer.concat(this.#pending, length).toString('utf8'));
        this.#pending = [];
        this.#pendingBytes = 0;
      }
      start = separator + 1;
      separator = chunk.indexOf(RECORD_SEPARATOR_CODE, start);
    }
    if (start < chunk.length) {
      this.#checkSize(this.#pendingBytes + chunk.length - start);
      // Copy: the frame's buffer may be reused by the socket layer.
      this.#pending.push(Buffer.from(chunk.subarray(start)));
      this.#pendingBytes += chunk.length - start;
    }
    return records;
  }

  /**
   * Returns the first record completed by `chunk` and the bytes after it, untouched, or
   * `undefined` while it is incomplete. The handshake is read this way: what follows it belongs
   * to the protocol it names, which may not be separated by 0x1E at all.
   */
  takeFirst(chunk: Buffer): { record: string; rest: Buffer } | undefined {
    const separator = chunk.indexOf(RECORD_SEPARATOR_CODE);
    if (separator === -1) {
      this.push(chunk);
      return undefined;
    }
    const [record] = this.push(chunk.subarray(0, separator + 1));
    return { record: record as string, rest: chunk.subarray(separator + 1) };
  }

  /** Bytes held for an incomplete record. */
  get bufferedBytes(): number {
    return this.#pendingBytes;
  }

  #checkSize(length: number): void {
    if (this.maxRecordBytes !== null && length > this.maxRecordBytes) {
      throw new InvalidDataError(`The maximum message size of ${this.maxRecordBytes}B was exceeded.`);
    }
  }
}
