// Mutation testing (`npm run mutate`; not part of `npm test`): mutants of the
// runtime, OCI verification and the host's image store, judged by the unit
// tests only (vitest.unit.config.ts) — the VM and browser suites take minutes
// per run. Reports: reports/mutation/ (HTML), and per file on the console.
// A part at a time: `npm run mutate -- --mutate 'src/common/oci/**/*.ts'`.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.unit.config.ts', related: true },
  mutate: ['src/runtime/**/*.ts', 'src/common/oci/**/*.ts', 'src/common/store/**/*.ts', '!**/*.d.ts'],
  coverageAnalysis: 'perTest',
  // @ts-nocheck only where mutants go: images/ files are hashed into the artifact manifest (test/unit/artifacts.test.ts)
  disableTypeChecks: 'src/**/*.ts',
  // the machine is shared: two test processes at most
  concurrency: 2,
  timeoutMS: 10_000,
  timeoutFactor: 2,
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // later runs retest only mutants whose code or covering tests changed
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  ignorePatterns: ['/dist', '/.cache', '/test-results', '/scratch', '/reports', '/test/browser', '/bench'],
};
