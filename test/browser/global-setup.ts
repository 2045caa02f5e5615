// Builds the site once for the browser tests (`vite build` into .cache/), as
// `npm run build` would: the tests drive the built files, not the dev server.
import type { TestProject } from 'vitest/node';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { CHROMIUM } from './chromium.js';
import { catalogMissing } from '../fixtures/tools.js';

declare module 'vitest' {
  export interface ProvidedContext {
    siteDir: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const outDir = join(root, '.cache', 'browser-site');
  project.provide('siteDir', outDir);
  if (!existsSync(CHROMIUM)) return; // the browser tests skip; nothing to build for
  rmSync(join(root, 'test-results'), { recursive: true, force: true }); // screenshots of this run's failures only
  await catalogIfPossible();
  const { build } = await import('vite');
  await build({
    root,
    configFile: join(root, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, rollupOptions: { checks: { bundlerTimings: false } } },
  });
}

/**
 * The catalog (images/tools/catalog.ts), so that the site has its images and
 * test/browser/tutorial-catalog.test.ts runs the tutorial's blocks of them:
 * built here where test/vm/catalog.test.ts would build it (as root, with
 * mmdebstrap; minutes, then from ~/.cache), else the site goes without.
 */
async function catalogIfPossible(): Promise<void> {
  if (catalogMissing().length > 0) return;
  try {
    const { catalog } = await import('../../images/tools/catalog.js');
    await catalog({ log: (s) => process.stderr.write(`${s}\n`) });
  } catch (e) {
    process.stderr.write(`browser tests: no catalog for the site (${(e as Error).message.split('\n')[0]}); its tutorial blocks are skipped\n`);
  }
}
