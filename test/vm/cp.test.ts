// docker cp both ways, docker export and docker import against the real
// guest: round trips through the host's files and tar streams.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDockyard } from '../../src/node/cli.js';
import { readLayer } from '../../src/common/store/layer.js';
import { TarBuilder } from '../../src/common/store/layer-write.js';
import { copyInto } from '../../src/runtime/commit.js';
import { dockerCli } from './docker-cli.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';

const root = inject('root');
const workerPath = inject('workerPath');

let d: Dockyard;
let tmp: string;
const docker = dockerCli(() => d);

beforeAll(async () => {
  d = await startDockyard(root, workerPath);
  tmp = mkdtempSync(join(tmpdir(), 'dockyard-cp-'));
}, 120_000);

afterAll(async () => {
  await d?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('docker cp', () => {
  it('copies a file and a directory out of a stopped container, with modes and links', async () => {
    const r = await docker(`run --name src busybox sh -c "mkdir -p /data/sub && echo one > /data/a && echo two > /data/sub/b && chmod 600 /data/a && ln -s a /data/link"`);
    expect(r.status).toBe(0);
    expect((await docker(`cp src:/data/a ${join(tmp, 'a.txt')}`)).status).toBe(0);
    expect(readFileSync(join(tmp, 'a.txt'), 'utf8')).toBe('one\n');
    expect(statSync(join(tmp, 'a.txt')).mode & 0o777).toBe(0o600);
    // into an existing directory: under the source's name
    mkdirSync(join(tmp, 'into'));
    expect((await docker(`cp src:/data ${join(tmp, 'into')}`)).status).toBe(0);
    expect(readFileSync(join(tmp, 'into/data/sub/b'), 'utf8')).toBe('two\n');
    expect(readlinkSync(join(tmp, 'into/data/link'))).toBe('a');
    // a new name: the directory's contents under it
    expect((await docker(`cp src:/data ${join(tmp, 'renamed')}`)).status).toBe(0);
    expect(readFileSync(join(tmp, 'renamed/a'), 'utf8')).toBe('one\n');
    // from the image's layers too (not in the writable layer)
    expect((await docker(`cp src:/etc/passwd ${join(tmp, 'passwd')}`)).status).toBe(0);
    expect(readFileSync(join(tmp, 'passwd'), 'utf8')).toMatch(/^root:x:0:0:/);
  });

  it('writes a tar stream with -', async () => {
    const res = await docker('cp src:/data/sub -');
    expect(res.status).toBe(0);
    // the capture is text: this tar is all ASCII
    const names = readLayer(new TextEncoder().encode(res.out)).map((e) => e.path);
    expect(names).toEqual(['sub', 'sub/b']);
  });

  it('says when the path is not there', async () => {
    const r = await docker(`cp src:/nope ${join(tmp, 'x')}`);
    expect(r.status).toBe(1);
    expect(r.err).toBe('Error response from daemon: Could not find the file /nope in container src\n');
  });

  it('copies host files into a running container', async () => {
    mkdirSync(join(tmp, 'up/inner'), { recursive: true });
    writeFileSync(join(tmp, 'up/inner/f.txt'), 'from the host\n');
    writeFileSync(join(tmp, 'single.txt'), 'single\n');
    expect((await docker('run -d --name dst busybox sleep 600')).status).toBe(0);
    expect((await docker(`cp ${join(tmp, 'up')} dst:/srv`)).status).toBe(0);
    expect((await docker(`cp ${join(tmp, 'single.txt')} dst:/tmp/renamed.txt`)).status).toBe(0);
    expect((await docker(`cp ${join(tmp, 'single.txt')} dst:/tmp/`)).status).toBe(0);
    const r = await docker('exec dst sh -c "cat /srv/inner/f.txt /tmp/renamed.txt /tmp/single.txt"');
    expect(r.out).toBe('from the host\nsingle\nsingle\n');
    // and back out: the round trip gives the same bytes
    expect((await docker(`cp dst:/srv/inner/f.txt ${join(tmp, 'back.txt')}`)).status).toBe(0);
    expect(readFileSync(join(tmp, 'back.txt'), 'utf8')).toBe('from the host\n');
    // a paused container takes files too, as Docker's does
    expect((await docker('pause dst')).status).toBe(0);
    expect((await docker(`cp ${join(tmp, 'single.txt')} dst:/tmp/paused.txt`)).status).toBe(0);
    expect((await docker('unpause dst')).status).toBe(0);
    expect((await docker('exec dst cat /tmp/paused.txt')).out).toBe('single\n');
    // a missing directory, in docker's words
    const missing = await docker(`cp ${join(tmp, 'single.txt')} dst:/nope/x.txt`);
    expect(missing.status).toBe(1);
    expect(missing.err).toBe('Error response from daemon: Could not find the file /nope in container dst\n');
  });

  it('copies into a running container whose image has no tar', async () => {
    expect((await docker('run --name notar busybox rm /bin/tar')).status).toBe(0);
    expect((await docker('commit notar no-tar')).status).toBe(0);
    expect((await docker('run -d --name nt no-tar sleep 600')).status).toBe(0);
    expect((await docker('exec nt tar --help')).status).not.toBe(0);
    expect((await docker(`cp ${join(tmp, 'up')} nt:/srv`)).status).toBe(0);
    expect((await docker('exec nt cat /srv/inner/f.txt')).out).toBe('from the host\n');
    expect((await docker('rm -f nt notar')).status).toBe(0);
  });

  it('copies into an exited container: docker diff and its next run see the files', async () => {
    // src exited; its own files stay as they were
    expect((await docker(`cp ${join(tmp, 'single.txt')} src:/tmp/`)).status).toBe(0);
    expect((await docker(`cp ${join(tmp, 'up')} src:/data/up-renamed`)).status).toBe(0);
    expect((await docker(`cp ${join(tmp, 'single.txt')} src:/data/sub/b`)).status).toBe(0); // over a file of its writable layer
    expect((await docker(`cp ${join(tmp, 'single.txt')} src:/etc/passwd`)).status).toBe(0); // over a file of its image
    const diff = (await docker('diff src')).out.split('\n');
    expect(diff).toEqual(expect.arrayContaining(['A /tmp/single.txt', 'A /data/up-renamed', 'A /data/up-renamed/inner/f.txt', 'C /etc/passwd']));
    expect((await docker('inspect -f {{.State.Status}} src')).out).toBe('exited\n');
    // and out again, through the same container
    expect((await docker(`cp src:/data/up-renamed/inner/f.txt ${join(tmp, 'again.txt')}`)).status).toBe(0);
    expect(readFileSync(join(tmp, 'again.txt'), 'utf8')).toBe('from the host\n');
    expect((await docker('commit src with-copies')).status).toBe(0);
    expect((await docker('run --rm with-copies cat /tmp/single.txt /data/sub/b /etc/passwd /data/up-renamed/inner/f.txt')).out).toBe('single\nsingle\nsingle\nfrom the host\n');
  });

  it('copies into a created container before its first start, and out of it', async () => {
    expect((await docker('create --name fresh busybox cat /in.txt /srv/inner/f.txt')).status).toBe(0);
    expect((await docker(`cp ${join(tmp, 'single.txt')} fresh:/in.txt`)).status).toBe(0);
    expect((await docker(`cp ${join(tmp, 'up')} fresh:/srv`)).status).toBe(0);
    expect((await docker(`cp fresh:/in.txt ${join(tmp, 'fresh-out.txt')}`)).status).toBe(0);
    expect(readFileSync(join(tmp, 'fresh-out.txt'), 'utf8')).toBe('single\n');
    const started = await docker('start -a fresh');
    expect(started.out).toBe('single\nfrom the host\n');
    // bad input, in docker's words: a directory not there, a container not there
    const missing = await docker(`cp ${join(tmp, 'single.txt')} fresh:/nope/x.txt`);
    expect(missing.status).toBe(1);
    expect(missing.err).toBe('Error response from daemon: Could not find the file /nope in container fresh\n');
    const slash = await docker(`cp ${join(tmp, 'single.txt')} fresh:/nope/`);
    expect(slash.err).toBe('Error response from daemon: Could not find the file /nope/ in container fresh\n');
    const none = await docker(`cp ${join(tmp, 'single.txt')} ghost:/tmp/`);
    expect(none.err).toBe('Error response from daemon: No such container: ghost\n');
  });
});

describe('docker cp of a hostile archive', () => {
  it('keeps what a tar names, through links or .., inside the container, running or not', async () => {
    const t = new TarBuilder();
    const item = { mode: 0o644, uid: 0, gid: 0, mtime: 1 };
    t.add({ ...item, path: 'evil', kind: 'symlink', link: '/' });
    t.add({ ...item, path: 'evil/escaped-through-link', kind: 'file', data: new TextEncoder().encode('x') });
    t.add({ ...item, path: 'up', kind: 'symlink', link: '../../../../..' });
    t.add({ ...item, path: 'up/escaped-through-dotdot-link', kind: 'file', data: new TextEncoder().encode('x') });
    t.add({ ...item, path: '../../../../escaped-dotdot', kind: 'file', data: new TextEncoder().encode('x') });
    const tar = t.finish();
    expect((await docker('run --name hostile-stopped busybox true')).status).toBe(0);
    expect((await docker('run -d --name hostile-running busybox sleep 600')).status).toBe(0);
    // a refusal is fine; what lands, lands inside: busybox tar strips a leading ../ and makes links leading out last (then refused: a directory is there)
    for (const c of ['hostile-stopped', 'hostile-running']) await copyInto(d.containers, c, '/tmp/', tar).catch(() => {});
    expect((await docker('exec hostile-running cat /tmp/escaped-dotdot')).out).toBe('x');
    // the VM's own tree (a bind of its /, which this sees) has none of them
    const vm = await docker('run --rm -v /:/vm busybox sh -c "ls -d /vm/mnt/host /vm/escaped* /vm/tmp/escaped* /vm/*/escaped* 2>/dev/null; true"');
    expect(vm.out).toBe('/vm/mnt/host\n');
    // and a fresh container of the same image neither
    expect((await docker('run --rm busybox sh -c "ls -d /escaped* /tmp/escaped* 2>/dev/null; true"')).out).toBe('');
    await docker('rm -f hostile-stopped hostile-running');
  });
});

describe('docker export and import', () => {
  it('exports the whole filesystem, which imports as a one-layer image that runs', async () => {
    const file = join(tmp, 'src.tar');
    expect((await docker(`export -o ${file} src`)).status).toBe(0);
    const entries = readLayer(new Uint8Array(readFileSync(file)));
    const names = entries.map((e) => e.path);
    expect(names).toContain('bin/sh');
    expect(names).toContain('data/sub/b');
    expect(names.some((n) => n.includes('.wh.'))).toBe(false);
    const imp = await docker(`import -m "from a test" -c 'CMD ["cat", "/data/a"]' ${file} imported:v1`);
    expect(imp.status).toBe(0);
    expect(imp.out).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect((await docker('run --rm imported:v1')).out).toBe('one\n');
    const img = (await d.images.find('imported:v1'))!;
    expect(img.layers.length).toBe(1);
    expect((await docker('history imported:v1')).out).toContain('from a test');
  });
});
