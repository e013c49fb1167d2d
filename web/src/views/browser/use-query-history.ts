/** One query run from the console, remembered per instance in localStorage. */
export interface HistoryEntry {
  readonly text: string;
  readonly database: string;
  readonly at: string;
  readonly ok: boolean;
}

/** The part of `Storage` the history needs (so tests can pass a Map-backed one). */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export const HISTORY_LIMIT = 50;

function storageKey(instanceId: string): string {
  return `krint.queryHistory.${instanceId}`;
}

/** Reads the history, newest first; anything unreadable counts as empty rather than breaking the page. */
export function readHistory(store: KeyValueStore, instanceId: string): HistoryEntry[] {
  try {
    const parsed = JSON.parse(store.getItem(storageKey(instanceId)) ?? '[]') as unknown;
    if (!Array.isArray(parsed)) return [];
    return parsed.filter((e): e is HistoryEntry => typeof e === 'object' && e !== null && typeof (e as HistoryEntry).text === 'string' && typeof (e as HistoryEntry).database === 'string').slice(0, HISTORY_LIMIT);
  } catch {
    return [];
  }
}

/**
 * Adds a run at the top. Running the same text on the same database again moves it up instead of
 * adding a duplicate; the list is capped at `HISTORY_LIMIT`. Blank text is ignored.
 */
export function addToHistory(store: KeyValueStore, instanceId: string, entry: HistoryEntry): HistoryEntry[] {
  if (entry.text.trim() === '') return readHistory(store, instanceId);
  const rest = readHistory(store, instanceId).filter((e) => !(e.text.trim() === entry.text.trim() && e.database === entry.database));
  const next = [entry, ...rest].slice(0, HISTORY_LIMIT);
  try {
    store.setItem(storageKey(instanceId), JSON.stringify(next));
  } catch {
    // A full or blocked storage only loses history; the query itself already ran.
  }
  return next;
}

export function clearHistory(store: KeyValueStore, instanceId: string): void {
  store.setItem(storageKey(instanceId), '[]');
}

/** The first line of a query, shortened for the history list. */
export function historyTitle(text: string, max = 80): string {
  const line = text.trim().split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
