// The playground's "Containers vs. VMs" panel: figures from this session,
// not constants — they appear and change as containers are run.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type {} from '../../src/web/debug-api.js'; // window.__dockyard
import { HAVE_CHROMIUM, SKIP_REASON, launch, screenshotOnFailure } from './chromium.js';
import { docker, freshPrompt, waitReady } from './page-helpers.js';
import { serveStatic, type StaticServer } from './static-server.js';

if (!HAVE_CHROMIUM) console.warn(SKIP_REASON);

const manifest = JSON.parse(readFileSync(join(inject('siteDir'), '..', '..', 'images', 'dist', 'manifest.json'), 'utf8')) as { memoryMB: number };

describe.skipIf(!HAVE_CHROMIUM)('the containers vs. VMs panel', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    server = await serveStatic(inject('siteDir'));
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(server.url);
    await waitReady(page);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** A figure's text and raw value, read together (a refresh may land between two reads). */
  const figure = (name: string) =>
    page.evaluate((n) => {
      const td = document.querySelector<HTMLElement>(`#figures td[data-figure="${n}"]`);
      return { text: (td?.innerText ?? '').replace(/\s+/g, ' ').trim(), value: td?.dataset.value ?? null };
    }, name);
  /** Waits until the panel's `name` figure satisfies `ok` (the panel refreshes after each command). */
  async function waitFigure(name: string, ok: (f: { text: string; value: string | null }) => boolean, timeoutMs = 15_000) {
    const t0 = Date.now();
    let f = await figure(name);
    while (!ok(f)) {
      if (Date.now() - t0 > timeoutMs) throw new Error(`figure ${name} stayed ${JSON.stringify(f)}`);
      await page.waitForTimeout(200);
      f = await figure(name);
    }
    return f;
  }

  it('shows this VM before any container: its disk, its boot (never the snapshot restore) and kernel', async () => {
    screenshotOnFailure(page, 'figures-initial');
    await page.locator('#figures').waitFor();
    await page.locator('#figures').scrollIntoViewIfNeeded();
    expect(await page.locator('#figures h2').textContent()).toBe('Containers vs. VMs');
    const boot = await page.evaluate(() => ({ bootMs: window.__dockyard!.bootMs!, restored: window.__dockyard!.restored! }));
    if (boot.restored) {
      // a restore is not what starting a VM costs: the figure is a cold boot, which the reader has timed in a worker of its own
      expect((await figure('vm-start')).text).toMatch(/^— VM cold boot: not timed in this browser yet Time a cold boot$/);
      expect(await page.evaluate(() => performance.getEntriesByType('resource').some((r) => /bzImage/.test(r.name)))).toBe(false);
      await page.locator('#figures td[data-figure="vm-start"] button').click();
      const cold = await waitFigure('vm-start', (f) => f.value !== null, 120_000);
      expect(cold.text).toMatch(/^[\d.]+m?s VM cold boot, timed in this browser$/);
      expect(Number(cold.value)).toBeGreaterThan(boot.bootMs);
      expect(await page.locator('#figures td[data-figure="vm-start"]').getAttribute('title')).toMatch(/^This page restored a saved VM in [\d.]+m?s instead: a restore is not a boot\./);
      // kept for the next visit
      expect(Math.round(await page.evaluate(() => JSON.parse(localStorage.getItem('dockyard.coldBoot') ?? 'null')?.ms))).toBe(Number(cold.value));
    } else {
      const vmStart = await figure('vm-start');
      expect(Number(vmStart.value)).toBeCloseTo(boot.bootMs, 0);
      expect(vmStart.text).toMatch(/^[\d.]+m?s VM cold boot \(this page\)$/);
    }
    const vmSize = await figure('vm-size');
    expect(Number(vmSize.value)).toBeGreaterThan(2_000_000); // kernel + initramfs
    expect(vmSize.text).toMatch(/^[\d.]+MB kernel \+ initramfs: the VM's disk$/);
    expect((await figure('container-start')).text).toMatch(/^— run a container/);
    expect((await figure('kernel-vm')).text).toMatch(/one kernel per VM/);
    const vmMemory = await figure('vm-memory');
    expect(Number(vmMemory.value)).toBe(manifest.memoryMB * 2 ** 20);
    expect(vmMemory.text).toMatch(new RegExp(`^${manifest.memoryMB}MiB reserved`));
  });

  it('times a docker run, sizes the pulled image, counts containers on the one kernel', async () => {
    screenshotOnFailure(page, 'figures-run');
    await freshPrompt(page);
    const before = Number((await figure('kernel-shared')).value);
    expect(await docker(page, 'docker run --rm busybox echo figures', 90_000)).toMatch(/^figures$/m);
    // the start time: measured in the page for this run, under the time the command took
    const start = await waitFigure('container-start', (f) => f.value !== null);
    // this page's first run: said to be a cold one
    expect(start.text).toMatch(/^\d+(ms|\.\d\ds) first docker run → first output: a cold run, run again for a warm one$/);
    expect(Number(start.value)).toBeGreaterThan(0);
    expect(Number(start.value)).toBeLessThan(60_000);
    expect(await docker(page, 'docker run --rm busybox echo again', 90_000)).toMatch(/^again$/m);
    const warm = await waitFigure('container-start', (f) => /last docker run/.test(f.text));
    expect(warm.text).toMatch(/^\d+(ms|\.\d\ds) last docker run → first output$/);
    // the image: busybox as pulled into this VM, the size docker images shows
    const size = await waitFigure('image-size', (f) => f.value !== null);
    expect(size.text).toMatch(/^[\d.]+[kM]B busybox:latest image$/);
    const images = await docker(page, 'docker images busybox');
    const listed = /^busybox +latest +.* (\S+)$/m.exec(images)?.[1];
    expect(size.text.startsWith(`${listed} `)).toBe(true);
    expect(Number(size.value)).toBeLessThan(Number((await figure('vm-size')).value)); // the point of the table
    // one more running container on the same kernel
    await docker(page, 'docker run -d --name fig-sleeper busybox sleep 600');
    const shared = await waitFigure('kernel-shared', (f) => Number(f.value) === before + 1);
    // its memory, as the guest's cgroup counts it
    const mem = await figure('container-memory');
    expect(mem.text).toMatch(/^[\d.]+(B|KiB|MiB) (the running container|per container, mean of \d+ running)$/);
    expect(Number(mem.value)).toBeGreaterThan(4096);
    expect(Number(mem.value)).toBeLessThan(64 * 2 ** 20);
    expect((await figure('vm-memory')).text).toMatch(/^\d+MiB reserved; [\d.]+MiB still available$/);
    expect(shared.text).toMatch(new RegExp(`^${before + 1} containers? shares? 1 kernel \\(Linux \\d+\\.\\d+[^)]*\\)$`));
    // the kernel the banner named when the VM came up
    const banner = await page.evaluate(() => window.__dockyard!.screenText());
    expect(banner).toContain(`Linux ${/\(Linux (\S+)\)/.exec(shared.text)![1]} `);
    await docker(page, 'docker rm -f fig-sleeper');
    await waitFigure('kernel-shared', (f) => Number(f.value) === before);
  }, 150_000);

  it('keeps the panel inside a narrow window', async () => {
    screenshotOnFailure(page, 'figures-narrow');
    await page.setViewportSize({ width: 420, height: 800 });
    // (the terminal refits a moment later; until then it is the page's widest thing)
    await page.waitForFunction(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth, undefined, { timeout: 10_000 });
    const fit = await page.evaluate(() => {
      const section = document.querySelector<HTMLElement>('#figures')!;
      return { table: section.querySelector('table')!.getBoundingClientRect().right, page: document.documentElement.clientWidth, sectionScroll: section.scrollWidth, sectionWidth: section.clientWidth };
    });
    expect(fit.table).toBeLessThanOrEqual(fit.page);
    expect(fit.sectionScroll).toBeLessThanOrEqual(fit.sectionWidth);
    await page.locator('#figures').scrollIntoViewIfNeeded();
    await page.screenshot({ path: 'test-results/figures-narrow.png' });
    await page.setViewportSize({ width: 1280, height: 900 });
  });
});
