import { describe, expect, it } from 'vitest';
import { compareInventories } from './verify.js';

describe('compareInventories', () => {
  const before = [
    { database: 'app', table: 'public.orders', rows: 10 },
    { database: 'app', table: 'public.users', rows: 3 },
  ];

  it('accepts an identical inventory in any order', () => {
    expect(compareInventories(before, [...before].reverse())).toEqual([]);
  });

  it('names missing, changed and unexpected tables', () => {
    const after = [
      { database: 'app', table: 'public.orders', rows: 9 },
      { database: 'app', table: 'public.extra', rows: 1 },
    ];
    expect(compareInventories(before, after)).toEqual([
      'app.public.orders has 9 rows instead of 10',
      'app.public.users is missing (had 3 rows)',
      'app.public.extra appeared with 1 rows',
    ]);
  });
});
