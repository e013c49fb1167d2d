import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '@krint/engine-sdk';
import { MAX_COMMAND_TEXT, parseCommandLine, parseConsoleCommand, refusalReason } from './redis-command-line.js';

describe('parseCommandLine', () => {
  it('splits on whitespace and keeps quoted spaces', () => {
    expect(parseCommandLine('  SET  "my key"   \'a b\'  ')).toEqual(['SET', 'my key', 'a b']);
  });

  it('understands redis-cli escapes in double quotes and only \\\' in single quotes', () => {
    expect(parseCommandLine('SET k "line\\nnext \\"q\\" \\x41"')).toEqual(['SET', 'k', 'line\nnext "q" A']);
    expect(parseCommandLine("SET k 'it\\'s \\n raw'")).toEqual(['SET', 'k', "it's \\n raw"]);
    expect(parseCommandLine('SET k ""')).toEqual(['SET', 'k', '']);
  });

  it('refuses unclosed quotes, glued quotes, empty input and oversized input', () => {
    expect(() => parseCommandLine('SET "k v')).toThrow(/never closed/);
    expect(() => parseCommandLine('SET "k"v 1')).toThrow(/followed by a space/);
    expect(() => parseCommandLine('SET k"v" 1')).toThrow(/Unexpected quote/);
    expect(() => parseCommandLine('   ')).toThrow(InvalidInputError);
    expect(() => parseCommandLine(`GET ${'x'.repeat(MAX_COMMAND_TEXT)}`)).toThrow(/at most/);
  });
});

describe('refusalReason', () => {
  it.each([
    ['FLUSHALL', /FLUSHALL is not allowed.*every key/],
    ['flushdb', /FLUSHDB is not allowed/],
    ['SHUTDOWN NOSAVE', /stops the server/],
    ['DEBUG RELOAD', /DEBUG is not allowed/],
    ['KEYS *', /SCAN/],
    ['CONFIG SET appendonly no', /CONFIG SET is not allowed.*CONFIG GET is allowed/],
    ['ACL SETUSER x on', /Users page/],
    ['EVAL "return 1" 0', /scripts can run any command/],
    ['SELECT 2', /DB number chosen/],
    ['BLPOP q 0', /blocks/],
    ['XREAD BLOCK 0 STREAMS s $', /leave out BLOCK/],
    ['COPY a b DB 1', /COPY with DB is not allowed.*another DB number/],
    ['copy a b replace db 0', /COPY with DB is not allowed/],
    ['MOVE a 1', /another DB number/],
    ['SWAPDB 0 1', /whole DB numbers/],
    ['MIGRATE 127.0.0.1 6379 a 1 1000', /another server/],
  ])('refuses %s with a reason', (text, reason) => {
    expect(() => parseConsoleCommand(text)).toThrow(reason);
  });

  it.each(['GET k', 'CONFIG GET maxmemory', 'ACL WHOAMI', 'SCAN 0 MATCH user:* COUNT 10', 'XREAD COUNT 1 STREAMS s 0', 'CLIENT LIST', 'COPY a b REPLACE', 'COPY DB db', 'COPY db DB REPLACE'])(
    'allows %s',
    (text) => {
      expect(refusalReason(parseCommandLine(text))).toBeNull();
    },
  );
});
