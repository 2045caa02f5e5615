// docker pull / run from a real registry (Debian's docker-registry on
// 127.0.0.1, seeded by skopeo), through the docker interpreter into the real
// guest; and the dockyard CLI process doing the same.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDockyard } from '../../src/node/cli.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';
import { bundledLayout, HAVE_REGISTRY, multiArchLayout, skopeoCopy, startRegistry, type LocalRegistry } from '../fixtures/registry.js';
import { dockerCli } from './docker-cli.js';
import { dockyardProcess, freshHome } from './dockyard-process.js';

const root = inject('root');
const workerPath = inject('workerPath');

let d: Dockyard;
let reg: LocalRegistry;
let basic: LocalRegistry;
const user = { name: 'dave', password: 'cli-pw' };
const docker = dockerCli(() => d);

describe.skipIf(!HAVE_REGISTRY)('a real registry', () => {
  beforeAll(async () => {
    [reg, basic] = await Promise.all([startRegistry(), startRegistry({ user })]);
    await skopeoCopy(`oci:${bundledLayout(root, 'busybox')}:latest`, `docker://${reg.host}/team/tool:1`);
    await skopeoCopy(`oci:${multiArchLayout(root, ['linux/amd64', 'linux/arm64'], 'lts')}:lts`, `docker://${reg.host}/jenkins/jenkins:lts`, { all: true });
    d = await startDockyard(root, workerPath, { home: freshHome() });
  }, 120_000);

  afterAll(async () => {
    await d?.close();
    await Promise.all([reg?.stop(), basic?.stop()]);
  });

  it('pulls an image from it, printing what docker prints, and runs it', async () => {
    const r = await docker(`pull ${reg.host}/team/tool:1`);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    const name = `${reg.host}/team/tool:1`;
    expect(r.out).toMatch(
      new RegExp(
        `^1: Pulling from team/tool\\n([0-9a-f]{12}): Pulling fs layer\\n\\1: Verifying Checksum\\n\\1: Download complete\\n\\1: Pull complete\\nDigest: sha256:[0-9a-f]{64}\\nStatus: Downloaded newer image for ${name.replace(/\./g, '\\.')}\\n${name.replace(/\./g, '\\.')}\\n$`,
      ),
    );
    const run = await docker(`run --rm ${name} echo from-the-registry`);
    expect(run).toEqual({ status: 0, out: 'from-the-registry\n', err: '' });
    expect((await docker('images')).out).toContain(`${reg.host}/team/tool`);
  });

  it('says an amd64/arm64 image has no linux/386 manifest, and what runs here', async () => {
    const r = await docker(`pull ${reg.host}/jenkins/jenkins:lts`);
    expect(r.status).toBe(1);
    // the bundled images, then the catalog's (debian, python, nginx, redis, postgres) once this
    // machine has built it (test/vm/catalog.test.ts may have, by now)
    expect(r.err).toMatch(
      /^Error response from daemon: no matching manifest for linux\/386 in the manifest list entries: the image is built for linux\/amd64, linux\/arm64; Dockyard's emulated CPU runs linux\/386 images only \(these run here: busybox, hello-world(, debian, python(, nginx, redis, postgres)?)?\)\n$/,
    );
  });

  it('still finds busybox in the bundled registry first, without the network', async () => {
    const r = await docker('pull busybox');
    expect(r.status).toBe(0);
    expect(r.out).toContain('Status: Downloaded newer image for busybox:latest');
  });

  it('pushes what docker commit made, which skopeo then copies out whole', async () => {
    expect((await docker(`run --name made busybox sh -c "echo committed > /made.txt"`)).status).toBe(0);
    expect((await docker(`commit made ${reg.host}/team/made:1`)).status).toBe(0);
    const r = await docker(`push ${reg.host}/team/made:1`);
    expect(r.err).toBe('');
    expect(r.out).toMatch(new RegExp(`^The push refers to repository \\[${reg.host.replace(/\./g, '\\.')}/team/made\\]\n(?:[0-9a-f]{12}: (?:Preparing|Pushed|Layer already exists)\n)+1: digest: sha256:[0-9a-f]{64} size: \\d+\n$`));
    const out = mkdtempSync(join(tmpdir(), 'dockyard-made-'));
    await skopeoCopy(`docker://${reg.host}/team/made:1`, `oci:${out}:1`);
    await docker('rm made');
  });

  it('the CLI process: pulls from the registry, then runs from its store', async () => {
    const home = freshHome();
    const pulled = await dockyardProcess(root, ['pull', `${reg.host}/team/tool:1`], '', home);
    // only the one-time note that pulled images are kept
    expect(pulled.stderr).toMatch(/^(\nNote: Dockyard keeps pulled images in [^]*)?$/);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout).toContain(`Status: Downloaded newer image for ${reg.host}/team/tool:1`);
    const ran = await dockyardProcess(root, ['run', '--rm', `${reg.host}/team/tool:1`, 'echo', 'ok'], '', home);
    expect(ran).toMatchObject({ code: 0, stdout: 'ok\n' });
    const gone = await dockyardProcess(root, ['pull', `${reg.host}/no/such:1`], '', home);
    expect(gone).toMatchObject({ code: 1, stderr: `Error response from daemon: manifest for ${reg.host}/no/such:1 not found: manifest unknown\n` });
  });

  it('the CLI process: login (password on stdin, kept in docker config format), push after tag, logout', async () => {
    const home = freshHome();
    const refused = await dockyardProcess(root, ['login', '-u', user.name, '--password-stdin', basic.host], 'wrong\n', home);
    expect(refused).toMatchObject({ code: 1, stderr: `Error response from daemon: Get "http://${basic.host}/v2/": unauthorized: authentication required\n` });
    const ok = await dockyardProcess(root, ['login', '-u', user.name, '--password-stdin', basic.host], `${user.password}\n`, home);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('Login Succeeded\n');
    expect(ok.stderr).toContain(`WARNING! Your password will be stored unencrypted in ${join(home, 'config.json')}.`);
    const cfg = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(cfg.auths[basic.host]!.auth).toBe(Buffer.from(`${user.name}:${user.password}`).toString('base64'));
    const script = ['pull -q busybox', `tag busybox ${basic.host}/dave/box:v1`, `push ${basic.host}/dave/box:v1`, `logout ${basic.host}`, `logout ${basic.host}`].join('\n');
    const r = await dockyardProcess(root, [], `${script}\n`, home);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const digest = /^v1: digest: (sha256:[0-9a-f]{64}) size: \d+$/m.exec(r.stdout)?.[1];
    expect(r.stdout).toMatch(
      new RegExp(
        `^docker\\.io/library/busybox:latest\\nThe push refers to repository \\[${basic.host.replace(/\./g, '\\.')}/dave/box\\]\\n([0-9a-f]{12}): Preparing\\n\\1: Pushed\\nv1: digest: sha256:[0-9a-f]{64} size: \\d+\\nRemoving login credentials for ${basic.host.replace(/\./g, '\\.')}\\nNot logged in to ${basic.host.replace(/\./g, '\\.')}\\n$`,
      ),
    );
    const seen = JSON.parse(
      execFileSync('skopeo', ['inspect', '--tls-verify=false', '--creds', `${user.name}:${user.password}`, `docker://${basic.host}/dave/box:v1`]).toString(),
    ) as { Digest: string };
    expect(seen.Digest).toBe(digest);
    // logged out: the registry refuses again
    const after = await dockyardProcess(root, ['pull', `${basic.host}/dave/box:v1`], '', home);
    expect(after).toMatchObject({ code: 1, stderr: `Error response from daemon: pull access denied for ${basic.host}/dave/box, repository does not exist or may require 'docker login'\n` });
  });

  it('the CLI process: Ctrl-C during a pull stops it, exits 130, and keeps nothing of the image', async () => {
    // a registry whose one layer trickles in, so the pull is surely mid-download
    const layout = bundledLayout(root, 'busybox');
    const idx = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const blob = (d: string) => readFileSync(join(layout, 'blobs', 'sha256', d.replace('sha256:', '')));
    const manifestBytes = blob(idx.manifests[0]!.digest);
    const layerDigest = (JSON.parse(manifestBytes.toString()) as { layers: Array<{ digest: string }> }).layers[0]!.digest;
    const slow = createServer((req, res) => {
      const url = req.url ?? '';
      if (url === '/v2/') return void res.end('{}');
      if (url.includes('/manifests/')) {
        res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
        return void res.end(manifestBytes);
      }
      const bytes = blob(url.split('/').pop()!);
      if (!url.endsWith(layerDigest)) return void res.end(bytes);
      res.writeHead(200, { 'Content-Length': String(bytes.length) });
      let at = 0;
      const t = setInterval(() => {
        if (res.destroyed || at >= bytes.length) return clearInterval(t);
        res.write(bytes.subarray(at, (at += 1024)));
      }, 50);
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const host = `127.0.0.1:${(slow.address() as { port: number }).port}`;
    const home = freshHome();
    try {
      const p = spawn(process.execPath, [join(root, 'bin/dockyard.mjs'), 'pull', `${host}/slow/tool:1`], { cwd: root, env: { ...process.env, DOCKYARD_HOME: home } });
      let out = '';
      p.stdout.on('data', (b: Buffer) => (out += b));
      const code = new Promise<number | null>((r) => p.on('close', (c) => r(c)));
      const deadline = Date.now() + 60_000;
      while (!out.includes('Pulling fs layer') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain('Pulling fs layer');
      p.kill('SIGINT');
      expect(await code).toBe(130);
      const after = await dockyardProcess(root, ['images', '-q'], '', home);
      expect(after).toMatchObject({ code: 0, stdout: '' });
      // no file of the store holds the layer (or anything else of the image)
      const stored = execFileSync('find', [home, '-type', 'f']).toString();
      expect(stored).not.toContain(layerDigest.slice(7));
      expect(stored).not.toContain(idx.manifests[0]!.digest.slice(7));
    } finally {
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    }
  });

  it('the CLI on a TTY: docker login prompts for the username and, unechoed, the password', async () => {
    const home = freshHome();
    const p = spawn('script', ['-qfec', `${process.execPath} ${join(root, 'bin/dockyard.mjs')}`, '/dev/null'], {
      cwd: root,
      env: { ...process.env, COLUMNS: '100', LINES: '30', DOCKYARD_HOME: home },
    });
    let screen = '';
    p.stdout.on('data', (d: Buffer) => (screen += d));
    const closed = new Promise<void>((r) => p.on('close', () => r()));
    const steps: Array<[RegExp, string]> = [
      [/docker\$ /, `login ${basic.host}\r`],
      [/Username: /, `${user.name}\r`],
      [/Password: /, `${user.password}\r`],
      [/Login Succeeded\r?\n[^]*docker\$ /, '\x04'],
    ];
    let from = 0;
    try {
      for (const [want, type] of steps) {
        const deadline = Date.now() + 60_000;
        while (!want.test(screen.slice(from)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        if (!want.test(screen.slice(from))) throw new Error(`never saw ${want} in:\n${screen}`);
        from = screen.length;
        p.stdin.write(type);
      }
      await Promise.race([closed, new Promise((r) => setTimeout(r, 20_000))]);
    } finally {
      p.kill();
    }
    expect(screen).toContain(`Username: ${user.name}`);
    expect(screen).not.toContain(user.password);
    const cfg = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(cfg.auths[basic.host]!.auth).toBe(Buffer.from(`${user.name}:${user.password}`).toString('base64'));
  }, 120_000);
});
