import { defineConfig } from 'vitest/config';

// The compose end-to-end test alone (`npm run test:compose`): its steps run in order on one compose
// project, so one file, one worker, nothing beside it.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/compose/**/*.e2e.test.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    reporters: ['default', ['json', { outputFile: '.local/compose-test-results.json' }]],
  },
});
