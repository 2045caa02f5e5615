// A saved state the page cannot use costs a cold boot, never a working VM:
// the page then downloads the kernel and initramfs, boots them, and says why.
// Each case breaks a copy of the built site in one way.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type {} from '../../src/web/debug-api.js'; // window.__dockyard
import { HAVE_CHROMIUM, SKIP_REASON, launch, screenshotOnFailure } from './chromium.js';
import { AT_PROMPT, docker, freshPrompt, screenText, waitForScreen, waitReady } from './page-helpers.js';
import { serveStatic, type StaticServer } from './static-server.js';

if (!HAVE_CHROMIUM) console.warn(SKIP_REASON);

const manifest = JSON.parse(readFileSync(join(inject('siteDir'), '..', '..', 'images', 'dist', 'manifest.json'), 'utf8')) as { state?: { sha256: string } };
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A copy of the built site with `breakIt` applied to its saved state file. */
function brokenSite(breakIt: (dir: string, stateFile: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockyard-state-'));
  cpSync(inject('siteDir'), dir, { recursive: true });
  const state = readdirSync(join(dir, 'assets')).find((f) => /^state[-.]/.test(f));
  if (!state) throw new Error('the built site has no saved state');
  breakIt(dir, join(dir, 'assets', state));
  return dir;
}

interface Visit {
  page: Page;
  /** paths the page asked for */
  requested: string[];
}

let lastPage: Page | undefined;

/** A first visit (fresh Cache Storage) that waits for the VM; ends the last one's (two VMs would slow both). */
async function visit(browser: Browser, url: string, name: string): Promise<Visit> {
  await lastPage?.context().close();
  const page = (lastPage = await (await browser.newContext()).newPage());
  screenshotOnFailure(page, name);
  const requested: string[] = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  await page.goto(url);
  await waitReady(page, 180_000);
  return { page, requested };
}

/** The VM came up by booting the kernel it downloaded, says why, and runs containers. */
async function expectColdBootFor(v: Visit, reason: RegExp): Promise<void> {
  const { page, requested } = v;
  const boot = await page.evaluate(() => ({ restored: window.__dockyard!.restored, reason: window.__dockyard!.coldBootReason ?? '' }));
  expect(boot.restored).toBe(false);
  expect(boot.reason).toMatch(reason);
  expect(requested.filter((p) => /\/assets\/(bzImage|initramfs)[-.]/.test(p))).toHaveLength(2);
  // the user sees why: in the terminal while it starts, on the boot status, in docker info
  await waitForScreen(page, AT_PROMPT);
  const screen = await screenText(page);
  expect(screen).toContain('The saved VM state cannot be used (');
  expect(screen.replace(/\n/g, '')).toContain(boot.reason.replace(/\n/g, ''));
  expect(screen).toMatch(/Starting Linux… booted in [\d.]+ s\./);
  expect(await page.locator('#boot-status li[data-stage="boot"]').getAttribute('title')).toContain(boot.reason);
  await freshPrompt(page);
  const info = await docker(page, 'docker info');
  expect(info).toMatch(/ Boot: cold boot in [\d.]+s \((.+)\)/);
  expect(info.replace(/\n/g, '')).toContain(`(${boot.reason.replace(/\n/g, '')})`);
  expect(await docker(page, 'docker run --rm busybox echo cold but working', 90_000)).toMatch(/^cold but working$/m);
}

describe.skipIf(!HAVE_CHROMIUM || !manifest.state)('the playground with a saved state it cannot use', () => {
  let browser: Browser;
  const cleanup: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    for (const c of cleanup.reverse()) await c();
  });

  async function serve(dir: string): Promise<StaticServer> {
    const server = await serveStatic(dir);
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }), () => server.close());
    return server;
  }

  it('cold-boots when the state file is damaged (fails its sha256), saying why', async () => {
    const dir = brokenSite((_, file) => {
      const bytes = readFileSync(file);
      for (let i = 0; i < 16; i++) bytes[(bytes.length >> 1) + i]! ^= 0xa5;
      writeFileSync(file, bytes);
    });
    const v = await visit(browser, (await serve(dir)).url, 'cold-boot-damaged-state');
    await expectColdBootFor(v, /^state\.bin\.zst is not the file this page was built with \(sha256 [0-9a-f]{12}…, expected [0-9a-f]{12}…\)$/);
  }, 300_000);

  it('cold-boots when the state passes its sha256 but does not restore, saying why', async () => {
    // garbage where the state was, and a build that names its digest: the
    // download verifies, the worker's restore fails, the page fetches the kernel
    const dir = brokenSite((site, file) => {
      const garbage = new Uint8Array(4096).fill(7);
      writeFileSync(file, garbage);
      let patched = 0;
      for (const f of readdirSync(join(site, 'assets')).filter((n) => n.endsWith('.js'))) {
        const path = join(site, 'assets', f);
        const js = readFileSync(path, 'utf8');
        if (!js.includes(manifest.state!.sha256)) continue;
        writeFileSync(path, js.replaceAll(manifest.state!.sha256, sha256(garbage)));
        patched++;
      }
      if (patched === 0) throw new Error("no built script holds the state's sha256");
    });
    const v = await visit(browser, (await serve(dir)).url, 'cold-boot-restore-fails');
    await expectColdBootFor(v, /^restore failed: /);
  }, 300_000);
});
