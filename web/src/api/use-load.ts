import { onScopeDispose, ref, shallowRef, watch, type Ref, type WatchSource } from 'vue';
import { messageOf } from './errors.js';

/** What a page shows while it loads: the data, the loading flag and a readable error. */
export interface Loaded<T> {
  readonly data: Ref<T | undefined>;
  readonly loading: Ref<boolean>;
  readonly error: Ref<string | null>;
  /** Loads again; `quiet` keeps the current data on screen (no spinner) for live refreshes. */
  reload(quiet?: boolean): Promise<void>;
}

/**
 * Loads `fetcher()` now and whenever `sources` change. Answers that arrive after a newer request
 * started are dropped, so a slow response never overwrites a fresh one.
 */
export function useLoad<T>(fetcher: () => Promise<T>, sources: WatchSource[] = []): Loaded<T> {
  const data = shallowRef<T>();
  const loading = ref(true);
  const error = ref<string | null>(null);
  let generation = 0;
  let disposed = false;
  onScopeDispose(() => (disposed = true));

  async function reload(quiet = false): Promise<void> {
    const mine = ++generation;
    if (!quiet) loading.value = true;
    try {
      const value = await fetcher();
      if (mine !== generation || disposed) return;
      data.value = value;
      error.value = null;
    } catch (caught) {
      if (mine !== generation || disposed) return;
      error.value = messageOf(caught);
    } finally {
      if (mine === generation) loading.value = false;
    }
  }
  if (sources.length > 0) watch(sources, () => void reload());
  void reload();
  return { data, loading, error, reload };
}
