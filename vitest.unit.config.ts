// The TypeScript unit tests alone, for mutation runs (`npm run mutate`,
// stryker.config.mjs): no VM, no browser, no global setup (nothing here
// injects the Node bundles or the built site). Left out as well: the guest
// daemon's C tests and fuzzer (they test C, not the mutated TypeScript) and
// the Debian-image fixture (it builds a 137 MB image; seconds per mutant).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    exclude: ['test/unit/containerd-lite*.test.ts', 'test/unit/debian-image.test.ts', '**/node_modules/**'],
    setupFiles: ['test/setup-home.ts'],
    testTimeout: 30_000,
  },
});
