// The host-side layer applier (src/common/store/: layer.ts reads and checks a
// layer, rootfs.ts applies it onto its parent's tree), without a VM: the
// hostile corpus of the VM suite, Docker's layer semantics, a full store,
// and a seeded mutation fuzzer over real layers.
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MemoryBlobs, StoreFullError } from '../../src/common/store/blobs.js';
import { HostStore } from '../../src/common/store/host-store.js';
import { LayerError, readLayer } from '../../src/common/store/layer.js';
import { Rootfs, walkTree, type Node } from '../../src/common/store/rootfs.js';
import { SnapshotError } from '../../src/common/store/snapshots.js';
import { ImageStore } from '../../src/runtime/images.js';
import { buildTar, busyboxBase, hostileCases, ociArchive, type Entry } from '../vm/hostile-layers.js';

const root = new URL('../..', import.meta.url).pathname;
const digest = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const gunzip = async (gz: Uint8Array) => new Uint8Array(gunzipSync(gz));
const store = (limit?: number) => new HostStore(new MemoryBlobs(limit), gunzip);

function tree(...layers: Entry[][]): Rootfs {
  const t = new Rootfs();
  for (const l of layers) t.apply(readLayer(buildTar(l)), 'snapshots/x/layer.tar');
  return t;
}

function listing(t: Rootfs): string[] {
  const out: string[] = [];
  walkTree(t.root, (p, n) => p && out.push(`${p} ${n.kind} ${n.mode.toString(8)}${n.kind === 'symlink' ? ` -> ${n.target}` : ''}`));
  return out;
}

describe('the hostile corpus, against the host-side applier', () => {
  const base = busyboxBase(root);
  const baseTar = new Uint8Array(gunzipSync(base.blob));
  for (const c of hostileCases()) {
    it(`${c.name}: ${'refused' in c.expect ? 'refused' : 'applied, inside the tree'}`, async () => {
      const s = store();
      await s.snapshotApply({ key: base.diffId, diffId: base.diffId, layer: baseTar, gzip: false });
      const key = `sha256:${createHash('sha256').update(`${base.diffId} ${digest(c.layer)}`).digest('hex')}`;
      const r = await s.snapshotApply({ key, parent: base.diffId, diffId: digest(c.layer), layer: c.layer, gzip: false }).then(() => undefined, (e: unknown) => e);
      if ('refused' in c.expect) {
        expect(r).toBeInstanceOf(SnapshotError);
        expect((r as Error).message).toMatch(c.expect.refused);
        expect(await s.snapshotList()).toEqual([base.diffId]);
      } else {
        expect(r).toBeUndefined();
        // every name in the tree is one path component: nothing can name a place outside it
        walkTree((await s.snapshots.tree(key)).root, (p) => expect(p.split('/')).not.toContain('..'));
      }
    });
  }
});

describe("Docker's layer rules", () => {
  it('a whiteout removes a lower file, an opaque directory hides all the lower one held', () => {
    const t = tree(
      [{ name: 'etc/issue', data: 'x' }, { name: 'usr/share/doc/a', data: 'a' }, { name: 'usr/share/doc/sub/b', data: 'b' }],
      [{ name: 'etc/.wh.issue' }, { name: 'usr/share/doc/new', data: 'n' }, { name: 'usr/share/doc/.wh..wh..opq' }],
    );
    expect(listing(t)).toEqual(['etc dir 755', 'usr dir 755', 'usr/share dir 755', 'usr/share/doc dir 755', 'usr/share/doc/new file 644']);
  });

  it('an opaque directory hides a lower name even when the layer hard-links its file elsewhere', () => {
    const t = tree([{ name: 'd/a', data: 'a' }], [{ name: 'x', type: 'hardlink', link: 'd/a' }, { name: 'd/.wh..wh..opq' }]);
    expect(t.lookup('d/a')).toBeUndefined();
    expect(t.lookup('x')!.size).toBe(1);
  });

  it('hard links share one node; setuid, setgid and sticky bits survive', () => {
    const t = tree([{ name: 'bin/x', data: 'x', mode: 0o4755 }, { name: 'bin/y', type: 'hardlink', link: 'bin/x' }, { name: 't', type: 'dir', mode: 0o1777 }, { name: 'g', data: '', mode: 0o2755 }]);
    expect(t.lookup('bin/x')).toBe(t.lookup('bin/y'));
    expect([t.lookup('bin/x')!.mode, t.lookup('t')!.mode, t.lookup('g')!.mode]).toEqual([0o4755, 0o1777, 0o2755]);
  });

  it('a later layer replaces a lower directory with a file, and a symlink is never written through', () => {
    const t = tree([{ name: 'd/a', data: 'a' }, { name: 'etc/passwd', data: 'root' }], [{ name: 'd', data: 'now a file' }, { name: 'p', type: 'symlink', link: '/etc/passwd' }, { name: 'p', data: 'replaced' }]);
    expect(t.lookup('d')!.kind).toBe('file');
    expect(t.lookup('p')!.kind).toBe('file');
    expect(t.lookup('etc/passwd')!.size).toBe(4);
  });

  it('keeps file bytes where they are in the layer: offset and size name them', () => {
    const tar = buildTar([{ name: 'f', data: 'hello' }]);
    const n = readLayer(tar)[0]!;
    expect(new TextDecoder().decode(tar.subarray(n.data, n.data + n.size))).toBe('hello');
  });
});

describe('a damaged store', () => {
  it('refuses to build a tree over a layer that lost bytes, saying what to do', async () => {
    const blobs = new MemoryBlobs();
    const s = new HostStore(blobs, gunzip);
    const tar = buildTar([{ name: 'f', data: 'hello' }]);
    await s.snapshotApply({ key: digest(tar), diffId: digest(tar), layer: tar, gzip: false });
    const fresh = new HostStore(blobs, gunzip); // another session: nothing cached
    await blobs.put(`snapshots/${digest(tar).slice(7)}/layer.tar`, tar.subarray(0, 600));
    await expect(fresh.snapshots.tree(digest(tar))).rejects.toThrow(/is damaged in the image store \(memory\): remove the image and pull or load it again/);
  });
});

describe('a full store', () => {
  it('refuses a load clearly and keeps every image it had', async () => {
    const s = store(6 << 20);
    const images = new ImageStore(s);
    const base = busyboxBase(root);
    const small = ociArchive(root, 'docker.io/library/small:1', buildTar([{ name: 'f', data: 'x' }]));
    expect(await images.load(small)).toEqual(['Loaded image: small:1']);
    const before = { snaps: await s.snapshotList(), blobs: await s.contentList() };
    const big = ociArchive(root, 'docker.io/library/big:1', buildTar([{ name: 'big', data: new Uint8Array(8 << 20).map((_, i) => (i * 7919) & 0xff) }]));
    const e = await images.load(big).then(() => undefined, (x: unknown) => x);
    expect((e as Error).message).toMatch(/^no space left in the image store \(memory\): remove images you no longer need/);
    expect((await images.list()).map((i) => i.name)).toEqual(['docker.io/library/small:1']);
    expect({ snaps: await s.snapshotList(), blobs: await s.contentList() }).toEqual(before);
    expect(base.diffId).toMatch(/^sha256:/);
  });

  it('is a StoreFullError at the Blobs level, the old value kept', async () => {
    const b = new MemoryBlobs(10);
    await b.put('a', new Uint8Array(8));
    await expect(b.put('b', new Uint8Array(8))).rejects.toBeInstanceOf(StoreFullError);
    expect(await b.size('a')).toBe(8);
  });
});

describe('fuzzing the applier (seeded mutations of real layers)', () => {
  // xorshift32: the same mutations every run, so a failure reproduces
  function rng(seed: number) {
    let x = seed >>> 0 || 1;
    return () => {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      return x;
    };
  }
  const seeds = [new Uint8Array(gunzipSync(busyboxBase(root).blob)).subarray(0, 64 * 1024), ...hostileCases().map((c) => c.layer).filter((l) => l.length < 1 << 20)];
  const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 20000);

  it(`${ITERATIONS} mutated layers: each applied inside its tree or refused with a LayerError, nothing else`, () => {
    const next = rng(0x5eed);
    for (let i = 0; i < ITERATIONS; i++) {
      const src = seeds[next() % seeds.length]!;
      const m = src.slice(0, Math.max(512, src.length - (next() % 2 ? 0 : next() % src.length)));
      for (let k = 1 + (next() % 8); k > 0; k--) {
        const at = next() % m.length;
        // header fields are where the parser's decisions are: favour them
        m[at - (at % 512) + (next() % 2 ? next() % 512 : [0, 100, 124, 156, 157, 257, 345][next() % 7]!)] = next() & 0xff;
      }
      try {
        const t = new Rootfs();
        t.apply(readLayer(m), 'k');
        walkTree(t.root, (p, n: Node) => {
          expect(p.split('/')).not.toContain('..');
          if (n.kind === 'file') expect(n.offset + n.size).toBeLessThanOrEqual(m.length);
        });
      } catch (e) {
        if (!(e instanceof LayerError)) throw new Error(`iteration ${i}: ${(e as Error).stack}`);
      }
    }
  });
});
