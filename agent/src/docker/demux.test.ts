import { describe, expect, it } from 'vitest';
import { PayloadDecoder, type Frame } from './demux.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('PayloadDecoder', () => {
  const frames = [frame(1, 'dump line one\n'), frame(2, 'a warning\n'), frame(1, ''), frame(1, 'ü and more dump bytes')];
  const bytes = Buffer.concat(frames);

  /** Joins consecutive pieces of the same stream, as a byte consumer sees them. */
  function streams(pieces: readonly Frame[]): string[] {
    const out: { stream: Frame['stream']; parts: Buffer[] }[] = [];
    for (const piece of pieces) {
      const last = out.at(-1);
      if (last?.stream === piece.stream) last.parts.push(piece.payload);
      else out.push({ stream: piece.stream, parts: [piece.payload] });
    }
    return out.map(({ stream, parts }) => `${stream}:${Buffer.concat(parts).toString()}`);
  }

  it('hands out every payload byte in order, whatever the chunk boundaries', () => {
    const expected = ['stdout:dump line one\n', 'stderr:a warning\n', 'stdout:ü and more dump bytes'];
    // Every split point (inside headers, payloads and multi-byte characters) and every chunk size.
    for (let size = 1; size <= bytes.length; size += 1) {
      const decoder = new PayloadDecoder();
      const pieces: Frame[] = [];
      for (let at = 0; at < bytes.length; at += size) pieces.push(...decoder.push(bytes.subarray(at, at + size)));
      expect(streams(pieces), `chunks of ${size} bytes`).toEqual(expected);
      expect(decoder.pendingBytes).toBe(0);
    }
  });

  it('splits several frames in one chunk and keeps their streams apart, fed whole or byte by byte', () => {
    const lines = Buffer.concat([frame(1, 'hello\n'), frame(2, 'oops\n'), frame(1, 'ü-split\n')]);
    const whole = new PayloadDecoder().push(lines);
    expect(whole.map((piece) => `${piece.stream}:${piece.payload.toString()}`)).toEqual(['stdout:hello\n', 'stderr:oops\n', 'stdout:ü-split\n']);
    // Byte by byte, every header and payload boundary is crossed.
    const decoder = new PayloadDecoder();
    const pieces: Frame[] = [];
    for (const byte of lines) pieces.push(...decoder.push(Buffer.from([byte])));
    expect(streams(pieces)).toEqual(['stdout:hello\n', 'stderr:oops\n', 'stdout:ü-split\n']);
    expect(decoder.pendingBytes).toBe(0);
  });

  it('visits each piece in place, in order, never empty', () => {
    const chunk = Buffer.concat([frame(1, 'abc'), frame(2, ''), frame(2, 'de'), frame(1, 'fg')]);
    const decoder = new PayloadDecoder();
    const visits: string[] = [];
    const visit = (stream: Frame['stream'], bytes: Buffer, start: number, end: number) => {
      expect(end).toBeGreaterThan(start);
      visits.push(`${stream}:${bytes.toString('utf8', start, end)}`);
    };
    decoder.forEach(chunk.subarray(0, 10), visit);
    decoder.forEach(chunk.subarray(10), visit);
    expect(visits).toEqual(['stdout:ab', 'stdout:c', 'stderr:de', 'stdout:fg']);
    expect(decoder.pendingBytes).toBe(0);
  });

  it('hands out views of the chunk it was given instead of copies', () => {
    const chunk = Buffer.concat([frame(1, 'abcdef'), frame(1, 'ghij')]);
    const pieces = new PayloadDecoder().push(chunk);
    expect(pieces.map((piece) => piece.payload.toString())).toEqual(['abcdef', 'ghij']);
    for (const piece of pieces) expect(piece.payload.buffer).toBe(chunk.buffer);
  });

  it('says how much of a split frame is still to come', () => {
    const decoder = new PayloadDecoder();
    const split = frame(2, 'partial line');
    expect(decoder.push(split.subarray(0, 5))).toEqual([]);
    expect(decoder.pendingBytes).toBe(3);
    expect(decoder.push(split.subarray(5, 10)).map((piece) => piece.payload.toString())).toEqual(['pa']);
    expect(decoder.pendingBytes).toBe(10);
    expect(decoder.push(split.subarray(10)).map((piece) => `${piece.stream}:${piece.payload.toString()}`)).toEqual(['stderr:rtial line']);
    expect(decoder.pendingBytes).toBe(0);
  });
});
