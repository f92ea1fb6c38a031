import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Vitest ends the process when closing takes longer than this, and closing
    // includes the integration global setup's teardown, which stops the broker.
    teardownTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Starts Kafka and ClickHouse once for all integration files.
          globalSetup: ['test/setup/services.ts'],
          // The files share one broker and one ClickHouse, so they run one at
          // a time to keep timings and resource use predictable.
          fileParallelism: false,
          // Consumer group joins and rebalances against a real broker take
          // seconds, and a machine under load can take much longer.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
