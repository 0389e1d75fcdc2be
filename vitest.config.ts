import { defineConfig } from 'vitest/config';

// Projects, run in groups one after the other: the unit tests beside the code (group 0); the fault
// suite (group 1); then the integration tests, which talk to the real Kafka broker, BigQuery
// emulator and GCS emulator started by test/support/global-setup.ts (group 2).
export default defineConfig({
  test: {
    // The JSON report lets .ci/run print a one-line count of what ran.
    reporters: ['default', ['json', { outputFile: '.local/test-results.json' }]],
    // Both cores for the unit and integration files (vitest leaves one free by default); the fault
    // project runs one file at a time whatever this says.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          // Files share their worker's module cache: each one would otherwise load vitest, DuckDB
          // and the services' dependencies afresh (81 s for the project instead of 55 s).
          isolate: false,
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
          // After the fault suite.
          sequence: { groupOrder: 2 },
          globalSetup: ['test/support/build.ts', 'test/support/global-setup.ts'],
          // Each file's BigQuery datasets are dropped after it: the emulator slows with every
          // dataset it holds.
          setupFiles: ['test/support/drop-datasets.ts'],
          // Two files at a time (maxWorkers): one at a time left the cores ~40 % idle. Files that
          // stop a broker of their own have ports of their own; topics, groups, datasets and lake
          // folders are named per file (docs/testing.md).
          fileParallelism: true,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
      {
        test: {
          // The fault suite: the whole pipeline (its own broker, emulator and service processes)
          // under load while pieces are stopped and killed. Its own group order keeps it from
          // running beside the other projects' files (vitest runs the unit group, then this one,
          // then the integration project); one file at a time: two at a time (each on ports of
          // its own) took 575 s instead of 655 s but 1,096 CPU-s instead of 865, files up to three
          // times as long, and a load that runs longer sends more (docs/testing.md).
          name: 'faults',
          include: ['test/faults/**/*.faults.test.ts'],
          // Its pipelines run the services from the build (test/support/build.ts).
          globalSetup: ['test/support/build.ts'],
          sequence: { groupOrder: 1 },
          fileParallelism: false,
          testTimeout: 900_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
