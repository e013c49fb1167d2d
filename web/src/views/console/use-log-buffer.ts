/** A container log line as the API sends it. */
export interface LogLine {
  readonly stream: string;
  readonly text: string;
  readonly time: string;
}

export interface BufferedLine extends LogLine {
  /** Increasing number, stable across trimming, for list keys. */
  readonly seq: number;
}

/**
 * The lines the log view shows: capped (oldest dropped first), with pause that holds new lines
 * aside instead of moving the view, and a search that matches case-insensitively.
 */
export class LogBuffer {
  #lines: BufferedLine[] = [];
  #held: BufferedLine[] = [];
  #seq = 0;
  #paused = false;
  /** Lines dropped because the buffer was full, so the view can say so. */
  dropped = 0;

  constructor(readonly capacity = 5000) {}

  get lines(): readonly BufferedLine[] {
    return this.#lines;
  }
  get paused(): boolean {
    return this.#paused;
  }
  /** New lines waiting while paused. */
  get held(): number {
    return this.#held.length;
  }

  /** Adds the lines of one subscription event (in order), in one step however many there are. */
  push(lines: readonly LogLine[]): void {
    const entries = lines.map((line) => ({ ...line, seq: this.#seq++ }));
    if (this.#paused) {
      this.#held = this.#capped(this.#held.concat(entries));
      return;
    }
    this.#append(entries);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    const held = this.#held;
    this.#held = [];
    this.#append(held);
  }

  clear(): void {
    this.#lines = [];
    this.#held = [];
    this.dropped = 0;
  }

  /** The lines containing `term` (all of them for an empty term). */
  search(term: string): BufferedLine[] {
    const needle = term.trim().toLowerCase();
    if (needle === '') return [...this.#lines];
    return this.#lines.filter((line) => line.text.toLowerCase().includes(needle));
  }

  /** Everything shown, one line each with its time and stream, for download. */
  toText(): string {
    return this.#lines.map((line) => `${line.time} ${line.stream} ${line.text}`).join('\n') + (this.#lines.length ? '\n' : '');
  }

  #append(entries: BufferedLine[]): void {
    if (entries.length === 0) return;
    this.#lines = this.#capped(this.#lines.concat(entries));
  }

  /** The newest `capacity` lines of `list`, counting the older ones it drops. */
  #capped(list: BufferedLine[]): BufferedLine[] {
    const overflow = list.length - this.capacity;
    if (overflow <= 0) return list;
    this.dropped += overflow;
    return list.slice(overflow);
  }
}

/** Splits `text` around case-insensitive matches of `term`, for highlighting. */
export function highlightParts(text: string, term: string): { text: string; match: boolean }[] {
  const needle = term.trim().toLowerCase();
  if (needle === '') return [{ text, match: false }];
  const parts: { text: string; match: boolean }[] = [];
  const lower = text.toLowerCase();
  let from = 0;
  for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, from)) {
    if (at > from) parts.push({ text: text.slice(from, at), match: false });
    parts.push({ text: text.slice(at, at + needle.length), match: true });
    from = at + needle.length;
  }
  if (from < text.length) parts.push({ text: text.slice(from), match: false });
  return parts;
}
