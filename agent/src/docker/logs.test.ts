import { describe, expect, it } from 'vitest';
import { LogParser } from './logs.js';

const TIME = '2024-05-01T10:00:00.123456789Z';

function frame(stream: 1 | 2, payload: Buffer | string): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(bytes.length, 4);
  return Buffer.concat([header, bytes]);
}

describe('LogParser', () => {
  it('returns every line a chunk completes at once, streams apart, timestamps split off', () => {
    const parser = new LogParser({ multiplexed: true });
    const burst = Buffer.concat(Array.from({ length: 500 }, (_, i) => frame(i % 5 === 0 ? 2 : 1, `${TIME} line ${i}\n`)));
    const lines = parser.push(burst);
    expect(lines).toHaveLength(500);
    expect(lines[0]).toEqual({ stream: 'stderr', time: TIME, text: 'line 0' });
    expect(lines[1]).toEqual({ stream: 'stdout', time: TIME, text: 'line 1' });
    expect(lines.map((line) => line.text)).toEqual(Array.from({ length: 500 }, (_, i) => `line ${i}`));
    expect(parser.flush()).toEqual([]);
  });

  it('joins lines and characters split over frames and reads, fed byte by byte', () => {
    // Docker cuts a long line into several frames, which can split a character; a read can end
    // anywhere, even inside a frame header.
    const long = `${TIME} ${'ü'.repeat(40)}-end\n`;
    const bytes = Buffer.from(long);
    const cut = bytes.indexOf(Buffer.from('ü')) + 1; // inside the first ü
    const stream = Buffer.concat([frame(1, bytes.subarray(0, cut)), frame(2, `${TIME} oops\r\n`), frame(1, bytes.subarray(cut)), frame(1, `${TIME} \n`)]);
    const parser = new LogParser({ multiplexed: true });
    const lines = [];
    for (const byte of stream) lines.push(...parser.push(Buffer.from([byte])));
    expect(lines).toEqual([
      { stream: 'stderr', time: TIME, text: 'oops' },
      { stream: 'stdout', time: TIME, text: `${'ü'.repeat(40)}-end` },
      { stream: 'stdout', time: TIME, text: '' },
    ]);
  });

  it('gives the same lines for a stream split in two at any byte, inside headers, payloads and characters', () => {
    const long = Buffer.from(`${TIME} ${'ü'.repeat(3)}-end\n`);
    const cut = long.indexOf(Buffer.from('ü')) + 1; // Docker's own cut, inside the first ü
    const stream = Buffer.concat([frame(1, long.subarray(0, cut)), frame(2, `${TIME} oops\r\n`), frame(1, long.subarray(cut)), frame(1, `${TIME} last\n`)]);
    const expected = [
      { stream: 'stderr', time: TIME, text: 'oops' },
      { stream: 'stdout', time: TIME, text: `${'ü'.repeat(3)}-end` },
      { stream: 'stdout', time: TIME, text: 'last' },
    ];
    for (let at = 0; at <= stream.length; at += 1) {
      const parser = new LogParser({ multiplexed: true });
      const lines = [...parser.push(stream.subarray(0, at)), ...parser.push(stream.subarray(at))];
      expect(lines, `split at byte ${at}`).toEqual(expected);
      expect(parser.flush(), `split at byte ${at}`).toEqual([]);
    }
  });

  it('reads a TTY log as one stream and hands out an unfinished last line on flush', () => {
    const parser = new LogParser({ multiplexed: false });
    expect(parser.push(Buffer.from(`${TIME} one\r\n${TIME} tw`))).toEqual([{ stream: 'stdout', time: TIME, text: 'one' }]);
    expect(parser.push(Buffer.from('o'))).toEqual([]);
    expect(parser.flush()).toEqual([{ stream: 'stdout', time: TIME, text: 'two' }]);
  });

  it('stamps a line without a Docker timestamp with the time it was read', () => {
    const parser = new LogParser({ multiplexed: false });
    const [line] = parser.push(Buffer.from('no stamp here\n'));
    expect(line?.text).toBe('no stamp here');
    expect(Math.abs(Date.parse(line?.time ?? '') - Date.now())).toBeLessThan(5_000);
  });
});
