import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests beside the code, and integration tests that talk to a real
// Kafka broker and the BigQuery emulator started by test/support/global-setup.ts.
export default defineConfig({
  test: {
    // The JSON report lets .ci/run print a one-line count of what ran.
    reporters: ['default', ['json', { outputFile: '.local/test-results.json' }]],
    projects: [
      {
        test: {
          name: 'unit',
          include: [
            'services/**/*.test.ts',
            'schemas/**/*.test.ts',
            'tables/**/*.test.ts',
            'infra/**/*.test.ts',
            'test/unit/**/*.test.ts',
          ],
          exclude: ['**/*.integration.test.ts', '**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['**/*.integration.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['test/support/global-setup.ts'],
          // Two cores: one integration file at a time keeps the broker and emulator responsive.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          // The fault suite: the whole pipeline (its own broker, emulator and service processes)
          // under load while pieces are stopped and killed. Its own group order keeps it from
          // running beside the other projects' files (vitest runs the unit group, then this one,
          // then the one-file-at-a-time integration project); one file at a time, since it wants
          // both cores.
          name: 'faults',
          include: ['test/faults/**/*.faults.test.ts'],
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          testTimeout: 900_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
