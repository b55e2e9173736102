import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          // The pandas evaluation set (minutes: a Python generator, a replay per scenario) has its own project.
          exclude: ['test/integration/**', 'test/eval/pandas.test.ts', 'node_modules/**'],
          testTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'eval',
          include: ['test/eval/pandas.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 1_800_000,
          sequence: { groupOrder: 2 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Starts (or reuses) the real Kafka, schema registry, InfluxDB and the local Slack server.
          globalSetup: ['test/integration/setup/global.ts'],
          testTimeout: 90_000,
          hookTimeout: 120_000,
          // The services are shared; files use unique topics, groups, buckets and tokens.
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
