import { defineConfig } from 'vitest/config';

// The fault-injection suite (test/faults): its own Temporal server, Postgres and worker processes,
// which it kills; one file at a time, never beside the integration suite. `npm run test:faults`.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/faults/**/*.test.ts'],
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
