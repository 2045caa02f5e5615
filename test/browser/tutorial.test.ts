// The tutorial page: runnable docker blocks sharing one VM, booted on the
// first Run, and a <dockyard-terminal> element on the same VM.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { HAVE_CHROMIUM, SKIP_REASON, launch, screenshotOnFailure } from './chromium.js';
import { waitForMatch } from './page-helpers.js';
import { serveStatic, type StaticServer } from './static-server.js';

if (!HAVE_CHROMIUM) console.warn(SKIP_REASON);

describe.skipIf(!HAVE_CHROMIUM)('the tutorial page', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const failedRequests: string[] = [];

  beforeAll(async () => {
    server = await serveStatic(inject('siteDir'));
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.on('response', (r) => {
      if (r.status() >= 400) failedRequests.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(`${server.url}tutorial.html`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const vmWorkers = () => page.workers().filter((w) => /vm\.worker/.test(w.url()));

  /** The runnable block whose code is exactly `code`. */
  async function block(code: string): Promise<Locator> {
    const i = await page.evaluate((c) => Array.from(document.querySelectorAll('pre.dockyard-code > code')).findIndex((e) => e.textContent === c), code);
    expect(i, `a runnable block with ${code}`).toBeGreaterThanOrEqual(0);
    return page.locator('.dockyard-block').nth(i);
  }

  async function run(code: string, timeoutMs = 120_000, want = 'done'): Promise<string> {
    const b = await block(code);
    await b.locator('button.dockyard-run').click();
    await page.waitForFunction((el) => el !== null && ['done', 'failed', 'error'].includes((el as HTMLElement).dataset.state ?? ''), await b.elementHandle(), { timeout: timeoutMs, polling: 200 });
    const out = (await b.locator('.dockyard-output').textContent()) ?? '';
    expect(await b.getAttribute('data-state'), out).toBe(want);
    return out;
  }

  it('makes the docker blocks runnable and downloads no VM before the first Run', async () => {
    screenshotOnFailure(page, 'tutorial-before-run');
    expect(await page.locator('button.dockyard-run').count()).toBeGreaterThanOrEqual(8);
    expect(vmWorkers()).toHaveLength(0);
    // nothing heavy before the first Run: no VM, no runtime, no terminal
    expect(server.requests.filter((r) => /bzImage|v86.*\.wasm|state|session|xterm/.test(r))).toEqual([]);
  });

  it('runs blocks in one shared session: pull, images, run, hello-world, ps -a', async () => {
    screenshotOnFailure(page, 'tutorial-blocks');
    const pull = await run('docker pull busybox', 180_000);
    expect(pull).toContain('$ docker pull busybox');
    expect(pull).toContain('Status: Downloaded newer image for busybox:latest');
    expect(await run('docker images')).toMatch(/busybox +latest/);
    expect(await run('docker run --rm busybox echo hello')).toMatch(/^hello$/m);
    expect(await run('docker run --rm hello-world')).toMatch(/Hello from (Docker|Dockyard)!/);
    const ps = await run(`docker run --name first-box busybox sh -c 'echo "I am $(hostname), process $$"'\ndocker ps -a`);
    expect(ps).toMatch(/I am [0-9a-f]{12}, process 1/);
    expect(ps).toMatch(/first-box/); // the docker ps -a in the same block
    const rm = await run('docker rm first-box\ndocker ps -a');
    expect(rm).toMatch(/^first-box$/m);
    expect(rm.slice(rm.indexOf('$ docker ps -a'))).not.toContain('first-box');
    expect(vmWorkers()).toHaveLength(1); // one VM for every block
    await page.screenshot({ path: 'test-results/tutorial-blocks.png', fullPage: false });
    expect(failedRequests).toEqual([]);
  }, 300_000);

  it('follows the article: layers and digests, its jenkins pull and what it answers here', async () => {
    screenshotOnFailure(page, 'tutorial-article');
    const history = await run('docker history busybox');
    expect(history).toMatch(/^IMAGE +CREATED +CREATED BY +SIZE +COMMENT$/m);
    expect(history).toMatch(/^[0-9a-f]{12}|^<missing>/m);
    const ids = await run("docker image inspect -f '{{.Id}}' busybox\ndocker image inspect -f '{{.RepoDigests}}' busybox\ndocker image inspect -f '{{.RootFS.Layers}}' busybox");
    expect(ids).toMatch(/^sha256:[0-9a-f]{64}$/m);
    expect(ids).toMatch(/^\[busybox@sha256:[0-9a-f]{64}\]$/m);
    expect(ids).toMatch(/^\[sha256:[0-9a-f]{64}( sha256:[0-9a-f]{64})*\]$/m);
    // the article's own command: the page says what happens and Docker's answer is shown
    const jenkins = await run('docker pull jenkins/jenkins:lts', 60_000, 'failed');
    // Dockyard knows jenkins/jenkins has no linux/386 image and says so with
    // what runs instead; else (a name it does not know) without a registry
    // proxy the page cannot read Docker Hub, and with one: no linux/386 manifest
    expect(jenkins).toMatch(/no linux\/386 image of jenkins\/jenkins exists.*the closest that runs here: |could not be read from this page|no matching manifest for linux\/386/);
    const said = await page.locator('article').textContent();
    expect(said).toContain('sudo apt-get install jenkins');
    expect(said).toMatch(/Here that pull fails/);
  }, 120_000);

  it('shows one process as PID 1 inside the container and an ordinary process of the VM, and points to the VM shell', async () => {
    screenshotOnFailure(page, 'tutorial-pid1');
    const out = await run('docker run -d --name pid-demo busybox sleep 600\ndocker exec pid-demo ps\ndocker top pid-demo');
    expect(out).toMatch(/^\s*1 root .*sleep 600$/m);
    const top = /^root +(\d+) +\d+ .*sleep 600$/m.exec(out);
    expect(top, out).not.toBeNull();
    expect(Number(top![1])).toBeGreaterThan(1);
    const link = page.locator('a[href="./#vm-shell"]');
    expect(await link.textContent()).toMatch(/VM shell tab/);
    await run('docker rm -f pid-demo');
    // tables are never wrapped mid-word: a block's output keeps each line whole (and scrolls sideways)
    const ps = await block('docker rm first-box\ndocker ps -a');
    const wrap = await ps.locator('.dockyard-output').evaluate((e) => getComputedStyle(e).whiteSpace);
    expect(wrap).toBe('pre');
  }, 120_000);

  it('builds a block\'s Dockerfile and files, and runs the image; a rebuild comes from the cache', async () => {
    screenshotOnFailure(page, 'tutorial-build');
    const code = 'docker build -t greeter .\ndocker run --rm greeter\ndocker history greeter';
    const b = await block(code);
    expect(await b.getAttribute('data-files')).toBe('Dockerfile greet.sh .dockerignore');
    const out = await run(code, 180_000);
    expect(out).toContain('naming to docker.io/library/greeter:latest done');
    expect(out).toMatch(/^Hello from an image you built!\nbuilt by root$/m);
    expect(out).toMatch(/CMD \["\.\/greet\.sh"\]/);
    const again = await run(code, 120_000);
    expect(again).toMatch(/\[3\/4\] COPY greet.sh .\n#\d+ CACHED/);
    // the files are shown with their names
    const caption = await page.locator('pre[data-dockyard-file="Dockerfile"]').evaluate((e) => getComputedStyle(e, '::before').content);
    expect(caption).toBe('"Dockerfile"');
  }, 300_000);

  it('has a <dockyard-terminal> on the same VM that pulls its images and runs its command', async () => {
    screenshotOnFailure(page, 'tutorial-terminal');
    const el = page.locator('dockyard-terminal');
    await el.scrollIntoViewIfNeeded();
    await el.getByRole('button', { name: /Start Docker/ }).click();
    const text = () => el.evaluate((e) => (e as HTMLElement & { screenText(): string }).screenText());
    await waitForMatch(text, /docker\$ docker ps -a\nCONTAINER ID[^]*docker\$ ?$/, 60_000);
    // wide enough for docker's tables, whatever the page's column: it scrolls sideways instead of wrapping
    expect(await el.evaluate((e) => (e as HTMLElement & { cols: number }).cols)).toBeGreaterThanOrEqual(110);
    expect(vmWorkers()).toHaveLength(1);
    await el.click();
    await page.keyboard.type('docker run --rm busybox echo from-the-element');
    await page.keyboard.press('Enter');
    await waitForMatch(text, /^from-the-element\ndocker\$ ?$/m, 60_000);
    await page.screenshot({ path: 'test-results/tutorial-terminal.png' });
  }, 120_000);
});
