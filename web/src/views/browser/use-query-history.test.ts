import { describe, expect, it } from 'vitest';
import { addToHistory, clearHistory, HISTORY_LIMIT, historyTitle, readHistory, type KeyValueStore } from './use-query-history.js';

function memoryStore(): KeyValueStore & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (k) => map.get(k) ?? null, setItem: (k, v) => void map.set(k, v) };
}
const entry = (text: string, database = 'app', at = '2026-01-01T00:00:00Z') => ({ text, database, at, ok: true });

describe('query history', () => {
  it('keeps newest first, per instance', () => {
    const store = memoryStore();
    addToHistory(store, 'a', entry('select 1'));
    addToHistory(store, 'a', entry('select 2'));
    addToHistory(store, 'b', entry('select 3'));
    expect(readHistory(store, 'a').map((e) => e.text)).toEqual(['select 2', 'select 1']);
    expect(readHistory(store, 'b').map((e) => e.text)).toEqual(['select 3']);
  });

  it('moves a repeated query to the top instead of duplicating it', () => {
    const store = memoryStore();
    addToHistory(store, 'a', entry('select 1'));
    addToHistory(store, 'a', entry('select 2'));
    addToHistory(store, 'a', entry('select 1 ', 'app', '2026-02-01T00:00:00Z'));
    expect(readHistory(store, 'a').map((e) => e.text)).toEqual(['select 1 ', 'select 2']);
    addToHistory(store, 'a', entry('select 2', 'other'));
    expect(readHistory(store, 'a')).toHaveLength(3);
  });

  it('caps the list and ignores blank text', () => {
    const store = memoryStore();
    for (let i = 0; i < HISTORY_LIMIT + 10; i++) addToHistory(store, 'a', entry(`select ${i}`));
    addToHistory(store, 'a', entry('   '));
    const history = readHistory(store, 'a');
    expect(history).toHaveLength(HISTORY_LIMIT);
    expect(history[0]!.text).toBe(`select ${HISTORY_LIMIT + 9}`);
  });

  it('survives corrupt storage and clears', () => {
    const store = memoryStore();
    store.setItem('krint.queryHistory.a', '{not json');
    expect(readHistory(store, 'a')).toEqual([]);
    store.setItem('krint.queryHistory.a', JSON.stringify([{ text: 1 }, entry('ok')]));
    expect(readHistory(store, 'a').map((e) => e.text)).toEqual(['ok']);
    clearHistory(store, 'a');
    expect(readHistory(store, 'a')).toEqual([]);
  });

  it('titles an entry by its first non-blank line', () => {
    expect(historyTitle('\n  select *\nfrom t')).toBe('select *');
    expect(historyTitle('x'.repeat(100), 10)).toBe(`${'x'.repeat(9)}…`);
  });
});
