// The playground as a person uses it: the built site served under a
// sub-path, in Debian's Chromium. Boots the real VM in the page's worker.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type {} from '../../src/web/debug-api.js'; // window.__dockyard
import { HAVE_CHROMIUM, SKIP_REASON, launch, screenshotOnFailure } from './chromium.js';
import { AT_PROMPT, docker, freshPrompt, screenText, typeLine, waitForMatch, waitForScreen, waitReady } from './page-helpers.js';
import { serveStatic, type StaticServer } from './static-server.js';

if (!HAVE_CHROMIUM) console.warn(SKIP_REASON);

/** The build has a saved state to restore (images/dist/manifest.json names one). */
function hasState(): boolean {
  const manifest = JSON.parse(readFileSync(join(inject('siteDir'), '..', '..', 'images', 'dist', 'manifest.json'), 'utf8')) as { state?: unknown };
  return manifest.state !== undefined;
}

describe.skipIf(!HAVE_CHROMIUM)('the playground page', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const failedRequests: string[] = [];
  const pageErrors: string[] = [];
  /** paths the page asked for, from its first request on */
  const requested: string[] = [];

  beforeAll(async () => {
    server = await serveStatic(inject('siteDir'));
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('response', (r) => {
      if (r.status() >= 400) failedRequests.push(`${r.status()} ${r.url()}`);
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('request', (r) => requested.push(new URL(r.url()).pathname));
    await page.goto(server.url);
    await waitReady(page);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('boots and shows the docker prompt', async () => {
    screenshotOnFailure(page, 'playground-boot');
    await waitForScreen(page, AT_PROMPT);
    const text = await screenText(page);
    expect(text).toMatch(/Downloading the VM: [\d.]+ MB of [\d.]+ MB/);
    expect(text).toMatch(/Starting Linux… (restored from a snapshot|booted) in [\d.]+ s\./);
    expect(await page.locator('#boot-status li.done').count()).toBe(3);
    expect(failedRequests).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('restores the saved guest state when the build has one', async () => {
    const boot = await page.evaluate(() => ({ restored: window.__dockyard!.restored, reason: window.__dockyard!.coldBootReason }));
    if (hasState()) expect(boot).toEqual({ restored: true, reason: undefined });
    else expect(boot).toEqual({ restored: false, reason: 'no snapshot' });
  });

  it('runs docker run --rm busybox echo hello', async () => {
    screenshotOnFailure(page, 'playground-run-echo');
    await freshPrompt(page);
    const out = await docker(page, 'docker run --rm busybox echo hello', 90_000);
    expect(out).toMatch(/^hello$/m);
    expect(out).toContain("Unable to find image 'busybox:latest' locally");
  }, 120_000);

  it('downloads neither the kernel nor the initramfs when the saved state restores', async () => {
    screenshotOnFailure(page, 'playground-lazy-kernel');
    const kernelFiles = requested.filter((p) => /\/assets\/(bzImage|initramfs)[-.]/.test(p));
    if (!hasState()) {
      expect(kernelFiles).toHaveLength(2); // nothing to restore: booting the kernel was the plan
      return;
    }
    expect(requested.filter((p) => /\/assets\/state[-.]/.test(p))).toHaveLength(1);
    expect(kernelFiles).toEqual([]);
    await freshPrompt(page);
    expect(await docker(page, 'docker run --rm busybox echo no kernel download')).toMatch(/^no kernel download$/m);
    expect(requested.filter((p) => /\/assets\/(bzImage|initramfs)[-.]/.test(p))).toEqual([]);
  }, 60_000);

  it('takes commands without the leading docker, edits the line, recalls history', async () => {
    screenshotOnFailure(page, 'playground-line-editing');
    await freshPrompt(page);
    // type "imagse", fix it with cursor keys and backspace
    await page.keyboard.type('imagse');
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('End');
    await page.keyboard.type('s');
    await page.keyboard.press('Home');
    await page.keyboard.type('docker ');
    await page.keyboard.press('Enter');
    await waitForScreen(page, /docker\$ docker images\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE\nbusybox +latest[^]*docker\$ ?$/);
    // Ctrl-C abandons a half-typed line
    await page.keyboard.type('docker rmi busybox');
    await page.keyboard.press('Control+C');
    await waitForScreen(page, /docker\$ docker rmi busybox\^C\ndocker\$ ?$/);
    // ↑ recalls the last command
    await page.keyboard.press('ArrowUp');
    await waitForScreen(page, /docker\$ docker images$/);
    await page.keyboard.press('Control+U');
    await page.keyboard.type('ps -a');
    await page.keyboard.press('Enter');
    await waitForScreen(page, /docker\$ ps -a\nCONTAINER ID +IMAGE[^]*docker\$ ?$/);
  });

  it('completes subcommands, flags and image names with Tab', async () => {
    screenshotOnFailure(page, 'playground-completion');
    await freshPrompt(page);
    // "ima" extends to "image", the prefix of image and images; a second Tab lists both
    await page.keyboard.type('docker ima');
    await page.keyboard.press('Tab');
    await waitForScreen(page, /docker\$ docker image$/);
    await page.keyboard.press('Tab');
    await waitForScreen(page, /docker\$ docker image\nimage +images\ndocker\$ docker image$/);
    await page.keyboard.type('s -');
    await page.keyboard.press('Tab');
    await waitForScreen(page, /\n--all +--quiet +-a +-q\ndocker\$ docker images -$/);
    await page.keyboard.press('Control+U');
    // one candidate: completed with a space after it
    await page.keyboard.type('pul');
    await page.keyboard.press('Tab');
    await page.keyboard.type('hel');
    await page.keyboard.press('Tab');
    await page.keyboard.type('# pulled later');
    await waitForScreen(page, /docker\$ pull hello-world # pulled later$/);
    await page.keyboard.press('Control+U');
    await page.keyboard.type('docker run --rm');
    await page.keyboard.press('Tab');
    await page.keyboard.type('bu');
    await page.keyboard.press('Tab');
    await page.keyboard.type('echo completed');
    await waitForScreen(page, /docker\$ docker run --rm busybox echo completed$/);
    await page.keyboard.press('Enter');
    await waitForScreen(page, /^completed\ndocker\$ ?$/m, 60_000);
  }, 90_000);

  it('attaches run -it to the terminal: a pts, the window size, exit back to the prompt', async () => {
    screenshotOnFailure(page, 'playground-run-it');
    await freshPrompt(page);
    await typeLine(page, 'docker run -it busybox sh');
    await waitForScreen(page, /\/ # ?$/, 60_000);
    await typeLine(page, 'tty');
    await waitForScreen(page, /\/ # tty\n\/dev\/pts\/\d+\n\/ # ?$/);
    const before = await page.evaluate(() => window.__dockyard!.termSize());
    await typeLine(page, 'stty size');
    await waitForScreen(page, new RegExp(`stty size\\n${before.rows} ${before.cols}\\n/ # ?$`));
    await page.setViewportSize({ width: 900, height: 560 });
    await page.waitForFunction((b) => window.__dockyard!.termSize().cols < b.cols, before);
    await page.waitForTimeout(300); // the resize request is on its way to the guest
    const after = await page.evaluate(() => window.__dockyard!.termSize());
    expect(after.rows).toBeLessThan(before.rows);
    await typeLine(page, 'stty size');
    await waitForScreen(page, new RegExp(`stty size\\n${after.rows} ${after.cols}\\n/ # ?$`));
    await typeLine(page, 'exit');
    await waitForScreen(page, /\/ # exit\ndocker\$ ?$/);
    await page.setViewportSize({ width: 1280, height: 800 });
  }, 120_000);

  it('sends Ctrl-C to the attached container, not to the prompt', async () => {
    screenshotOnFailure(page, 'playground-run-it-ctrl-c');
    await freshPrompt(page);
    await typeLine(page, 'docker run -it --rm busybox sh');
    await waitForScreen(page, /\/ # ?$/, 60_000);
    try {
      await typeLine(page, 'sleep 12');
      await page.waitForTimeout(500);
      await page.keyboard.press('Control+C');
      // the shell's sleep is interrupted (long before its 12 s) and the container's prompt is back
      await waitForScreen(page, /sleep 12\n\^C\n+\/ # ?$/, 6_000);
    } finally {
      await waitForScreen(page, /\/ # ?$/, 20_000).catch(() => {});
      await typeLine(page, 'exit');
      await waitForScreen(page, /\/ # exit\ndocker\$ ?$/);
    }
  }, 120_000);

  it('lists images and containers in the side panel, with working buttons', async () => {
    screenshotOnFailure(page, 'playground-side-panel');
    await freshPrompt(page);
    await docker(page, 'docker run -d --name sleeper busybox sleep 600');
    const item = page.locator('#containers-list li[data-container="sleeper"]');
    await item.waitFor();
    expect(await item.getAttribute('data-status')).toBe('running');
    expect(await page.locator('#images-list li[data-image="busybox:latest"]').count()).toBe(1);
    await page.screenshot({ path: 'test-results/playground-panel.png' });
    await item.getByRole('button', { name: 'Stop' }).click();
    await page.locator('#containers-list li[data-container="sleeper"][data-status="exited"]').waitFor({ timeout: 30_000 });
    await item.getByRole('button', { name: 'Remove' }).click();
    await item.waitFor({ state: 'detached', timeout: 30_000 });
  }, 90_000);

  it('has a VM shell tab where ps shows the processes of every container', async () => {
    screenshotOnFailure(page, 'playground-vm-shell');
    await freshPrompt(page);
    await docker(page, 'docker run -d --name napper busybox sleep 321');
    await page.click('#tab-vm');
    await page.click('#vm-terminal');
    await page.waitForTimeout(300);
    await typeLine(page, 'ps');
    await waitForMatch(() => screenText(page, 'vm'), /sleep 321/, 30_000);
    await page.click('#tab-docker');
    await page.click('#terminal');
    await docker(page, 'docker rm -f napper');
  }, 90_000);

  it('boots from Cache Storage on the next visit, verified', async () => {
    screenshotOnFailure(page, 'playground-cached');
    await page.reload();
    await waitReady(page);
    const cache = await page.evaluate(() => window.__dockyard!.cache);
    expect(cache.downloaded).toEqual([]);
    // BIOS, v86.wasm and the saved state (or without one: the kernel and initramfs)
    expect(cache.fromCache).toBeGreaterThanOrEqual(hasState() ? 3 : 4);
    await waitForScreen(page, AT_PROMPT);
  }, 180_000);

  it('says after a reload which containers were lost with the old VM', async () => {
    screenshotOnFailure(page, 'playground-reload-lost');
    await freshPrompt(page);
    await docker(page, 'docker run -d --name lost-on-reload busybox sleep 600');
    // the side panel lists it (and the page remembers what it listed)
    await page.locator('#containers-list', { hasText: 'lost-on-reload' }).waitFor({ timeout: 30_000 });
    await page.reload();
    await waitReady(page);
    await waitForScreen(page, AT_PROMPT);
    const screen = await screenText(page);
    expect(screen.replace(/\n/g, ' ')).toMatch(/The page was reloaded: this is a fresh VM, and the container of the last one is gone: lost-on-reload \(busybox, running\)\. Your pulled images are kept\./);
    // said once: another reload with nothing running says nothing
    await page.reload();
    await waitReady(page);
    await waitForScreen(page, AT_PROMPT);
    expect(await screenText(page)).not.toMatch(/The page was reloaded/);
  }, 180_000);

  it('keeps pulled and tagged images across a reload (origin storage), and rmi removes them', async () => {
    screenshotOnFailure(page, 'playground-images-persist');
    await freshPrompt(page);
    await docker(page, 'docker pull busybox');
    await docker(page, 'docker tag busybox kept:1');
    await page.reload();
    await waitReady(page);
    await waitForScreen(page, AT_PROMPT);
    await freshPrompt(page);
    await docker(page, 'docker images');
    await waitForMatch(() => screenText(page), /kept\s+1\s+[0-9a-f]{12}/, 30_000);
    await docker(page, 'docker run --rm kept:1 echo from-the-stored-image');
    await waitForMatch(() => screenText(page), /\nfrom-the-stored-image/, 30_000);
    expect(await screenText(page)).not.toMatch(/Unable to find image 'kept:1'/);
    await docker(page, 'docker rmi kept:1 busybox');
    await waitForMatch(() => screenText(page), /Deleted: sha256:/, 30_000);
  }, 180_000);
});

describe.skipIf(!HAVE_CHROMIUM)('the playground on a broken deployment', () => {
  let server: StaticServer;
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    // the built site without its kernel or saved state, as a half-finished
    // upload would leave it (with the state, the kernel would not be needed)
    dir = mkdtempSync(join(tmpdir(), 'dockyard-broken-'));
    cpSync(inject('siteDir'), dir, { recursive: true });
    for (const f of readdirSync(join(dir, 'assets'))) if (/^(bzImage|state)[-.]/.test(f)) rmSync(join(dir, 'assets', f));
    server = await serveStatic(dir);
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says plainly what failed and what to do', async () => {
    const page = await (await browser.newContext()).newPage(); // fresh Cache Storage
    screenshotOnFailure(page, 'playground-broken');
    await page.goto(server.url);
    await page.waitForFunction(() => window.__dockyard?.state === 'error', undefined, { timeout: 60_000 });
    const box = page.getByRole('alert');
    expect(await box.locator('h2').textContent()).toBe('Dockyard could not start');
    expect(await box.locator('.error-message').textContent()).toBe('Could not download bzImage: HTTP 404 Not Found');
    expect(await box.locator('.error-advice').textContent()).toMatch(/deploy the whole build folder/);
    expect(await box.getByRole('button', { name: 'Reload' }).count()).toBe(1);
    expect(await screenText(page)).toMatch(/Dockyard could not start: could not download bzImage: HTTP 404/);
  });
});
