// Published ports in the page: `docker run -p 8080:80` in the playground gives
// ports/8080/ on the page's own origin, served by busybox httpd in the
// container through the preview service worker — in another tab and in the
// side panel's preview; absolute asset paths, a script's fetch of an
// absolute path, and a form post work.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type {} from '../../src/web/debug-api.js';
import { HAVE_CHROMIUM, SKIP_REASON, launch, screenshotOnFailure } from './chromium.js';
import { docker, freshPrompt, gotoWhenServing, screenText, waitReady } from './page-helpers.js';
import { serveStatic, type StaticServer } from './static-server.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server on 127.0.0.1 answering `text`; with CORS headers allowing any origin, or none. */
async function hostServer(text: string, cors: boolean): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (cors) res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Content-Type', 'text/plain');
    res.end(`${text} ${req.method} ${req.url}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

if (!HAVE_CHROMIUM) console.warn(SKIP_REASON);

// index.html with an absolute stylesheet and script path and a form posting to a CGI;
// the script fetches an absolute path and puts the answer in the title
const SITE = [
  'mkdir -p /www/cgi-bin',
  'echo "<html><head><link rel=stylesheet href=/s.css></head><body><h1 id=t>Served by a container</h1><form method=post action=/cgi-bin/echo><input name=q value=hi><button id=go>go</button></form><script src=/app.js></script></body></html>" > /www/index.html',
  'echo "h1{color:rgb(1,2,3)}" > /www/s.css',
  'echo "fetch(\\"/data.txt\\").then(r=>r.text()).then(t=>document.title=t.trim())" > /www/app.js',
  'echo from-data > /www/data.txt',
  'printf "#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho posted:\\nhead -c \\$CONTENT_LENGTH\\n" > /www/cgi-bin/echo',
  'chmod +x /www/cgi-bin/echo',
  'exec httpd -f -p 80 -h /www',
].join('; ');

describe.skipIf(!HAVE_CHROMIUM)('published ports in the page', () => {
  let server: StaticServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    server = await serveStatic(inject('siteDir'));
    browser = await launch();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    await page.goto(server.url);
    await waitReady(page);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('serves a container’s pages at ports/8080/ in another tab: absolute paths, fetch, a form post', async () => {
    screenshotOnFailure(page, 'preview-run');
    await freshPrompt(page);
    const out = await docker(page, `docker run -d --name web -p 8080:80 busybox sh -c '${SITE}'`, 90_000);
    expect(out).toMatch(/^[0-9a-f]{64}$/m);
    expect(await docker(page, 'docker port web')).toMatch(/^80\/tcp -> 0\.0\.0\.0:8080$/m);
    const tab = await context.newPage();
    screenshotOnFailure(tab, 'preview-tab');
    await gotoWhenServing(tab, `${server.url}ports/8080/`, 21);
    expect(await tab.textContent('#t')).toBe('Served by a container');
    expect(await tab.evaluate(() => getComputedStyle(document.getElementById('t')!).color)).toBe('rgb(1, 2, 3)');
    await tab.waitForFunction(() => document.title === 'from-data', undefined, { timeout: 10_000 });
    await Promise.all([tab.waitForNavigation(), tab.click('#go')]);
    expect(tab.url()).toBe(`${server.url}ports/8080/cgi-bin/echo`);
    expect(await tab.textContent('body')).toBe('posted:\nq=hi');
    await tab.close();
  }, 120_000);

  it('shows it in the side panel’s preview', async () => {
    screenshotOnFailure(page, 'preview-panel');
    await page.click('#containers-list button.port[data-port="8080"]', { timeout: 10_000 });
    const frame = page.frameLocator('#preview iframe');
    await expect.poll(() => frame.locator('#t').textContent({ timeout: 5000 }).catch(() => ''), { timeout: 20_000 }).toBe('Served by a container');
  }, 60_000);

  it('a container reaches host.docker.internal through fetch where CORS allows it, and is told why not elsewhere', async () => {
    screenshotOnFailure(page, 'outbound');
    const open = await hostServer('cors-ok', true);
    const closed = await hostServer('no-cors', false);
    try {
      await freshPrompt(page);
      const ok = await docker(page, `docker run --rm busybox wget -qO- http://host.docker.internal:${open.port}/hello`, 90_000);
      expect(ok).toContain('cors-ok GET /hello');
      const refused = await docker(page, `docker run --rm busybox wget -qO- http://host.docker.internal:${closed.port}/x`, 90_000);
      expect(refused).toMatch(/502 Bad Gateway: the browser refused fetch http:\/\/127\.0\.0\.1:\d+\/x/);
      // the terminal says why, in its own line
      expect(await screenText(page)).toMatch(/outbound HTTP from a container failed: the browser refused fetch/);
      // TLS cannot go through the page: refused at once
      const tls = await docker(page, 'docker run --rm busybox wget -qO- https://host.docker.internal/', 90_000);
      expect(tls).toMatch(/refused/i);
    } finally {
      open.server.close();
      closed.server.close();
    }
  }, 240_000);

  it('says so, plainly, when nothing is published there', async () => {
    const tab = await context.newPage();
    const r = await tab.goto(`${server.url}ports/9/`);
    expect(r?.status()).toBe(502);
    expect(await tab.textContent('body')).toMatch(/Nothing is published on port 9/);
    await tab.close();
  });
});
