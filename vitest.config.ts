import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Builds dist/ when it is older than src/ (CLI and serve tests run the build), then reports once
    // per run which storage backends the conformance suite covers (test/storage/conformance).
    globalSetup: ['test/support/fresh-dist.ts', 'test/storage/conformance/global-setup.ts'],
  },
});
