import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The Temporal worker loads a native core bridge: run each file in its own process.
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    // The fault-injection suite kills its own servers: it runs on its own (vitest.faults.config.ts).
    exclude: ['test/faults/**', '**/node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Integration files share one Temporal server and one Postgres; two cores, two forks.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
