import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExpiringCache } from './expiring-cache.js';

describe('ExpiringCache', () => {
  afterEach(() => vi.useRealTimers());

  it('returns a value until its time is up, then forgets it', () => {
    vi.useFakeTimers({ now: 1_000 });
    const cache = new ExpiringCache<string>(100, 10);
    cache.set('a', 'one');
    vi.setSystemTime(1_100);
    expect(cache.get('a')).toBe('one');
    vi.setSystemTime(1_101);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('forgets the entry stored longest ago when full, counting a replaced entry as new', () => {
    const cache = new ExpiringCache<number>(60_000, 2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3);
    cache.set('c', 4);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(3);
    expect(cache.get('c')).toBe(4);
  });

  it('forgets the entries a predicate matches, and everything on clear', () => {
    const cache = new ExpiringCache<{ database: string }>(60_000, 10);
    cache.set('shop\u0000orders', { database: 'shop' });
    cache.set('shop\u0000items', { database: 'shop' });
    cache.set('crm\u0000people', { database: 'crm' });
    cache.deleteWhere((table) => table.database === 'shop');
    expect(cache.size).toBe(1);
    expect(cache.get('crm\u0000people')).toEqual({ database: 'crm' });
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
