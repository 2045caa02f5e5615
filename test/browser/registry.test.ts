// Pulls in the page, in Debian's Chromium, from real registries on
// 127.0.0.1 (another origin than the page's): one that sends CORS headers
// (pulled directly, the progress drawn live), one that sends none (the error
// says CORS is why), and that one again through the shipped pull-through
// cache config (docs/registry-proxy.yml) as the playground's registryProxy;
// pushes from the page, checked by skopeo; and a registry with logins behind
// the shipped nginx front (docs/registry-cors-front.conf): login, push, pull.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { bundledLayout, HAVE_NGINX, HAVE_REGISTRY, skopeo, skopeoCopy, startCorsFront, startRegistry, type LocalRegistry } from '../fixtures/registry.js';
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

  /** The digest `docker push` printed, and what skopeo (an independent client) finds under the tag. */
  async function pushedDigest(out: string, ref: string, creds?: string): Promise<{ printed: string; remote: string }> {
    const printed = /^1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(out)?.[1] ?? `no digest line in:\n${out}`;
    const inspect = JSON.parse(await skopeo(['inspect', '--tls-verify=false', ...(creds ? ['--creds', creds] : []), `docker://${ref}`])) as { Digest: string };
    return { printed, remote: inspect.Digest };
  }

  it('pushes from the page to a registry that sends CORS headers (skopeo reads what it wrote)', async () => {
    screenshotOnFailure(page, 'registry-push');
    await docker(page, 'docker pull busybox', 90_000);
    expect(await docker(page, `docker tag busybox ${cors.host}/team/mine:1`)).toBe('');
    const out = await docker(page, `docker push ${cors.host}/team/mine:1`, 90_000);
    expect(out).toContain(`The push refers to repository [${cors.host}/team/mine]`);
    expect(out).toMatch(/^[0-9a-f]{12}: Pushed$/m);
    const d = await pushedDigest(out, `${cors.host}/team/mine:1`);
    expect(d.remote).toBe(d.printed);
  }, 180_000);

  it.skipIf(!HAVE_NGINX)('logs in, pushes and pulls through the shipped nginx front of a registry with auth', async () => {
    screenshotOnFailure(page, 'registry-front');
    const front = await startCorsFront(root, authed);
    try {
      const ref = `${front.host}/team/secret:1`;
      const login = await docker(page, `docker login -u erin -p pw ${front.host}`);
      expect(login).toMatch(/^Login Succeeded$/m);
      await docker(page, 'docker pull busybox', 90_000);
      await docker(page, `docker tag busybox ${ref}`);
      const out = await docker(page, `docker push ${ref}`, 90_000);
      expect(out).toMatch(/^[0-9a-f]{12}: Pushed$/m);
      const d = await pushedDigest(out, ref, 'erin:pw');
      expect(d.remote).toBe(d.printed);
      // back from the registry: the page's copy is gone first
      await docker(page, `docker rmi ${ref}`);
      const pull = await docker(page, `docker pull ${ref}`, 90_000);
      expect(pull).toContain(`Status: Downloaded newer image for ${ref}`);
      expect(pull).toContain(`Digest: ${d.printed}`);
      // the login was for this session only; after logout the registry refuses
      expect(await docker(page, `docker logout ${front.host}`)).toContain(`Removing login credentials for ${front.host}`);
      await docker(page, `docker rmi ${ref}`);
      const denied = await docker(page, `docker pull ${ref}`, 60_000);
      expect(denied).toMatch(/Error response from daemon: .*(unauthorized|no basic auth credentials|docker login)/);
      expect(denied).not.toContain('Downloaded newer image');
    } finally {
      await front.stop();
    }
  }, 240_000);
});
