import { NextByte, isAsciiSpace, type DumpScanner } from '@krint/engine-sdk';

/**
 * A `\connect` line as `pg_dumpall` writes it: a plain database name, a quoted one, or
 * `-reuse-previous=on "dbname='…'"`, and nothing after it (psql would run a second meta-command
 * on the same line). Written so that it is both a JavaScript pattern and a POSIX awk one: the
 * restore filter uses it to decide which lines psql may run unrestricted.
 */
export const CONNECT_LINE = String.raw`^\\connect( +(-reuse-previous=on|"([^"]|"")*"|[A-Za-z0-9_.]+))+ *$`;

/**
 * The psql meta-commands `pg_dumpall` writes, each as a whole line: {@link CONNECT_LINE} and the
 * `\restrict`/`\unrestrict` pair of current releases. A line holding anything more is refused.
 */
const ALLOWED_META_LINES: readonly RegExp[] = [new RegExp(CONNECT_LINE), /^\\(?:un)?restrict +[A-Za-z0-9]+ *$/];

/** Longest meta-command line kept for the check; `pg_dumpall` writes far shorter ones. */
const MAX_META_LINE = 4096;

const enum Byte {
  Newline = 0x0a,
  Return = 0x0d,
  Space = 0x20,
  DoubleQuote = 0x22,
  Dollar = 0x24,
  Quote = 0x27,
  OpenParen = 0x28,
  CloseParen = 0x29,
  Star = 0x2a,
  Dash = 0x2d,
  Slash = 0x2f,
  Colon = 0x3a,
  Semicolon = 0x3b,
  Backslash = 0x5c,
  OpenBrace = 0x7b,
}

type State =
  | 'sql'
  | 'dash' // a '-' in SQL: a line comment if another follows
  | 'slash' // a '/' in SQL: a block comment if '*' follows
  | 'colon' // a ':' in SQL: a cast, or a psql variable
  | 'dollar-open' // reading the tag of a possible `$tag$`
  | 'line-comment'
  | 'block-comment'
  | 'block-comment-star'
  | 'block-comment-slash'
  | 'string' // '…' with standard_conforming_strings on: a backslash is a character
  | 'escape-string' // E'…': a backslash escapes the next byte
  | 'escape-string-backslash'
  | 'escape-string-quote' // a quote in E'…': the end, or '' standing for one quote
  | 'identifier' // "…"
  | 'dollar-string'
  | 'dollar-close' // matching the closing `$tag$`
  | 'meta' // a backslash at the start of a line: the meta-command line
  | 'after-copy' // the rest of the line that ended a COPY … FROM stdin statement
  | 'copy-data'; // until a line that is exactly `\.`

function isIdentifierStart(byte: number): boolean {
  return (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || byte === 0x5f || byte >= 0x80;
}

function isIdentifierByte(byte: number): boolean {
  return isIdentifierStart(byte) || (byte >= 0x30 && byte <= 0x39) || byte === Byte.Dollar;
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}

/** A line or command as printable text for an error message. */
function shown(bytes: readonly number[] | string, max = 60): string {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes).toString('latin1');
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/**
 * Reads a plain SQL dump the way psql would, to find what psql would run besides SQL: any
 * meta-command other than the ones `pg_dumpall` writes (`\! id` runs a shell in the container)
 * and psql variables (`:DBNAME`), whose values psql reads again for meta-commands. It follows
 * what psql follows: quoted strings and identifiers, `E'…'` strings, dollar quoting, comments,
 * and COPY data up to its `\.` line, where a backslash is data.
 *
 * Hand-written because no library lexes psql's input (psql's own lexer is C inside psql). It
 * reads strings as psql does with `standard_conforming_strings` on, as every dump since
 * PostgreSQL 9.1 sets it; a dump that turns it off to hide a command from this scanner still
 * runs nothing, because the restore keeps psql in restricted mode outside `\connect` lines
 * (see `postgresRestoreCommand`). This scanner is what names the line before anything runs.
 */
export class PsqlDumpScanner implements DumpScanner {
  #state: State = 'sql';
  #line = 1;
  #atLineStart = true;
  /** Identifier or number being read in SQL, for `$` (part of an identifier, or a dollar quote) and `E'`. */
  #token: 'none' | 'identifier' | 'number' = 'none';
  #word: number[] = [];
  #dollarTag: number[] = [];
  #closeIndex = 0;
  #commentDepth = 0;
  #meta: number[] = [];
  #metaLine = 0;
  #copyLine: number[] = [];
  /** The statement so far, as far as COPY needs it: its first word, its words at paren depth 0. */
  #firstWord: string | null = null;
  #previousWord: string | null = null;
  #parenDepth = 0;
  #fromStdin = false;
  #problem: string | null = null;

  push(chunk: Uint8Array): string | null {
    if (this.#problem) return this.#problem;
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const next = new NextByte(bytes);
    let i = 0;
    while (i < bytes.length) {
      // Inside data (strings, comments, COPY rows) only one byte value matters: jump to it.
      const target = this.#skipTarget();
      if (target !== null) {
        const stop = next.at(target, i);
        if (stop > i) {
          this.#line += next.count(Byte.Newline, i, stop);
          this.#atLineStart = bytes[stop - 1] === Byte.Newline;
        }
        i = stop;
        if (i === bytes.length) break;
      }
      if (this.#step(bytes[i]!)) i++;
      if (this.#problem) return this.#problem;
    }
    return null;
  }

  end(): string | null {
    if (this.#problem) return this.#problem;
    // A meta-command on the last line, without a newline after it, still runs.
    if (this.#state === 'meta') this.#checkMeta();
    return this.#problem;
  }

  /** The one byte that ends the current state, when everything before it can be skipped. */
  #skipTarget(): number | null {
    switch (this.#state) {
      case 'string':
        return Byte.Quote;
      case 'identifier':
        return Byte.DoubleQuote;
      case 'line-comment':
        return Byte.Newline;
      case 'dollar-string':
        return Byte.Dollar;
      case 'copy-data':
        // The first bytes of a row decide whether it is the `\.` line; the rest is data.
        return this.#copyLine.length > 3 ? Byte.Newline : null;
      default:
        return null;
    }
  }

  #fail(message: string, line = this.#line): false {
    this.#problem = `line ${line}: ${message}`;
    return false;
  }

  /** Consumes `byte` (true) or leaves it to be read again in the new state (false). */
  #step(byte: number): boolean {
    switch (this.#state) {
      case 'sql':
        return this.#sql(byte);
      case 'dash':
        this.#state = byte === Byte.Dash ? 'line-comment' : 'sql';
        return byte === Byte.Dash;
      case 'slash':
        if (byte === Byte.Star) {
          this.#state = 'block-comment';
          this.#commentDepth = 1;
          return true;
        }
        this.#state = 'sql';
        return false;
      case 'colon':
        return this.#afterColon(byte);
      case 'dollar-open':
        return this.#dollarOpen(byte);
      case 'line-comment':
        if (byte === Byte.Newline) this.#state = 'sql';
        return this.#advance(byte);
      case 'block-comment':
        if (byte === Byte.Star) this.#state = 'block-comment-star';
        else if (byte === Byte.Slash) this.#state = 'block-comment-slash';
        return this.#advance(byte);
      case 'block-comment-star':
        if (byte === Byte.Slash) {
          this.#commentDepth--;
          this.#state = this.#commentDepth === 0 ? 'sql' : 'block-comment';
          return this.#advance(byte);
        }
        this.#state = 'block-comment';
        return false;
      case 'block-comment-slash':
        if (byte === Byte.Star) {
          this.#commentDepth++;
          this.#state = 'block-comment';
          return this.#advance(byte);
        }
        this.#state = 'block-comment';
        return false;
      case 'string':
        if (byte === Byte.Quote) this.#state = 'sql';
        return this.#advance(byte);
      case 'escape-string':
        if (byte === Byte.Backslash) this.#state = 'escape-string-backslash';
        else if (byte === Byte.Quote) this.#state = 'escape-string-quote';
        return this.#advance(byte);
      case 'escape-string-backslash':
        this.#state = 'escape-string';
        return this.#advance(byte);
      case 'escape-string-quote':
        if (byte === Byte.Quote) {
          this.#state = 'escape-string';
          return this.#advance(byte);
        }
        this.#state = 'sql';
        return false;
      case 'identifier':
        if (byte === Byte.DoubleQuote) this.#state = 'sql';
        return this.#advance(byte);
      case 'dollar-string':
        if (byte === Byte.Dollar) {
          this.#state = 'dollar-close';
          this.#closeIndex = 0;
        }
        return this.#advance(byte);
      case 'dollar-close':
        return this.#dollarClose(byte);
      case 'meta':
        if (byte === Byte.Newline) {
          this.#checkMeta();
          this.#state = 'sql';
          return this.#advance(byte);
        }
        if (this.#meta.length >= MAX_META_LINE) return this.#fail(`a psql meta-command line longer than ${MAX_META_LINE} bytes ("${shown(this.#meta)}"); a dump holds only \\connect, \\restrict and \\unrestrict lines.`, this.#metaLine);
        this.#meta.push(byte);
        return this.#advance(byte);
      case 'after-copy':
        if (byte === Byte.Newline) {
          this.#state = 'copy-data';
          this.#copyLine = [];
          return this.#advance(byte);
        }
        if (!isAsciiSpace(byte)) return this.#fail('text after "COPY … FROM stdin;" on the same line; psql would read it after the data.');
        return this.#advance(byte);
      case 'copy-data':
        return this.#copyData(byte);
    }
  }

  /** Counts lines; every consumed byte goes through here. */
  #advance(byte: number): true {
    if (byte === Byte.Newline) {
      this.#line++;
      this.#atLineStart = true;
    } else {
      this.#atLineStart = false;
    }
    return true;
  }

  #sql(byte: number): boolean {
    if (isIdentifierStart(byte) || (byte === Byte.Dollar && this.#token === 'identifier') || (isDigit(byte) && this.#token === 'identifier')) {
      this.#token = 'identifier';
      if (this.#word.length < 16) this.#word.push(byte);
      return this.#advance(byte);
    }
    if (isDigit(byte)) {
      this.#endWord();
      this.#token = 'number';
      return this.#advance(byte);
    }
    const word = this.#endWord();
    const atLineStart = this.#atLineStart;
    this.#token = 'none';
    switch (byte) {
      case Byte.Quote:
        this.#state = word === 'e' ? 'escape-string' : 'string';
        this.#noteText('literal');
        return this.#advance(byte);
      case Byte.DoubleQuote:
        this.#state = 'identifier';
        this.#noteText('literal');
        return this.#advance(byte);
      case Byte.Dollar:
        this.#state = 'dollar-open';
        this.#dollarTag = [];
        return this.#advance(byte);
      case Byte.Dash:
        this.#state = 'dash';
        return this.#advance(byte);
      case Byte.Slash:
        this.#state = 'slash';
        return this.#advance(byte);
      case Byte.Colon:
        this.#state = 'colon';
        return this.#advance(byte);
      case Byte.OpenParen:
        this.#parenDepth++;
        this.#noteText(null);
        return this.#advance(byte);
      case Byte.CloseParen:
        this.#parenDepth = Math.max(0, this.#parenDepth - 1);
        return this.#advance(byte);
      case Byte.Semicolon:
        return this.#endStatement(byte);
      case Byte.Backslash:
        if (!atLineStart) return this.#fail('a psql meta-command inside a line (a backslash outside quotes); a dump holds only \\connect, \\restrict and \\unrestrict lines.');
        this.#state = 'meta';
        this.#meta = [byte];
        this.#metaLine = this.#line;
        return this.#advance(byte);
      default:
        if (!isAsciiSpace(byte)) this.#noteText(null);
        return this.#advance(byte);
    }
  }

  /** The word that just ended (lower case), recorded for COPY detection. */
  #endWord(): string | null {
    if (this.#token !== 'identifier') return null;
    const word = Buffer.from(this.#word).toString('latin1').toLowerCase();
    this.#word = [];
    this.#token = 'none';
    this.#noteText(word);
    return word;
  }

  /** Something other than white space or a comment is part of the statement; `word` when it is a word. */
  #noteText(word: string | null): void {
    if (this.#firstWord === null) this.#firstWord = word ?? '';
    if (word !== null && this.#parenDepth === 0 && this.#previousWord === 'from' && word === 'stdin') this.#fromStdin = true;
    this.#previousWord = word;
  }

  #endStatement(byte: number): boolean {
    const copyIn = this.#firstWord === 'copy' && this.#fromStdin;
    this.#firstWord = null;
    this.#previousWord = null;
    this.#parenDepth = 0;
    this.#fromStdin = false;
    this.#state = copyIn ? 'after-copy' : 'sql';
    return this.#advance(byte);
  }

  #afterColon(byte: number): boolean {
    if (byte === Byte.Colon) {
      // `::type`, a cast
      this.#state = 'sql';
      return this.#advance(byte);
    }
    if (isIdentifierStart(byte) || byte === Byte.Quote || byte === Byte.DoubleQuote || byte === Byte.OpenBrace) {
      return this.#fail('a psql variable (":name"); psql would put its value in the script and run any meta-command in it. A dump uses no psql variables.');
    }
    this.#state = 'sql';
    return false;
  }

  #dollarOpen(byte: number): boolean {
    const first = this.#dollarTag.length === 0;
    if (byte === Byte.Dollar) {
      this.#state = 'dollar-string';
      this.#noteText('literal');
      return this.#advance(byte);
    }
    if (first ? isIdentifierStart(byte) : isIdentifierByte(byte) && byte !== Byte.Dollar) {
      this.#dollarTag.push(byte);
      return this.#advance(byte);
    }
    // `$1` or `$` alone: no dollar quote; what was read is plain SQL.
    this.#state = 'sql';
    this.#token = this.#dollarTag.length > 0 ? 'identifier' : 'none';
    return false;
  }

  #dollarClose(byte: number): boolean {
    if (this.#closeIndex === this.#dollarTag.length) {
      if (byte === Byte.Dollar) {
        this.#state = 'sql';
        return this.#advance(byte);
      }
    } else if (byte === this.#dollarTag[this.#closeIndex]) {
      this.#closeIndex++;
      return this.#advance(byte);
    }
    // Not the closing tag: still inside; this byte may itself start the closing tag.
    this.#state = 'dollar-string';
    return false;
  }

  #copyData(byte: number): boolean {
    if (byte === Byte.Newline) {
      const line = this.#copyLine;
      const endMarker = line.length >= 2 && line[0] === Byte.Backslash && line[1] === 0x2e && (line.length === 2 || (line.length === 3 && line[2] === Byte.Return));
      if (endMarker) this.#state = 'sql';
      this.#copyLine = [];
      return this.#advance(byte);
    }
    if (this.#copyLine.length <= 3) this.#copyLine.push(byte);
    return this.#advance(byte);
  }

  #checkMeta(): void {
    let text = Buffer.from(this.#meta).toString('latin1');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (ALLOWED_META_LINES.some((allowed) => allowed.test(text))) return;
    this.#fail(`the psql meta-command "${shown(text)}" is not allowed; a dump holds only \\connect, \\restrict and \\unrestrict lines.`, this.#metaLine);
  }
}
