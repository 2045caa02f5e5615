// opfsBlobs in Chromium: the Blobs conformance suite run inside a dedicated
// Worker (the only place sync access handles exist), and values that
// survive a page reload. The page is test/browser/store-opfs/, its worker
// bundled with esbuild and served from a temp dir.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { HAVE_CHROMIUM, SKIP_REASON, launch, screenshotOnFailure } from './chromium.js';
import { serveStatic, type StaticServer } from './static-server.js';
import { blobsConformance } from '../unit/blobs-conformance.js';

if (!HAVE_CHROMIUM) console.warn(SKIP_REASON);

const here = fileURLToPath(new URL('./store-opfs/', import.meta.url));

declare global {
  interface Window {
    store(req: unknown): Promise<unknown>;
  }
}

/** The suite's case names, collected without running them. */
const names: string[] = [];
blobsConformance((name) => names.push(name), () => Promise.reject(new Error('not run here')));

describe.skipIf(!HAVE_CHROMIUM)('opfsBlobs in a Chromium worker', () => {
  let dir: string;
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let results: Promise<{ name: string; error?: string }[]>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dockyard-opfs-'));
    await build({
      entryPoints: [join(here, 'store.worker.ts')],
      outfile: join(dir, 'store.worker.js'),
      bundle: true,
      format: 'esm',
      target: 'es2022',
      logLevel: 'warning',
    });
    copyFileSync(join(here, 'index.html'), join(dir, 'index.html'));
    server = await serveStatic(dir);
    browser = await launch();
    page = await (await browser.newContext()).newPage();
    await page.goto(server.url);
    results = page.evaluate(() => window.store({ op: 'conformance' })) as Promise<{ name: string; error?: string }[]>;
    await results.catch(() => {}); // each case reports it
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const name of names) {
    it(name, async () => {
      const r = (await results).find((x) => x.name === name);
      expect(r, 'the worker ran the case').toBeDefined();
      if (r!.error) throw new Error(r!.error);
    });
  }

  it('a full origin quota: StoreFullError, the old value kept, the space given back', async () => {
    const ctx = await browser.newContext();
    try {
      const p = await ctx.newPage();
      await p.goto(server.url);
      const cdp = await ctx.newCDPSession(p);
      await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(server.url).origin, quotaSize: 1 << 20 });
      const full = 'StoreFullError: no space left in the image store (origin storage quota)';
      expect(await p.evaluate(() => window.store({ op: 'full', root: 'full' }))).toEqual({
        fill: full,
        put: full,
        writer: full,
        keptOk: true,
        listed: ['snapshots/a/layer.tar'],
        after: 'no error',
      });
    } finally {
      await ctx.close();
    }
  });

  it('values survive a page reload; an uncommitted write does not', async () => {
    screenshotOnFailure(page, 'store-opfs-reload');
    const root = `reload-${Date.now()}`;
    const wrote = (await page.evaluate((r) => window.store({ op: 'write', root: r }), root)) as { where: string; listed: string[] };
    expect(wrote).toEqual({ where: 'origin storage', listed: ['images/busybox', 'snapshots/ab/layer.tar'] });
    await page.reload();
    const read = await page.evaluate((r) => window.store({ op: 'read', root: r }), root);
    expect(read).toEqual({
      listed: ['images/busybox', 'snapshots/ab/layer.tar'],
      record: '{"name":"busybox"}',
      size: 1 << 20,
      tailOk: true,
    });
  });
});
