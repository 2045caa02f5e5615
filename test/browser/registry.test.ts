// Pulls in the page, in Debian's Chromium, from real registries on
// 127.0.0.1 (another origin than the page's): one that sends CORS headers
// (pulled directly, the progress drawn live), one that sends none (the error
// says CORS is why), and that one again through the shipped pull-through
// cache config (docs/registry-proxy.yml) as the playground's registryProxy.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { bundledLayout, HAVE_REGISTRY, skopeoCopy, startRegistry, type LocalRegistry } from '../fixtures/registry.js';
import { HAVE_CHROMIUM, launch, screenshotOnFailure } from './chromium.js';
import { docker, freshPrompt, waitReady } from './page-helpers.js';
import { serveStatic, type StaticServer } from './static-server.js';

const root = join(inject('siteDir'), '..', '..');

describe.skipIf(!HAVE_CHROMIUM || !HAVE_REGISTRY)('registries from the page', () => {
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  let cors: LocalRegistry;
  let plain: LocalRegistry;
  let cache: LocalRegistry;
  let authed: LocalRegistry;

  beforeAll(async () => {
    [cors, plain, authed] = await Promise.all([startRegistry({ cors: true }), startRegistry(), startRegistry({ cors: true, user: { name: 'erin', password: 'pw' } })]);
    const bb = `oci:${bundledLayout(root, 'busybox')}:latest`;
    await skopeoCopy(bb, `docker://${cors.host}/team/tool:1`);
    await skopeoCopy(bb, `docker://${plain.host}/team/tool:1`);
    cache = await startRegistry({ configFile: join(root, 'docs', 'registry-proxy.yml'), proxy: { remoteurl: plain.url } });
    server = await serveStatic(inject('siteDir'));
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${server.url}?registryProxy=${encodeURIComponent(cache.url)}`);
    await waitReady(page);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await Promise.all([cors?.stop(), plain?.stop(), cache?.stop(), authed?.stop()]);
  });

  it('pulls from a registry that sends CORS headers, and runs the image', async () => {
    screenshotOnFailure(page, 'registry-cors-pull');
    await freshPrompt(page);
    const out = await docker(page, `docker pull ${cors.host}/team/tool:1`, 90_000);
    expect(out).toMatch(/^[0-9a-f]{12}: Pull complete$/m);
    expect(out).toContain(`Status: Downloaded newer image for ${cors.host}/team/tool:1`);
    const run = await docker(page, `docker run --rm ${cors.host}/team/tool:1 echo pulled-in-the-page`, 90_000);
    expect(run).toMatch(/^pulled-in-the-page$/m);
  }, 180_000);

  it('says why a registry without CORS headers cannot be read from the page', async () => {
    screenshotOnFailure(page, 'registry-no-cors');
    const out = await docker(page, `docker pull ${plain.host}/team/tool:1`);
    expect(out).toContain(`Error response from daemon: Get "http://${plain.host}/v2/team/tool/manifests/1": Failed to fetch: the registry could not be read from this page`);
    expect(out).toContain('it sends no CORS headers');
  });

  it('pulls a Docker Hub name through the registryProxy (the shipped pull-through cache config)', async () => {
    screenshotOnFailure(page, 'registry-proxy');
    const out = await docker(page, 'docker pull team/tool:1', 90_000);
    expect(out).toContain('Status: Downloaded newer image for team/tool:1');
    expect(out).toMatch(/^docker\.io\/team\/tool:1$/m);
  }, 120_000);

  it("says why a registry with auth refuses the page (docker-registry answers the browser's preflight with 401)", async () => {
    screenshotOnFailure(page, 'registry-login');
    const out = await docker(page, `docker login -u erin -p pw ${authed.host}`);
    expect(out).toContain('WARNING! Using --password via the CLI is insecure. Use --password-stdin.');
    expect(out).toContain(`Error response from daemon: Get "http://${authed.host}/v2/": Failed to fetch: the registry could not be read from this page`);
    expect(out).toContain('refuses the preflight (OPTIONS) request a browser makes first');
    expect(out).not.toContain('Login Succeeded');
  });
});
