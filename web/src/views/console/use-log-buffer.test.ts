import { describe, expect, it } from 'vitest';
import { highlightParts, LogBuffer } from './use-log-buffer.js';

const line = (text: string, stream = 'stdout') => ({ text, stream, time: '2026-01-01T00:00:00Z' });

describe('log buffer', () => {
  it('drops the oldest lines beyond its capacity and counts them', () => {
    const buffer = new LogBuffer(3);
    buffer.push([line('a')]);
    buffer.push(['b', 'c', 'd', 'e'].map((t) => line(t)));
    expect(buffer.lines.map((l) => l.text)).toEqual(['c', 'd', 'e']);
    expect(buffer.dropped).toBe(2);
    expect(buffer.lines.map((l) => l.seq)).toEqual([2, 3, 4]);
  });

  it('holds new lines while paused and shows them on resume', () => {
    const buffer = new LogBuffer(10);
    buffer.push([line('before')]);
    buffer.pause();
    buffer.push([line('during 1'), line('during 2')]);
    expect(buffer.lines.map((l) => l.text)).toEqual(['before']);
    expect(buffer.held).toBe(2);
    buffer.resume();
    expect(buffer.lines.map((l) => l.text)).toEqual(['before', 'during 1', 'during 2']);
    expect(buffer.held).toBe(0);
  });

  it('keeps only the newest lines of an event larger than its capacity, paused or not', () => {
    const buffer = new LogBuffer(3);
    buffer.push(['a', 'b', 'c', 'd', 'e'].map((t) => line(t)));
    expect(buffer.lines.map((l) => l.text)).toEqual(['c', 'd', 'e']);
    buffer.pause();
    buffer.push(['f', 'g', 'h', 'i'].map((t) => line(t)));
    expect(buffer.held).toBe(3);
    expect(buffer.dropped).toBe(3);
    buffer.resume();
    expect(buffer.lines.map((l) => l.text)).toEqual(['g', 'h', 'i']);
    expect(buffer.dropped).toBe(6);
  });

  it('searches case-insensitively and downloads as text', () => {
    const buffer = new LogBuffer();
    buffer.push([line('LOG: database system is ready'), line('ERROR: relation missing', 'stderr')]);
    expect(buffer.search('error').map((l) => l.text)).toEqual(['ERROR: relation missing']);
    expect(buffer.search('  ')).toHaveLength(2);
    expect(buffer.toText()).toBe('2026-01-01T00:00:00Z stdout LOG: database system is ready\n2026-01-01T00:00:00Z stderr ERROR: relation missing\n');
    buffer.clear();
    expect(buffer.toText()).toBe('');
  });

  it('splits text around matches for highlighting', () => {
    expect(highlightParts('Ready, ready!', 'ready')).toEqual([
      { text: 'Ready', match: true },
      { text: ', ', match: false },
      { text: 'ready', match: true },
      { text: '!', match: false },
    ]);
    expect(highlightParts('abc', '')).toEqual([{ text: 'abc', match: false }]);
  });
});
