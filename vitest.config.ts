import { defineConfig } from 'vitest/config';

// One runner for the whole repository. Tests that drive real containers are slow and share one
// Docker daemon on a small machine, so files run in separate processes with little parallelism.
export default defineConfig({
  test: {
    include: ['signalr/src/**/*.test.ts', 'engines/*/src/**/*.test.ts', 'agent/src/**/*.test.ts', 'server/src/**/*.test.ts', 'web/src/**/*.test.ts', 'web/e2e/**/*.test.ts', 'release/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 120_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
