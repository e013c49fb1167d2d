import { InvalidDataError } from './errors/invalid-data.error.js';
import type { Payload } from './hub-protocol.js';

/**
 * Outgoing half of stateful reconnect: every trackable record sent is kept, numbered implicitly
 * 1, 2, 3… in send order, until the client acknowledges it. After a dropped socket the kept
 * records are sent again on the new one. Records are kept as serialized (text or bytes), so a
 * replay re-sends exactly what was sent; sizes count characters for text and bytes for binary.
 */
export class ReplayBuffer {
  #records: Payload[] = [];
  #head = 0;
  /** Sequence number of `#records[#head]`. */
  #firstSequenceId = 1;
  #bytes = 0;

  add(record: Payload): void {
    this.#records.push(record);
    this.#bytes += record.length;
  }

  /** Drops every record up to and including `sequenceId`. */
  ack(sequenceId: number): void {
    while (this.#head < this.#records.length && this.#firstSequenceId <= sequenceId) {
      this.#bytes -= (this.#records[this.#head] as Payload).length;
      this.#records[this.#head++] = '';
      this.#firstSequenceId++;
    }
    if (this.#head > 256 && this.#head * 2 > this.#records.length) {
      this.#records = this.#records.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The Sequence id to announce on resume: the first unacknowledged record, or the next to be sent. */
  get resumeSequenceId(): number {
    return this.#firstSequenceId;
  }

  /** Records still unacknowledged, oldest first. */
  pending(): Payload[] {
    return this.#records.slice(this.#head);
  }

  get bytes(): number {
    return this.#bytes;
  }
}

/**
 * Incoming half: numbers the client's trackable messages, drops the duplicates a replay brings,
 * and tells when an Ack is due.
 */
export class ReceiveSequence {
  /** Highest sequence number processed. */
  #latest = 0;
  /** Number the next trackable message will carry. */
  #next = 1;

  /** Applies the client's Sequence message, sent first on a resumed socket. */
  reset(sequenceId: number): void {
    if (sequenceId > this.#latest + 1) {
      throw new InvalidDataError("Sequence ID greater than amount of messages we've received.");
    }
    this.#next = sequenceId;
  }

  /** Numbers one trackable message; returns false for a duplicate that must be skipped. */
  accept(): boolean {
    const id = this.#next++;
    if (id <= this.#latest) return false;
    this.#latest = id;
    return true;
  }

  get latest(): number {
    return this.#latest;
  }
}
