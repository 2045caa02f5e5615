// A site author's flow: `dockyard mirror` an image from a registry, `npm run
// build` with DOCKYARD_MIRROR pointing at it, and the built page pulls and
// runs that image in Chromium with the registry gone.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mirrorCommand } from '../../src/node/mirror-command.js';
import { bundledLayout, HAVE_REGISTRY, skopeoCopy, startRegistry } from '../fixtures/registry.js';
import { HAVE_CHROMIUM, launch, screenshotOnFailure } from './chromium.js';
import { docker, freshPrompt, waitReady } from './page-helpers.js';
import { serveStatic, type StaticServer } from './static-server.js';

const root = join(inject('siteDir'), '..', '..');

describe.skipIf(!HAVE_CHROMIUM || !HAVE_REGISTRY)('a site with mirrored images', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let host = '';

  beforeAll(async () => {
    const reg = await startRegistry();
    host = reg.host;
    const mirror = mkdtempSync(join(tmpdir(), 'dockyard-site-mirror-'));
    try {
      await skopeoCopy(`oci:${bundledLayout(root, 'busybox')}:latest`, `docker://${reg.host}/site/tool:1`);
      const status = await mirrorCommand([`${reg.host}/site/tool:1`, '--out', mirror], mkdtempSync(join(tmpdir(), 'dockyard-home-')), () => {}, (s) => console.error(s));
      if (status !== 0) throw new Error('dockyard mirror failed');
    } finally {
      await reg.stop();
    }
    const outDir = mkdtempSync(join(tmpdir(), 'dockyard-site-'));
    const { build } = await import('vite');
    const before = process.env.DOCKYARD_MIRROR;
    process.env.DOCKYARD_MIRROR = mirror;
    try {
      await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true, rollupOptions: { checks: { bundlerTimings: false } } } });
    } finally {
      if (before === undefined) delete process.env.DOCKYARD_MIRROR;
      else process.env.DOCKYARD_MIRROR = before;
    }
    server = await serveStatic(outDir);
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(server.url);
    await waitReady(page);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('pulls and runs the mirrored image from the site itself, the registry gone', async () => {
    screenshotOnFailure(page, 'mirror-pull');
    await freshPrompt(page);
    const out = await docker(page, `docker pull ${host}/site/tool:1`, 90_000);
    expect(out).toContain(`Status: Downloaded newer image for ${host}/site/tool:1`);
    const run = await docker(page, `docker run --rm ${host}/site/tool:1 echo served-by-the-site`, 90_000);
    expect(run).toMatch(/^served-by-the-site$/m);
  }, 180_000);
});
