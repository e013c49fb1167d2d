import { InvalidDataError } from './errors/invalid-data.error.js';
import { RECORD_SEPARATOR_CODE } from './hub-protocol.js';

/**
 * Turns WebSocket frames into complete records. A frame may carry several records, and a record
 * may be split across frames, even in the middle of a UTF-8 sequence, so bytes are buffered and
 * decoded only once a whole record is present.
 *
 * The size limit is enforced while buffering, so a peer cannot grow the buffer by never sending a
 * separator.
 */
export class RecordReader {
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
