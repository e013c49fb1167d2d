import { describe, expect, it } from 'vitest';
import { FrameDecoder } from './demux.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('FrameDecoder', () => {
  it('splits several frames in one chunk and joins frames split across chunks', () => {
    const bytes = Buffer.concat([frame(1, 'hello\n'), frame(2, 'oops\n'), frame(1, 'ü-split\n')]);
    const decoder = new FrameDecoder();
    const out: string[] = [];
    // Feed byte by byte: every header and payload boundary is crossed.
    for (const byte of bytes) for (const f of decoder.push(Buffer.from([byte]))) out.push(`${f.stream}:${f.payload.toString()}`);
    expect(out).toEqual(['stdout:hello\n', 'stderr:oops\n', 'stdout:ü-split\n']);
    expect(decoder.pendingBytes).toBe(0);
    const whole = new FrameDecoder().push(bytes).map((f) => f.stream);
    expect(whole).toEqual(['stdout', 'stderr', 'stdout']);
  });

  it('keeps an incomplete frame until the rest arrives', () => {
    const decoder = new FrameDecoder();
    const bytes = frame(2, 'partial line');
    expect(decoder.push(bytes.subarray(0, 10))).toEqual([]);
    expect(decoder.pendingBytes).toBe(10);
    expect(decoder.push(bytes.subarray(10)).map((f) => f.payload.toString())).toEqual(['partial line']);
  });
});
