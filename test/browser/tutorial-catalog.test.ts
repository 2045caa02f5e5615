// The tutorial's "images tutorials reach for" (tutorial.html#real): the
// catalog's python, nginx, redis and postgres blocks, run in the page as a
// reader runs them — each image pulled lazily into the page, nginx opened
// through its published port, redis reached by name on a user network. The
// site has these images only when the build found the catalog built
// (test/browser/global-setup.ts builds it first where it can: as root, with
// mmdebstrap); without it the blocks say so, and this file is skipped.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { HAVE_CHROMIUM, SKIP_REASON, launch, screenshotOnFailure } from './chromium.js';
import { gotoWhenServing } from './page-helpers.js';
import { serveStatic, type StaticServer } from './static-server.js';

const siteDir = inject('siteDir');
const HAVE_CATALOG = existsSync(join(siteDir, 'registry', 'docker.io', 'library', 'nginx'));
if (!HAVE_CHROMIUM) console.warn(SKIP_REASON);

describe.skipIf(!HAVE_CHROMIUM || !HAVE_CATALOG)(`the tutorial's catalog blocks${HAVE_CATALOG ? '' : ' (skipped: the site was built without the catalog)'}`, () => {
  let server: StaticServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await serveStatic(siteDir);
    browser = await launch();
    context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    page = await context.newPage();
    await page.goto(`${server.url}tutorial.html`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  /** The runnable block whose code is exactly `code`. */
  async function block(code: string): Promise<Locator> {
    const i = await page.evaluate((c) => Array.from(document.querySelectorAll('pre.dockyard-code > code')).findIndex((e) => e.textContent === c), code);
    expect(i, `a runnable block with ${code}`).toBeGreaterThanOrEqual(0);
    return page.locator('.dockyard-block').nth(i);
  }

  async function run(code: string, want = 'done', timeoutMs = 240_000): Promise<string> {
    const b = await block(code);
    await b.locator('button.dockyard-run').click();
    await page.waitForFunction((el) => el !== null && ['done', 'failed', 'error'].includes((el as HTMLElement).dataset.state ?? ''), await b.elementHandle(), { timeout: timeoutMs, polling: 200 });
    const out = (await b.locator('.dockyard-output').textContent()) ?? '';
    if (want !== 'any') expect(await b.getAttribute('data-state'), out).toBe(want);
    return out;
  }

  it('runs python:3.11-slim', async () => {
    screenshotOnFailure(page, 'tutorial-catalog-python');
    const out = await run(`docker run --rm python:3.11-slim python3 -c 'import platform; print("Python", platform.python_version(), "on", platform.machine())'`);
    expect(out).toMatch(/^Python 3\.11\.\d+ on i686$/m);
  }, 300_000);

  it('serves nginx’s welcome page at ports/8080/, and docker logs shows the request', async () => {
    screenshotOnFailure(page, 'tutorial-catalog-nginx');
    const out = await run('docker run -d --name web -p 8080:80 nginx\ndocker ps');
    expect(out).toMatch(/^[0-9a-f]{64}$/m);
    expect(out).toMatch(/0\.0\.0\.0:8080->80\/tcp +web$/m);
    const tab = await context.newPage();
    screenshotOnFailure(tab, 'tutorial-catalog-nginx-tab');
    await gotoWhenServing(tab, `${server.url}ports/8080/`, 41);
    expect(await tab.title()).toBe('Welcome to nginx!');
    await tab.close();
    expect(await run('docker logs web')).toMatch(/"GET \/ HTTP\/1\.1" 200 /);
  }, 300_000);

  it('reaches redis by name from a second container on a user network', async () => {
    screenshotOnFailure(page, 'tutorial-catalog-redis');
    expect(await run('docker network create demo\ndocker run -d --name cache --network demo redis')).toMatch(/^[0-9a-f]{64}$/m);
    // as a reader would: again, while redis is still starting
    let out = '';
    for (let i = 0; i < 30; i++) {
      out = await run('docker run --rm --network demo redis redis-cli -h cache ping', 'any');
      if (!/Connection refused/.test(out)) break;
      await page.waitForTimeout(1000);
    }
    expect(out).toMatch(/^PONG$/m);
  }, 300_000);

  it('shows postgres refusing to start without a password, in the official words', async () => {
    screenshotOnFailure(page, 'tutorial-catalog-postgres');
    const out = await run('docker run --rm postgres:15', 'failed');
    expect(out).toContain('Error: Database is uninitialized and superuser password is not specified.');
  }, 300_000);

  it('runs postgres with a password and a volume, and psql answers once the cluster is made', async () => {
    screenshotOnFailure(page, 'tutorial-catalog-psql');
    const out = await run('docker rm -f web cache\ndocker run -d --name db -e POSTGRES_PASSWORD=secret -v pgdata:/var/lib/postgresql/data postgres:15');
    expect(out).toMatch(/^[0-9a-f]{64}$/m);
    // as the page says: until docker logs db says it is ready (initdb on the emulated CPU)
    let psql = '';
    for (let t = Date.now(); Date.now() - t < 300_000; ) {
      psql = await run("docker logs db\ndocker exec db psql -U postgres -c 'select version()'", 'any');
      if (/^ PostgreSQL 15\.\d+ /m.test(psql)) break; // psql's answer (the log names the version too)
      await page.waitForTimeout(3000);
    }
    expect(psql).toMatch(/database system is ready to accept connections/);
    expect(psql).toMatch(/^ PostgreSQL 15\.\d+ .*i686/m);
  }, 420_000);
});
