import { NextByte, isAsciiSpace, type DumpScanner } from '@krint/engine-sdk';

/**
 * The MySQL and MariaDB clients' own commands, which they run instead of sending the text to the
 * server when one starts a line of a new statement. A dump uses `DELIMITER` (around routines and
 * triggers) and `USE`; the rest (`system` runs a shell, `source` and `tee` touch files) never
 * appear in one.
 */
const CLIENT_COMMANDS = new Set(['charset', 'clear', 'connect', 'edit', 'ego', 'exit', 'go', 'help', 'nopager', 'notee', 'nowarning', 'pager', 'print', 'prompt', 'quit', 'rehash', 'sandbox', 'source', 'status', 'system', 'tee', 'warnings']);
const DUMP_COMMANDS = new Set(['delimiter', 'use']);

/**
 * Backslash commands a dump may hold outside quotes: `\-` (MariaDB's dumps start with
 * `/*M!999999\- enable the sandbox mode *\/`, which only takes rights away) and `\N`, which the
 * client passes on as NULL.
 */
const ALLOWED_BACKSLASH_COMMANDS = new Set(['-', 'N']);

const enum Byte {
  Tab = 0x09,
  Newline = 0x0a,
  Space = 0x20,
  Bang = 0x21,
  DoubleQuote = 0x22,
  Hash = 0x23,
  Quote = 0x27,
  Star = 0x2a,
  Dash = 0x2d,
  Slash = 0x2f,
  Backslash = 0x5c,
  Backtick = 0x60,
  M = 0x4d,
}

type State =
  | 'sql'
  | 'backslash' // a backslash in SQL: the next byte names a client command
  | 'dash' // '-' in SQL
  | 'dash-dash' // '--': a comment when white space follows
  | 'slash' // '/' in SQL
  | 'slash-star' // '/*': a comment, unless '!' or 'M!' makes it code the server runs
  | 'slash-star-m'
  | 'line-comment'
  | 'block-comment'
  | 'block-comment-star'
  | 'string' // '…' or "…"; a backslash escapes the next byte
  | 'string-backslash'
  | 'backtick'
  | 'first-word' // the first word of a line that starts a statement: a client command?
  | 'delimiter-line';

function isLetter(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
}

function isWordByte(byte: number): boolean {
  return isLetter(byte) || (byte >= 0x30 && byte <= 0x39) || byte === 0x5f || byte === 0x24 || byte >= 0x80;
}

/**
 * Reads a `mysqldump`/`mariadb-dump` file the way the `mysql`/`mariadb` client would, to find
 * client commands other than the ones dumps use: backslash commands outside quotes (`\!` runs a
 * shell) and named commands at the start of a statement (`system`, `source`, …). It follows
 * quoted strings (with backslash escapes), backquoted names, `#`, `-- ` and `/* *\/` comments,
 * versioned comments (`/*!…*\/`, code the client reads like any other), and `DELIMITER`.
 *
 * Hand-written because no library lexes the client's input. It reads strings with backslash
 * escapes on, as dumps are written; a dump that switches them off (`NO_BACKSLASH_ESCAPES`) to hide
 * a command from this scanner still runs nothing, because the restore runs the client with
 * `--binary-mode`, in which it takes no command but `DELIMITER` and `\C` (see `restoreScript`).
 * This scanner is what names the line before anything runs.
 */
export class MysqlDumpScanner implements DumpScanner {
  #state: State = 'sql';
  #line = 1;
  #atLineStart = true;
  #delimiter = ';';
  /** The last bytes of SQL, to see the delimiter end a statement. */
  #recent = '';
  #statementEmpty = true;
  #word = '';
  #delimiterLine: number[] = [];
  #quote = 0;
  #problem: string | null = null;

  push(chunk: Uint8Array): string | null {
    if (this.#problem) return this.#problem;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const next = new NextByte(bytes);
    let i = 0;
    while (i < bytes.length) {
      // Inside strings and comments only one or two byte values matter: jump to the first.
      const stop = this.#skipTo(next, i);
      if (stop > i) {
        this.#line += next.count(Byte.Newline, i, stop);
        this.#atLineStart = bytes[stop - 1] === Byte.Newline;
        i = stop;
        if (i === bytes.length) break;
      }
      if (this.#step(bytes[i]!)) i++;
      if (this.#problem) return this.#problem;
    }
    return null;
  }

  /** Where the bytes from `from` on stop being plain content of the current state. */
  #skipTo(next: NextByte, from: number): number {
    switch (this.#state) {
      case 'line-comment':
        return next.at(Byte.Newline, from);
      case 'backtick':
        return next.at(Byte.Backtick, from);
      case 'string':
        return Math.min(next.at(this.#quote, from), next.at(Byte.Backslash, from));
      default:
        return from;
    }
  }

  end(): string | null {
    if (this.#problem) return this.#problem;
    if (this.#state === 'backslash') this.#fail('a backslash at the very end of the dump.');
    else if (this.#state === 'first-word') this.#checkWord();
    return this.#problem;
  }

  #fail(message: string): false {
    this.#problem = `line ${this.#line}: ${message}`;
    return false;
  }

  #advance(byte: number): true {
    if (byte === Byte.Newline) {
      this.#line++;
      this.#atLineStart = true;
    } else {
      this.#atLineStart = false;
    }
    return true;
  }

  /** A byte of SQL text outside quotes and comments: it may complete the delimiter. */
  #code(byte: number): void {
    this.#recent = (this.#recent + String.fromCharCode(byte)).slice(-this.#delimiter.length);
    if (this.#recent === this.#delimiter) this.#statementEmpty = true;
    else if (!isAsciiSpace(byte)) this.#statementEmpty = false;
  }

  #step(byte: number): boolean {
    switch (this.#state) {
      case 'sql':
        return this.#sql(byte);
      case 'backslash': {
        const command = String.fromCharCode(byte);
        if (!ALLOWED_BACKSLASH_COMMANDS.has(command)) return this.#fail(`the client command "\\${command}" is not allowed outside quotes; a dump holds only SQL, DELIMITER and USE.`);
        this.#state = 'sql';
        this.#code(byte);
        return this.#advance(byte);
      }
      // Comments leave a statement empty (the client skips them), so '-' and '/' count as code
      // only once it is clear they do not open one.
      case 'dash':
        if (byte === Byte.Dash) {
          this.#state = 'dash-dash';
          return this.#advance(byte);
        }
        this.#code(Byte.Dash);
        this.#state = 'sql';
        return false;
      case 'dash-dash':
        if (isAsciiSpace(byte)) {
          this.#state = byte === Byte.Newline ? 'sql' : 'line-comment';
          return this.#advance(byte);
        }
        this.#code(Byte.Dash);
        this.#code(Byte.Dash);
        this.#state = 'sql';
        return false;
      case 'slash':
        if (byte === Byte.Star) {
          this.#state = 'slash-star';
          return this.#advance(byte);
        }
        this.#code(Byte.Slash);
        this.#state = 'sql';
        return false;
      case 'slash-star':
        if (byte === Byte.Bang) {
          this.#state = 'sql';
          return this.#advance(byte);
        }
        if (byte === Byte.M) {
          this.#state = 'slash-star-m';
          return this.#advance(byte);
        }
        this.#state = 'block-comment';
        return false;
      case 'slash-star-m':
        // `/*M!`: MariaDB's versioned comment, code like `/*!`; `/*M` followed by anything else is a comment.
        this.#state = byte === Byte.Bang ? 'sql' : 'block-comment';
        if (byte !== Byte.Bang) return false;
        return this.#advance(byte);
      case 'line-comment':
        if (byte === Byte.Newline) this.#state = 'sql';
        return this.#advance(byte);
      case 'block-comment':
        if (byte === Byte.Star) this.#state = 'block-comment-star';
        return this.#advance(byte);
      case 'block-comment-star':
        if (byte === Byte.Slash) {
          this.#state = 'sql';
          return this.#advance(byte);
        }
        this.#state = 'block-comment';
        return false;
      case 'string':
        if (byte === Byte.Backslash) this.#state = 'string-backslash';
        else if (byte === this.#quote) this.#state = 'sql';
        return this.#advance(byte);
      case 'string-backslash':
        this.#state = 'string';
        return this.#advance(byte);
      case 'backtick':
        if (byte === Byte.Backtick) this.#state = 'sql';
        return this.#advance(byte);
      case 'first-word':
        if (isWordByte(byte)) {
          if (this.#word.length < 16) this.#word += String.fromCharCode(byte).toLowerCase();
          this.#code(byte);
          return this.#advance(byte);
        }
        this.#state = 'sql';
        if (this.#word === 'delimiter' && (byte === Byte.Space || byte === Byte.Tab)) {
          this.#state = 'delimiter-line';
          this.#delimiterLine = [];
          return this.#advance(byte);
        }
        this.#checkWord();
        return false;
      case 'delimiter-line':
        if (byte === Byte.Newline) {
          const delimiter = Buffer.from(this.#delimiterLine).toString('latin1').trim().split(/\s+/)[0] ?? '';
          if (delimiter === '') return this.#fail('DELIMITER without a delimiter.');
          this.#delimiter = delimiter;
          this.#recent = '';
          this.#statementEmpty = true;
          this.#state = 'sql';
          return this.#advance(byte);
        }
        if (this.#delimiterLine.length < 64) this.#delimiterLine.push(byte);
        return this.#advance(byte);
    }
  }

  #sql(byte: number): boolean {
    if (this.#atLineStart && this.#statementEmpty && isLetter(byte)) {
      this.#state = 'first-word';
      this.#word = '';
      return false;
    }
    switch (byte) {
      case Byte.Backslash:
        this.#state = 'backslash';
        return this.#advance(byte);
      case Byte.Quote:
      case Byte.DoubleQuote:
        this.#state = 'string';
        this.#quote = byte;
        this.#code(byte);
        return this.#advance(byte);
      case Byte.Backtick:
        this.#state = 'backtick';
        this.#code(byte);
        return this.#advance(byte);
      case Byte.Hash:
        this.#state = 'line-comment';
        return this.#advance(byte);
      case Byte.Dash:
        this.#state = 'dash';
        return this.#advance(byte);
      case Byte.Slash:
        this.#state = 'slash';
        return this.#advance(byte);
      default:
        this.#code(byte);
        // White space keeps a line's start for the client's command check.
        if (isAsciiSpace(byte) && byte !== Byte.Newline) {
          const atLineStart = this.#atLineStart;
          this.#advance(byte);
          this.#atLineStart = atLineStart;
          return true;
        }
        return this.#advance(byte);
    }
  }

  #checkWord(): void {
    if (CLIENT_COMMANDS.has(this.#word) && !DUMP_COMMANDS.has(this.#word)) {
      this.#fail(`"${this.#word}" at the start of a statement is a client command the restore would run; a dump holds only SQL, DELIMITER and USE.`);
    }
  }
}
