import { defineConfig } from 'vitest/config';

// Integration and e2e files start real processes (Redis, workers, the simulator): keep them in
// separate forks, two at a time on a 2-core machine, with timeouts sized for that.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
