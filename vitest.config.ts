import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Reports once per run which storage backends the conformance suite covers (test/storage/conformance).
    globalSetup: ['test/storage/conformance/global-setup.ts'],
  },
});
