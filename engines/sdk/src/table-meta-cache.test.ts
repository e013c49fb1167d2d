import { afterEach, describe, expect, it, vi } from 'vitest';
import { TableMetaCache, type TablePageSteps } from './table-meta-cache.js';

interface Meta {
  readonly database: string;
  readonly columns: readonly string[];
}

interface Read {
  readonly shape: string;
  readonly columns: readonly string[];
  readonly stale: boolean;
}

/**
 * A table in memory standing in for a server: its columns make both the catalog's metadata and
 * the page's result description, so changing them is a table altered behind the session's back.
 */
class FakeTable {
  columns: readonly string[] = ['id', 'name'];
  /** Set when the page statement with outdated metadata fails (a dropped column or table). */
  failsWhenStale = false;
  /** Set when the catalog and the page disagree, e.g. a table altered between the two reads. */
  resultColumns: readonly string[] | null = null;
  readonly calls: string[] = [];

  steps(database = 'shop'): TablePageSteps<Meta, Read, number> {
    return {
      loadMeta: async () => {
        this.calls.push('loadMeta');
        return { database, columns: this.columns };
      },
      readCached: async () => {
        this.calls.push('readCached');
        return this.failsWhenStale ? null : this.#page(true);
      },
      readFresh: async () => {
        this.calls.push('readFresh');
        return this.#page(false);
      },
      describes: (read, meta) => read.columns.join() === meta.columns.join(),
    };
  }

  #page(stale: boolean): Read {
    const columns = this.resultColumns ?? this.columns;
    return { shape: columns.join('|'), columns, stale };
  }
}

describe('TableMetaCache', () => {
  afterEach(() => vi.useRealTimers());

  it('loads a table once, then reads every page with the cached entry and keeps what was learnt on it', async () => {
    const cache = new TableMetaCache<Meta, Read, number>(10_000, 10);
    const table = new FakeTable();
    const first = await cache.read('shop', 'orders', table.steps());
    expect(first.read.stale).toBe(false);
    expect(first.entry).toEqual({ meta: { database: 'shop', columns: ['id', 'name'] }, shape: 'id|name', estimate: null });
    first.entry.estimate = 1_000_000;

    const second = await cache.read('shop', 'orders', table.steps());
    expect(second.read.stale).toBe(true);
    expect(second.entry).toBe(first.entry);
    expect(second.entry.estimate).toBe(1_000_000);
    expect(table.calls).toEqual(['loadMeta', 'readFresh', 'readCached']);
  });

  it('reads the table afresh when a page is described differently, and caches the new metadata', async () => {
    const cache = new TableMetaCache<Meta, Read, number>(10_000, 10);
    const table = new FakeTable();
    const first = await cache.read('shop', 'orders', table.steps());
    first.entry.estimate = 42;
    table.columns = ['id', 'name', 'added'];

    const changed = await cache.read('shop', 'orders', table.steps());
    expect(changed.read.stale).toBe(false);
    expect(changed.entry).toEqual({ meta: { database: 'shop', columns: ['id', 'name', 'added'] }, shape: 'id|name|added', estimate: null });
    expect(table.calls).toEqual(['loadMeta', 'readFresh', 'readCached', 'loadMeta', 'readFresh']);

    const again = await cache.read('shop', 'orders', table.steps());
    expect(again.entry).toBe(changed.entry);
    expect(table.calls.slice(5)).toEqual(['readCached']);
  });

  it('reads the table afresh when the page with cached metadata fails as outdated metadata explains', async () => {
    const cache = new TableMetaCache<Meta, Read, number>(10_000, 10);
    const table = new FakeTable();
    await cache.read('shop', 'orders', table.steps());
    table.failsWhenStale = true;

    const page = await cache.read('shop', 'orders', table.steps());
    expect(page.read.stale).toBe(false);
    expect(table.calls).toEqual(['loadMeta', 'readFresh', 'readCached', 'loadMeta', 'readFresh']);
    expect(cache.size).toBe(1);
  });

  it('does not cache metadata the page result does not match', async () => {
    const cache = new TableMetaCache<Meta, Read, number>(10_000, 10);
    const table = new FakeTable();
    table.resultColumns = ['id', 'name', 'added'];

    const page = await cache.read('shop', 'orders', table.steps());
    expect(page.entry.shape).toBe('id|name|added');
    expect(cache.size).toBe(0);
    await cache.read('shop', 'orders', table.steps());
    expect(table.calls).toEqual(['loadMeta', 'readFresh', 'loadMeta', 'readFresh']);
  });

  it('forgets an entry, and what was learnt on it, once its time is up', async () => {
    vi.useFakeTimers({ now: 1_000 });
    const cache = new TableMetaCache<Meta, Read, number>(100, 10);
    const table = new FakeTable();
    const first = await cache.read('shop', 'orders', table.steps());
    first.entry.estimate = 7;
    vi.setSystemTime(1_100);
    expect((await cache.read('shop', 'orders', table.steps())).entry.estimate).toBe(7);
    vi.setSystemTime(1_101);

    const expired = await cache.read('shop', 'orders', table.steps());
    expect(expired.entry).not.toBe(first.entry);
    expect(expired.entry.estimate).toBeNull();
    expect(table.calls).toEqual(['loadMeta', 'readFresh', 'readCached', 'loadMeta', 'readFresh']);
  });

  it("forgets one database's tables, or every table on clear", async () => {
    const cache = new TableMetaCache<Meta, Read, number>(10_000, 10);
    const table = new FakeTable();
    await cache.read('shop', 'orders', table.steps('shop'));
    await cache.read('shop', 'items', table.steps('shop'));
    await cache.read('crm', 'people', table.steps('crm'));
    expect(cache.size).toBe(3);

    cache.forget('shop');
    expect(cache.size).toBe(1);
    table.calls.length = 0;
    await cache.read('crm', 'people', table.steps('crm'));
    await cache.read('shop', 'orders', table.steps('shop'));
    expect(table.calls).toEqual(['readCached', 'loadMeta', 'readFresh']);

    cache.clear();
    expect(cache.size).toBe(0);
  });
});
