import { defineConfig } from 'vitest/config';

// Fast loop for the pure core: no Temporal server, no Postgres. `npm run test:unit`.
export default defineConfig({
  test: {
    pool: 'forks',
    include: [
      'test/request/**/*.test.ts',
      'test/policy/**/*.test.ts',
      'test/identity/**/*.test.ts',
      'test/keys/**/*.test.ts',
      'test/bundle/**/*.test.ts',
      'test/devstack/**/*.test.ts',
      'test/demo/**/*.test.ts',
      'test/deploy/**/*.test.ts',
      'test/receipt/**/*.test.ts',
      'test/stats/**/*.test.ts',
      'test/connectors/**/*.test.ts',
    ],
    // Need Postgres (bundles) or a whole worker with Temporal: they run with the integration suite (npm test).
    exclude: ['test/policy/bundle-policy-source.test.ts', 'test/connectors/connector-credentials-worker.test.ts', '**/node_modules/**'],
  },
});
