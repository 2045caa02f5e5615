// test/fixtures/debian-image.ts, checked with tools that are not ours:
// skopeo reads the archive as an OCI archive, umoci applies its layers (as
// root), and the unpacked rootfs must show what each layer did. Skips
// without mmdebstrap, skopeo or umoci, or when not root (the build needs
// root; `.ci/run` installs the tools). The first run builds the image
// (about a minute, needs the Debian mirror); later runs take it from the
// cache in node_modules/.cache/dockyard/debian-image/.
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { debianImage, EDITS, IMAGE_NAME, IMAGE_TAG, type DebianImage } from '../fixtures/debian-image.js';
import { has } from '../fixtures/tools.js';

const root = typeof process.getuid === 'function' && process.getuid() === 0;
const missing = ['mmdebstrap', 'skopeo', 'umoci', 'tar', 'gzip'].filter((t) => !has(t));
const skip = missing.length > 0 || !root;

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

describe.skipIf(skip)(`debian-image fixture${skip ? ` (skipped: ${root ? `no ${missing.join(', ')}` : 'not root'})` : ''}`, () => {
  let img: DebianImage;
  let tmp: string;
  let rootfs: string;
  const at = (p: string) => join(rootfs, p);

  beforeAll(async () => {
    img = await debianImage();
    tmp = mkdtempSync(join(tmpdir(), 'debian-image-test-'));
    run('skopeo', ['copy', '--quiet', `oci-archive:${img.archive}`, `oci:${join(tmp, 'oci')}:${IMAGE_TAG}`]);
    run('umoci', ['unpack', '--image', `${join(tmp, 'oci')}:${IMAGE_TAG}`, join(tmp, 'bundle')]);
    rootfs = join(tmp, 'bundle', 'rootfs');
  }, 600_000);
  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('is an OCI-layout archive as docker save writes it, named dockyard-debian:test', () => {
    const names = run('tar', ['-tf', img.archive]).split('\n').filter(Boolean);
    expect(names).toContain('oci-layout');
    expect(names).toContain('index.json');
    expect(names).toContain('manifest.json');
    expect(names.filter((n) => /^blobs\/sha256\/[0-9a-f]{64}$/.test(n))).toHaveLength(img.layers + 2);
    const index = JSON.parse(run('tar', ['-xOf', img.archive, 'index.json'])) as {
      manifests: Array<{ digest: string; annotations: Record<string, string> }>;
    };
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]?.digest).toBe(img.digest);
    expect(index.manifests[0]?.annotations).toEqual({
      'io.containerd.image.name': 'docker.io/library/dockyard-debian:test',
      'org.opencontainers.image.ref.name': 'test',
    });
    expect(img.name).toBe(`${IMAGE_NAME}:${IMAGE_TAG}`);
  });

  it('skopeo reads a linux/386 image of 3 layers with the sizes reported', () => {
    const info = JSON.parse(run('skopeo', ['inspect', `oci-archive:${img.archive}`])) as {
      Architecture: string;
      Os: string;
      Layers: string[];
      Env: string[];
    };
    expect(info.Architecture).toBe('386');
    expect(info.Os).toBe('linux');
    expect(info.Layers).toHaveLength(3);
    expect(img.layers).toBe(3);
    const manifest = JSON.parse(run('skopeo', ['inspect', '--raw', `oci-archive:${img.archive}`])) as { layers: Array<{ digest: string; size: number }> };
    expect(manifest.layers.map((l) => l.digest)).toEqual(info.Layers);
    expect(manifest.layers.map((l) => l.size)).toEqual(img.layerSizes.map((l) => l.gzip));
    expect(img.gzipBytes).toBe(img.layerSizes.reduce((s, l) => s + l.gzip, 0));
    expect(img.rawBytes).toBeGreaterThan(50e6); // Debian-sized
    expect(info.Env.some((e) => e.startsWith('PATH='))).toBe(true);
    const config = JSON.parse(run('skopeo', ['inspect', '--config', `oci-archive:${img.archive}`])) as {
      rootfs: { diff_ids: string[] };
      history: unknown[];
      config: { Cmd: string[] };
    };
    expect(config.rootfs.diff_ids).toHaveLength(3);
    expect(config.history).toHaveLength(3);
    expect(config.config.Cmd).toEqual(['bash']);
  });

  it('layer 1: a Debian base with sh, coreutils, passwd and group, a setuid binary and hard links', () => {
    expect(readlinkSync(at('bin'))).toBe('usr/bin'); // merged /usr
    expect(readlinkSync(at('usr/bin/sh'))).toBe('dash');
    expect(lstatSync(at('usr/bin/ls')).isFile()).toBe(true);
    expect(readFileSync(at('etc/passwd'), 'utf8')).toMatch(/^root:[^:]*:0:0:root:\/root:\/bin\/bash$/m);
    expect(readFileSync(at('etc/group'), 'utf8')).toMatch(/^root:[^:]*:0:/m);
    const passwd = lstatSync(at(EDITS.baseSetuid.slice(1)));
    expect(passwd.mode & 0o7777).toBe(0o4755);
    expect(passwd.uid).toBe(0);
    const [a, b] = EDITS.baseHardLinks.map((p) => lstatSync(at(p.slice(1))));
    expect(a?.ino).toBe(b?.ino);
    expect(a?.nlink).toBeGreaterThanOrEqual(2);
  });

  it('layer 2: python3 -> python3.11, an i386 ELF', () => {
    expect(readlinkSync(at(EDITS.python.path.slice(1)))).toBe(EDITS.python.target);
    const elf = readFileSync(at(`usr/bin/${EDITS.python.target}`)).subarray(0, 20);
    expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(elf[4]).toBe(1); // ELFCLASS32
    expect(elf.readUInt16LE(18)).toBe(3); // EM_386
    expect(lstatSync(at('usr/lib/python3.11/os.py')).isFile()).toBe(true);
  });

  it('layer 3: the whiteout, the opaque dir, the hard link pair and the setuid file are applied', () => {
    expect(() => lstatSync(at(EDITS.whiteout.slice(1)))).toThrow(/ENOENT/);
    expect(readdirSync(at('etc')).filter((n) => n.startsWith('.wh.'))).toEqual([]);
    expect(readdirSync(at(EDITS.opaqueDir.slice(1))).sort()).toEqual([...EDITS.opaqueEntries]);
    const [a, b] = EDITS.hardLinks.map((p) => lstatSync(at(p.slice(1))));
    expect(a?.isFile()).toBe(true);
    expect(a?.ino).toBe(b?.ino);
    const s = lstatSync(at(EDITS.setuid.slice(1)));
    expect(s.mode & 0o7777).toBe(0o4755);
    expect(s.uid).toBe(0);
  });

  it('a second call comes from the cache in well under a second', async () => {
    const t0 = performance.now();
    const again = await debianImage();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(again).toEqual(img);
  });
});
