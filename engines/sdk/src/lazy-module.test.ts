import { describe, expect, it } from 'vitest';
import { lazyModule } from './lazy-module.js';

describe('lazyModule', () => {
  it('imports on the first load only and shares that load', async () => {
    let imports = 0;
    const path = lazyModule('node:path', () => {
      imports += 1;
      return import('node:path');
    });
    expect(imports).toBe(0);
    const [first, second] = await Promise.all([path.load(), path.load()]);
    const third = await path.load();
    expect(imports).toBe(1);
    expect(first).toBe(second);
    expect(third).toBe(first);
    expect(first.posix.join('a', 'b')).toBe('a/b');
  });

  it('refuses synchronous use before a load and names the module', async () => {
    const path = lazyModule('the path module', () => import('node:path'));
    expect(() => path.loaded()).toThrow(/the path module is used before it was loaded/);
    const loaded = await path.load();
    expect(path.loaded()).toBe(loaded);
  });

  it('forgets a failed load so the next call tries again', async () => {
    const missing = 'krint-package-that-does-not-exist';
    let attempts = 0;
    const flaky = lazyModule('a module that is missing at first', () => {
      attempts += 1;
      return attempts === 1 ? (import(missing) as Promise<typeof import('node:path')>) : import('node:path');
    });
    await expect(flaky.load()).rejects.toThrow();
    expect(() => flaky.loaded()).toThrow(/used before it was loaded/);
    const loaded = await flaky.load();
    expect(attempts).toBe(2);
    expect(typeof loaded.join).toBe('function');
  });
});
