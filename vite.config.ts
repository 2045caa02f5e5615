import { defineConfig } from 'vitest/config';

export default defineConfig({
  // relative URLs: dist/ works from any static server under any base path
  base: './',
  worker: { format: 'es' },
  build: { assetsInlineLimit: 0, target: 'es2022' },
  test: {
    include: ['test/unit/**/*.test.ts', 'test/vm/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // VM tests boot real guests: keep them from fighting over 2 cores
    fileParallelism: false,
  },
});
