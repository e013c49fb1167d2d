/**
 * Building blocks for the engines' dump scanners (`DumpScanner`), which read a dump as bytes, one
 * chunk at a time, the way the engine's own client would.
 */

/**
 * `indexOf` over one chunk, remembering each answer: a scanner asks for the next quote or newline
 * again and again while it walks forward, and each question must not read the rest of the chunk
 * anew (that would be quadratic in a line of many short strings).
 */
export class NextByte {
  readonly #found = new Map<number, number>();
  constructor(readonly bytes: Buffer) {}

  /** The position of the first `value` at or after `from`, or the chunk's length. */
  at(value: number, from: number): number {
    const known = this.#found.get(value);
    if (known !== undefined && known >= from) return known;
    const at = this.bytes.indexOf(value, from);
    const position = at < 0 ? this.bytes.length : at;
    this.#found.set(value, position);
    return position;
  }

  /** How many `value` bytes lie in `[from, to)`. */
  count(value: number, from: number, to: number): number {
    let count = 0;
    for (let at = this.at(value, from); at < to; at = this.at(value, at + 1)) count++;
    return count;
  }
}

/** ASCII white space as SQL clients read it: space, tab, newline, vertical tab, form feed, return. */
export function isAsciiSpace(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}

