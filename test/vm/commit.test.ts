// docker diff and docker commit against the real guest: the writable layer
// crosses as an OCI layer tar (container.diff), whiteouts included, and the
// committed image runs, has its history, saves, and reads back in umoci.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDockyard } from '../../src/node/cli.js';
import { readLayer } from '../../src/common/store/layer.js';
import { dockerCli } from './docker-cli.js';
import { has } from '../fixtures/tools.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';

const root = inject('root');
const workerPath = inject('workerPath');

let d: Dockyard;
let tmp: string;
const docker = dockerCli(() => d);

beforeAll(async () => {
  d = await startDockyard(root, workerPath);
  tmp = mkdtempSync(join(tmpdir(), 'dockyard-commit-'));
}, 120_000);

afterAll(async () => {
  await d?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('docker diff', () => {
  it('lists A/C/D as docker prints them, parents first', async () => {
    const r = await docker(`run --name df busybox sh -c "echo hi > /tmp/new; rm /bin/ls; echo x >> /etc/passwd; mkdir -p /srv/a/b; rm -rf /home; mkdir /home"`);
    expect(r.status).toBe(0);
    const diff = await docker('diff df');
    expect(diff.err).toBe('');
    expect(diff.status).toBe(0);
    const lines = diff.out.trimEnd().split('\n');
    expect(lines).toContain('C /bin');
    expect(lines).toContain('D /bin/ls');
    expect(lines).toContain('C /etc');
    expect(lines).toContain('C /etc/passwd');
    expect(lines).toContain('A /srv');
    expect(lines).toContain('A /srv/a');
    expect(lines).toContain('A /srv/a/b');
    expect(lines).toContain('A /tmp/new');
    // rm -rf + mkdir: an opaque directory that was below
    expect(lines).toContain('D /home');
    expect(lines.indexOf('C /bin')).toBeLessThan(lines.indexOf('D /bin/ls'));
  });

  it("lists nothing for a container that changed nothing: the runtime's mount points (/dev, /proc, /sys, /etc/hosts, …) are not its change", async () => {
    expect((await docker('run --name quiet busybox true')).status).toBe(0);
    const diff = await docker('diff quiet');
    expect(diff).toEqual({ status: 0, out: '', err: '' });
    expect((await docker('rm quiet')).status).toBe(0);
  });

  it('says No such container for an unknown one', async () => {
    const r = await docker('diff nosuch');
    expect(r.status).toBe(1);
    expect(r.err).toBe('Error response from daemon: No such container: nosuch\n');
  });

  it('streams the layer as an OCI tar with a whiteout for the deletion', async () => {
    const { tar } = await d.containers.layer('df');
    const entries = readLayer(tar);
    const names = entries.map((e) => e.path);
    expect(names).toContain('bin/.wh.ls');
    expect(names).toContain('home/.wh..wh..opq');
    const passwd = entries.find((e) => e.path === 'etc/passwd')!;
    expect(passwd.kind).toBe('file');
    expect(new TextDecoder().decode(tar.subarray(passwd.data, passwd.data + passwd.size))).toMatch(/x\n$/);
  });
});

describe('docker commit', () => {
  it('makes an image that runs and shows the change, deletions included', async () => {
    const c = await docker(`commit -m "made by a test" -c "ENV GREETING=hello" -c 'CMD ["cat", "/tmp/new"]' df committed:v1`);
    expect(c.err).toBe('');
    expect(c.status).toBe(0);
    expect(c.out).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const run = await docker('run --rm committed:v1');
    expect(run.out).toBe('hi\n');
    const gone = await docker('run --rm committed:v1 sh -c "ls /bin/ls; echo $GREETING; tail -1 /etc/passwd"');
    expect(gone.out).toBe('hello\nx\n');
    expect(gone.err).toMatch(/ls: \/bin\/ls: No such file or directory/);
    const imgs = await docker('images committed');
    expect(imgs.out).toMatch(/^committed\s+v1\s+[0-9a-f]{12}\s/m);
  });

  it('adds a history entry with the message', async () => {
    const h = await docker('history --no-trunc committed:v1');
    expect(h.status).toBe(0);
    const lines = h.out.trimEnd().split('\n');
    expect(lines[1]).toMatch(/^sha256:[0-9a-f]{64}\s+.*made by a test$/);
    expect(lines[1]).toContain('sh -c echo hi > /tmp/new');
  });

  it('commits without a name: a dangling image', async () => {
    const r = await docker('commit df');
    expect(r.status).toBe(0);
    const id = r.out.trim().slice(7, 19);
    expect((await docker('images')).out).toMatch(new RegExp(`^<none>\\s+<none>\\s+${id}\\s`, 'm'));
  });

  it('refuses a change that is not a config change', async () => {
    const r = await docker('commit -c "RUN true" df x:y');
    expect(r.status).toBe(1);
    expect(r.err).toBe('Error response from daemon: run is not a valid change command\n');
  });

  it.skipIf(!has('umoci') || !has('skopeo'))('saves an archive umoci unpacks with the change applied', async () => {
    const archive = join(tmp, 'committed.tar');
    expect((await docker(`save -o ${archive} committed:v1`)).status).toBe(0);
    execFileSync('skopeo', ['copy', '--quiet', `oci-archive:${archive}`, `oci:${join(tmp, 'oci')}:v1`]);
    execFileSync('umoci', ['unpack', '--image', `${join(tmp, 'oci')}:v1`, join(tmp, 'bundle')]);
    const rootfs = join(tmp, 'bundle', 'rootfs');
    expect(readFileSync(join(rootfs, 'tmp/new'), 'utf8')).toBe('hi\n');
    expect(existsSync(join(rootfs, 'bin/ls'))).toBe(false);
    expect(existsSync(join(rootfs, 'bin/sh'))).toBe(true);
    expect(readdirSync(join(rootfs, 'home'))).toEqual([]);
    expect(statSync(join(rootfs, 'srv/a/b')).isDirectory()).toBe(true);
  });
});
