// Lazy pulling in the page (src/common/store/lazy-layer.ts): a site built
// with a catalog-shaped fixture (test/fixtures/lazy-catalog.ts) whose image
// runs before it has arrived, each piece checked as it comes; a piece
// changed on the server is refused at the first read of its file (EIO, and
// the terminal names the file), and a full pull still completes and the
// image survives a reload.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FIXTURE_IMAGE, HELLO, writeLazyCatalog, type LazyCatalog } from '../fixtures/lazy-catalog.js';
import type { LazyToc } from '../../src/common/store/lazy-layer.js';
import { HAVE_CHROMIUM, launch, screenshotOnFailure } from './chromium.js';
import { docker, freshPrompt, screenText, waitReady } from './page-helpers.js';
import { serveStatic, type StaticServer } from './static-server.js';

const root = join(inject('siteDir'), '..', '..');
const LAZY = 'registry/lazy/sha256/';

describe.skipIf(!HAVE_CHROMIUM)('lazy pulling in the page', () => {
  let site = '';
  let fixture: LazyCatalog;
  let browser: Browser;
  const servers: StaticServer[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    fixture = writeLazyCatalog(root, mkdtempSync(join(tmpdir(), 'dockyard-lazy-cache-')));
    site = mkdtempSync(join(tmpdir(), 'dockyard-lazy-site-'));
    const { build } = await import('vite');
    const before = process.env.DOCKYARD_CACHE;
    process.env.DOCKYARD_CACHE = fixture.cache;
    try {
      await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir: site, emptyOutDir: true, rollupOptions: { checks: { bundlerTimings: false } } } });
    } finally {
      if (before === undefined) delete process.env.DOCKYARD_CACHE;
      else process.env.DOCKYARD_CACHE = before;
    }
    browser = await launch();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  /** A first visit (empty storage) to the site served with `swap`. */
  async function visit(swap?: Map<string, Uint8Array>): Promise<{ page: Page; server: StaticServer }> {
    const server = await serveStatic(site, '/sub/path/', swap);
    servers.push(server);
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(server.url);
    await waitReady(page);
    await freshPrompt(page);
    return { page, server };
  }

  const size = (rel: string) => readFileSync(join(site, rel)).length;

  /** The piece holding the middle of /fixture/big.bin (none of hello.txt). */
  function bigPiece(): string {
    for (const hex of readdirSync(join(site, LAZY))) {
      let toc: LazyToc;
      try {
        toc = JSON.parse(gunzipSync(readFileSync(join(site, LAZY, hex))).toString('utf8')) as LazyToc;
      } catch {
        continue; // a piece, not an index
      }
      const big = toc.entries.find((e) => e.path === 'fixture/big.bin');
      if (big) return `${LAZY}${toc.chunks[Math.floor((big.data + big.size / 2) / toc.chunkSize)]![0]}`;
    }
    throw new Error('no index lists /fixture/big.bin');
  }

  it('runs the image before it has arrived, fetching a small part of it; the rest completes in the background and survives a reload', async () => {
    const { page, server } = await visit();
    screenshotOnFailure(page, 'lazy-run');
    // nothing of the image on the first visit
    expect(server.requests.filter((r) => r.startsWith('registry/'))).toEqual([]);
    const run = await docker(page, `docker run --rm ${FIXTURE_IMAGE} cat /fixture/hello.txt`, 120_000);
    expect(run).toContain('Mounted lazily');
    expect(run).toMatch(new RegExp(`^${HELLO}$`, 'm'));
    // what the run read came as pieces: far less than the image
    const pieces = [...new Set(server.requests.filter((r) => r.startsWith(LAZY)))];
    const fetched = pieces.reduce((n, r) => n + size(r), 0);
    expect(fetched).toBeGreaterThan(0);
    expect(fetched).toBeLessThan(fixture.compressed / 3);
    // the background download completes the image: listed, then kept across a reload
    const t0 = Date.now();
    let images = '';
    while (!/^debian\s+bookworm-slim\s/m.test(images)) {
      if (Date.now() - t0 > 120_000) throw new Error(`the image never completed:\n${images}`);
      await new Promise((r) => setTimeout(r, 1000));
      images = await docker(page, 'docker images');
    }
    await page.reload();
    await waitReady(page);
    await freshPrompt(page);
    expect(await docker(page, 'docker images')).toMatch(/^debian\s+bookworm-slim\s/m);
    const from = server.requests.length;
    const md5 = await docker(page, `docker run --rm ${FIXTURE_IMAGE} md5sum /fixture/big.bin`, 120_000);
    expect(md5).toContain(fixture.bigMd5);
    expect(server.requests.slice(from).filter((r) => r.startsWith('registry/'))).toEqual([]);
  }, 400_000);

  it('pulls whole with docker pull, with per-layer progress', async () => {
    const { page, server } = await visit();
    screenshotOnFailure(page, 'lazy-full-pull');
    const pull = await docker(page, `docker pull ${FIXTURE_IMAGE}`, 120_000);
    expect(pull.match(/^[0-9a-f]{12}: Pull complete$/gm)).toHaveLength(2);
    expect(pull).toContain(`Status: Downloaded newer image for ${FIXTURE_IMAGE}`);
    expect(server.requests.filter((r) => r.startsWith(LAZY))).toEqual([]);
    expect(await docker(page, `docker run --rm ${FIXTURE_IMAGE} cat /fixture/hello.txt`, 120_000)).not.toContain('Mounted lazily');
  }, 400_000);

  it('refuses a piece changed on the server at the first read of its file, and a full pull still gives the image', async () => {
    const piece = bigPiece();
    const bad = new Uint8Array(readFileSync(join(site, piece)));
    bad[bad.length >> 1] = bad[bad.length >> 1]! ^ 0xff;
    const { page } = await visit(new Map([[piece, bad]]));
    screenshotOnFailure(page, 'lazy-tampered');
    const run = await docker(page, `docker run --rm ${FIXTURE_IMAGE} md5sum /fixture/big.bin`, 120_000);
    expect(run).toMatch(/I\/O error|Input\/output error/);
    expect(run).toMatch(/a file of debian:bookworm-slim \(pulled lazily\) could not be read, the process got EIO: \/fixture\/big\.bin: piece \d+ of \d+ of layer sha256:[0-9a-f]{12}…: the server's copy hashes to sha256:[0-9a-f]{12}…, the layer's file index says sha256:[0-9a-f]{12}…: refused \(changed on the server\)/);
    expect(run).not.toContain(fixture.bigMd5);
    // the layers themselves (checked against the image's digests) give the right bytes
    const pull = await docker(page, `docker pull ${FIXTURE_IMAGE}`, 120_000);
    expect(pull).toMatch(/Status: (Downloaded newer image|Image is up to date) for debian:bookworm-slim/);
    const md5 = await docker(page, `docker run --rm ${FIXTURE_IMAGE} md5sum /fixture/big.bin`, 120_000);
    expect(md5).toContain(fixture.bigMd5);
    expect(await screenText(page)).not.toMatch(/Error response from daemon/);
  }, 400_000);
});
