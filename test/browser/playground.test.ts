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

  it('starts with a project in the files panel and builds it: docker build -t hello . then runs the image', async () => {
    screenshotOnFailure(page, 'playground-files-build');
    for (const f of ['Dockerfile', 'hello.sh', '.dockerignore', 'notes.md']) await page.locator(`#files-list li[data-file="${f}"]`).waitFor();
    // the Dockerfile is open in the editor
    expect(await page.locator('#file-text').inputValue()).toMatch(/^FROM busybox\n/);
    await freshPrompt(page);
    const built = await docker(page, 'docker build -t hello .', 120_000);
    expect(built).toMatch(/#\d+ \[2\/4\] WORKDIR \/app/);
    expect(built).toContain('naming to docker.io/library/hello:latest done');
    expect(await docker(page, 'docker run --rm hello')).toMatch(/^Hello from an image built in this tab!\nbuilt on i686 at \d\d:\d\d$/m);
    // an edit in the panel is in the next build: only the steps from its COPY on run again
    await page.locator('#files-list li[data-file="hello.sh"] .file-name').click();
    const text = page.locator('#file-text');
    await text.press('Control+End');
    await text.pressSequentially('echo "edited in the panel"\n');
    await freshPrompt(page);
    const rebuilt = await docker(page, 'docker build -t hello .', 120_000);
    expect(rebuilt).toMatch(/#\d+ \[2\/4\] WORKDIR \/app\n#\d+ CACHED/);
    expect(rebuilt).not.toMatch(/\[3\/4\] COPY hello.sh .\n#\d+ CACHED/);
    expect(await docker(page, 'docker run --rm hello')).toMatch(/^edited in the panel$/m);
  }, 300_000);

  it('builds with -f another Dockerfile of the panel, leaving out what .dockerignore lists', async () => {
    screenshotOnFailure(page, 'playground-files-f');
    // made with the keyboard alone: the name field, Enter, then the editor has the focus
    await page.locator('#new-file-name').focus();
    await page.keyboard.type('other/Dockerfile');
    await page.keyboard.press('Enter');
    await page.locator('#files-list li[data-file="other/Dockerfile"]').waitFor();
    await page.waitForFunction(() => document.activeElement?.id === 'file-text');
    await page.keyboard.type('FROM busybox\nCOPY . /ctx\nCMD ["ls", "-A", "/ctx"]\n');
    await freshPrompt(page);
    const built = await docker(page, 'docker build -f other/Dockerfile -t ctx .', 120_000);
    expect(built).toContain('naming to docker.io/library/ctx:latest done');
    const listed = (await docker(page, 'docker run --rm ctx')).trim().split('\n');
    expect(listed).toEqual(['.dockerignore', 'Dockerfile', 'hello.sh', 'other']); // notes.md is *.md: ignored
    // bad input: a name out of the project, in the panel and at the prompt
    await page.locator('#new-file-name').fill('../x');
    await page.locator('#new-file-name').press('Enter');
    await waitForMatch(async () => (await page.locator('#files-message').textContent()) ?? '', /^Forbidden path outside the project: \.\.\/x$/);
    await freshPrompt(page);
    expect(await docker(page, 'docker build -t nope ..')).toMatch(/^ERROR: failed to solve: Forbidden path outside the project: \.\.$/m);
  }, 300_000);

  it('copies with docker cp between containers and the files panel', async () => {
    screenshotOnFailure(page, 'playground-files-cp');
    await freshPrompt(page);
    // out of a stopped container: the file lands in the panel
    await docker(page, 'docker run --name cp-src busybox sh -c "echo made in a container > /made.txt"');
    await docker(page, 'docker cp cp-src:/made.txt ./made.txt');
    await docker(page, 'docker cp cp-src:/etc ./etc-copy');
    await page.locator('#files-list li[data-file="made.txt"]').waitFor();
    await page.locator('#files-list li[data-file="etc-copy/passwd"]').waitFor();
    await page.locator('#files-list li[data-file="made.txt"] .file-name').click();
    expect(await page.locator('#file-text').inputValue()).toBe('made in a container\n');
    // and in: the panel's file in a running container
    await freshPrompt(page);
    await docker(page, 'docker run -d --name cp-dst busybox sleep 600');
    await docker(page, 'docker cp ./hello.sh cp-dst:/tmp/');
    expect(await docker(page, 'docker exec cp-dst cat /tmp/hello.sh')).toMatch(/^echo "Hello from an image built in this tab!"$/m);
    // bad input, in docker's words
    expect(await docker(page, 'docker cp cp-src:/made.txt ../x')).toMatch(/Forbidden path outside the project: \.\.\/x/);
    expect(await docker(page, 'docker cp cp-src:/nope ./nope')).toMatch(/Error response from daemon: Could not find the file \/nope in container cp-src/);
    expect(await docker(page, 'docker cp ./missing.txt cp-dst:/tmp/')).toMatch(/^Error: lstat \.\/missing.txt: no such file or directory$/m);
    // into a stopped container too, as Docker allows: seen by docker diff and the next start
    expect(await docker(page, 'docker cp ./hello.sh cp-src:/tmp/')).toBe('');
    expect(await docker(page, 'docker diff cp-src')).toMatch(/^A \/tmp\/hello.sh$/m);
    expect(await docker(page, 'docker cp ./hello.sh cp-src:/missing/hello.sh')).toMatch(/^Error response from daemon: Could not find the file \/missing in container cp-src$/m);
    await docker(page, 'docker rm -f cp-src cp-dst');
  }, 180_000);

  it('adds files from the computer with Upload…, which --env-file and load -i then read', async () => {
    screenshotOnFailure(page, 'playground-files-upload');
    await page.locator('#files-upload-input').setInputFiles({ name: 'vars.env', mimeType: 'text/plain', buffer: Buffer.from('GREETING=uploaded\n') });
    await page.locator('#files-list li[data-file="vars.env"]').waitFor();
    expect(await page.locator('#files-message').textContent()).toBe('Added vars.env.');
    await freshPrompt(page);
    expect(await docker(page, "docker run --rm --env-file vars.env busybox sh -c 'echo $GREETING'")).toMatch(/^uploaded$/m);
    // a name the panel does not hold: docker's words, and no file chooser left waiting
    expect(await docker(page, 'docker load -i missing.tar')).toMatch(/open missing.tar: no such file or directory/);
  }, 120_000);

  it('keeps an edited file of the panel across a reload', async () => {
    screenshotOnFailure(page, 'playground-files-reload');
    await page.locator('#new-file-name').fill('kept.txt');
    await page.locator('#new-file-name').press('Enter');
    await page.locator('#file-text').pressSequentially('typed before the reload');
    await page.locator('#files-save-state', { hasText: /^Saved$/ }).waitFor();
    // a rename, then the reload
    await page.locator('#files-list li[data-file="kept.txt"]').getByRole('button', { name: 'Rename' }).click();
    await page.keyboard.press('Control+A');
    await page.keyboard.type('dir/kept.txt\n');
    await page.locator('#files-list li[data-file="dir/kept.txt"]').waitFor();
    await page.locator('#files-save-state', { hasText: /^Saved$/ }).waitFor();
    await page.reload();
    await page.locator('#files-list li[data-file="dir/kept.txt"] .file-name').click();
    expect(await page.locator('#file-text').inputValue()).toBe('typed before the reload');
    expect(await page.locator('#files-list li[data-file="kept.txt"]').count()).toBe(0);
    // deleting asks once more, and sticks
    await page.locator('#files-list li[data-file="dir/kept.txt"]').getByRole('button', { name: 'Delete' }).click();
    await page.locator('#files-list li[data-file="dir/kept.txt"]').getByRole('button', { name: 'Delete' }).click();
    await page.locator('#files-list li[data-file="dir/kept.txt"]').waitFor({ state: 'detached' });
    await page.locator('#files-save-state', { hasText: /^Saved$/ }).waitFor();
    await page.reload();
    await page.locator('#files-list li[data-file="Dockerfile"]').waitFor();
    expect(await page.locator('#files-list li[data-file="dir/kept.txt"]').count()).toBe(0);
    await waitReady(page);
    await waitForScreen(page, AT_PROMPT);
  }, 180_000);

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
