// The host-side store's nouns on their own (src/common/store/): content
// checked against its digest, snapshots kept whole or not at all and removed
// only from the top, image records by any name.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MemoryBlobs } from '../../src/common/store/blobs.js';
import { Content, ContentError, checkDigest } from '../../src/common/store/content.js';
import { HostStore } from '../../src/common/store/host-store.js';
import { ImageRecords } from '../../src/common/store/images.js';
import { SnapshotError, Snapshots, layerTarKey } from '../../src/common/store/snapshots.js';
import { walkTree } from '../../src/common/store/rootfs.js';
import { writeTar } from '../../src/common/tar.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const digest = (b: Uint8Array | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const gunzip = async (gz: Uint8Array) => new Uint8Array(gunzipSync(gz));
const tar = (files: Record<string, string>) => writeTar(Object.entries(files).map(([name, data]) => ({ name, data: enc.encode(data) })));
const chain = (parent: string, diff: string) => digest(`${parent} ${diff}`);

function paths(t: Awaited<ReturnType<Snapshots['tree']>>): string[] {
  const out: string[] = [];
  walkTree(t.root, (p) => p && out.push(p));
  return out.sort();
}

describe('content', () => {
  it('keeps a blob under its digest and lists it', async () => {
    const blobs = new MemoryBlobs();
    const c = new Content(blobs);
    const b = enc.encode('blob');
    await c.put(digest(b), b);
    expect(await c.get(digest(b))).toEqual(b);
    expect(await c.size(digest(b))).toBe(4);
    expect(await c.list()).toEqual([{ digest: digest(b), size: 4 }]);
    // stray keys under content/ are not blobs
    await blobs.put('content/sha256/not-a-digest', b);
    expect(await c.list()).toEqual([{ digest: digest(b), size: 4 }]);
    await c.remove(digest(b));
    expect(await c.get(digest(b))).toBeUndefined();
    expect(await c.list()).toEqual([]);
  });

  it('refuses bytes that do not hash to the digest, keeping nothing', async () => {
    const c = new Content(new MemoryBlobs());
    const b = enc.encode('blob');
    await expect(c.put(digest('other'), b)).rejects.toThrow(new ContentError(`blob ${digest('other')}: content hashes to ${digest(b)}`));
    expect(await c.list()).toEqual([]);
  });

  it('refuses a digest that is not one, before touching the store', async () => {
    for (const bad of ['sha256:abc', `sha256:${'A'.repeat(64)}`, `sha512:${'a'.repeat(64)}`, `sha256:${'a'.repeat(64)}/x`, `xsha256:${'a'.repeat(64)}`]) {
      expect(() => checkDigest(bad)).toThrow(new ContentError(`invalid digest ${JSON.stringify(bad)}`));
      await expect(new Content(new MemoryBlobs()).put(bad, enc.encode('x'))).rejects.toBeInstanceOf(ContentError);
    }
    expect(checkDigest(digest('x'))).toBe(digest('x'));
  });
});

describe('snapshots', () => {
  const base = tar({ 'a.txt': 'aaa', 'b.txt': 'bb' });
  const top = tar({ 'c.txt': 'c', '.wh.a.txt': '' });
  const baseKey = digest(base);
  const topKey = chain(baseKey, digest(top));

  async function two() {
    const blobs = new MemoryBlobs();
    const s = new Snapshots(blobs, gunzip);
    const info = await s.apply({ key: baseKey, diffId: digest(base), layer: new Uint8Array(gzipSync(base)), gzip: true });
    const upper = await s.apply({ key: topKey, parent: baseKey, diffId: digest(top), layer: top, gzip: false });
    return { blobs, s, info, upper };
  }

  it('applies a chain, tells what it kept, and builds its tree', async () => {
    const { blobs, s, info, upper } = await two();
    expect(info).toEqual({ key: baseKey, diffId: digest(base), size: 5 });
    expect(upper).toEqual({ key: topKey, parent: baseKey, diffId: digest(top), size: 1 });
    expect(await s.stat(topKey)).toEqual(upper);
    expect(await s.stat(baseKey)).toEqual(info);
    expect(await s.stat(digest('none'))).toBeUndefined();
    expect(await s.list()).toEqual([baseKey, topKey].sort());
    expect(await blobs.get(layerTarKey(baseKey))).toEqual(base);
    expect(paths(await s.tree(topKey))).toEqual(['b.txt', 'c.txt']);
    expect(paths(await s.tree(baseKey))).toEqual(['a.txt', 'b.txt']);
    // a new session (nothing cached) builds the same trees from what was kept
    const fresh = new Snapshots(blobs, gunzip);
    expect(paths(await fresh.tree(topKey))).toEqual(['b.txt', 'c.txt']);
    expect(paths(await fresh.tree(baseKey))).toEqual(['a.txt', 'b.txt']);
    // applying again is a no-op that says what is there
    expect(await fresh.apply({ key: topKey, parent: baseKey, diffId: digest(top), layer: new Uint8Array(0), gzip: true })).toEqual(upper);
  });

  it('hands out the cached tree, but never lets a child change its parent\'s', async () => {
    const { s } = await two();
    const t1 = await s.tree(baseKey);
    expect(await s.tree(baseKey)).toBe(t1);
    const third = tar({ 'd.txt': 'd' });
    await s.apply({ key: chain(topKey, digest(third)), parent: topKey, diffId: digest(third), layer: third, gzip: false });
    expect(paths(await s.tree(topKey))).toEqual(['b.txt', 'c.txt']);
    expect(paths(await s.tree(chain(topKey, digest(third))))).toEqual(['b.txt', 'c.txt', 'd.txt']);
  });

  it('refuses, keeping nothing: a missing parent, bad gzip, another diff_id, a layer readLayer refuses', async () => {
    const blobs = new MemoryBlobs();
    const s = new Snapshots(blobs, gunzip);
    await expect(s.apply({ key: topKey, parent: baseKey, diffId: digest(top), layer: top, gzip: false })).rejects.toThrow(new SnapshotError(`parent snapshot ${baseKey} does not exist`));
    await expect(s.apply({ key: baseKey, diffId: digest(base), layer: base, gzip: true })).rejects.toThrow(/^layer is not valid gzip: /);
    await expect(s.apply({ key: baseKey, diffId: digest('x'), layer: base, gzip: false })).rejects.toThrow(new SnapshotError(`uncompressed content is ${digest(base)}, but the config says ${digest('x')}`));
    const climbing = tar({ '../out': 'x' });
    const err = await s.apply({ key: digest(climbing), diffId: digest(climbing), layer: climbing, gzip: false }).then(() => undefined, (e: unknown) => e as Error);
    expect(err).toBeInstanceOf(SnapshotError);
    expect(err!.message).toMatch(/^failed to register layer: /);
    expect(await blobs.list('snapshots/')).toEqual([]);
    await expect(s.tree(baseKey)).rejects.toThrow(new SnapshotError(`snapshot ${baseKey} does not exist`));
  });

  it('removes only from the top, and forgets the removed tree', async () => {
    const { blobs, s } = await two();
    await expect(s.remove(baseKey)).rejects.toThrow(new SnapshotError(`snapshot ${baseKey} is the parent of ${topKey}`));
    await s.tree(topKey);
    await s.remove(topKey);
    expect(await s.list()).toEqual([baseKey]);
    await expect(s.tree(topKey)).rejects.toThrow(new SnapshotError(`snapshot ${topKey} does not exist`));
    await s.remove(baseKey);
    expect(await s.list()).toEqual([]);
    expect(await blobs.list('snapshots/')).toEqual([]);
  });

  it('refuses a chain deeper than 128 layers', async () => {
    const s = new Snapshots(new MemoryBlobs(), gunzip);
    let parent: string | undefined;
    for (let i = 0; i < 129; i++) {
      const l = tar({ [`f${i}`]: '' });
      const key: string = parent === undefined ? digest(l) : chain(parent, digest(l));
      await s.apply({ key, ...(parent !== undefined ? { parent } : {}), diffId: digest(l), layer: l, gzip: false });
      parent = key;
    }
    const fresh = new Snapshots((s as unknown as { blobs: MemoryBlobs }).blobs, gunzip);
    await expect(fresh.tree(parent!)).rejects.toThrow(new SnapshotError(`snapshot ${parent}: chain deeper than 128 layers`));
  });
});

describe('image records and the host store', () => {
  it('keeps a record under any name, lists them sorted, skips stray keys', async () => {
    const blobs = new MemoryBlobs();
    const r = new ImageRecords(blobs);
    await r.put('docker.io/library/b:1', enc.encode('B'));
    await r.put('docker.io/library/a:1', enc.encode('A'));
    await r.put('localhost:5000/x/ünïcode@sha256:00', enc.encode('U'));
    await blobs.put('images/zz', enc.encode('stray'));
    await blobs.put('images/abc', enc.encode('odd'));
    expect((await r.list()).map((x) => [x.name, dec.decode(x.record)])).toEqual([
      ['docker.io/library/a:1', 'A'],
      ['docker.io/library/b:1', 'B'],
      ['localhost:5000/x/ünïcode@sha256:00', 'U'],
    ]);
    await r.remove('docker.io/library/a:1');
    expect((await r.list()).map((x) => x.name)).toEqual(['docker.io/library/b:1', 'localhost:5000/x/ünïcode@sha256:00']);
  });

  it('forwards every StoreApi call to its nouns', async () => {
    const blobs = new MemoryBlobs();
    const h = new HostStore(blobs, gunzip);
    const b = enc.encode('x');
    await h.contentPut(digest(b), b);
    expect(await h.contentGet(digest(b))).toEqual(b);
    expect(await h.contentList()).toEqual([{ digest: digest(b), size: 1 }]);
    await h.contentRemove(digest(b));
    expect(await h.contentList()).toEqual([]);
    const l = tar({ f: 'y' });
    expect(await h.snapshotApply({ key: digest(l), diffId: digest(l), layer: l, gzip: false })).toEqual({ key: digest(l), diffId: digest(l), size: 1 });
    expect(await h.snapshotStat(digest(l))).toEqual({ key: digest(l), diffId: digest(l), size: 1 });
    expect(await h.snapshotList()).toEqual([digest(l)]);
    await h.snapshotRemove(digest(l));
    expect(await h.snapshotList()).toEqual([]);
    await h.imagePut('n', b);
    expect(await h.imageList()).toEqual([{ name: 'n', record: b }]);
    await h.imageRemove('n');
    expect(await h.imageList()).toEqual([]);
    expect(await h.where()).toBe('memory');
    expect(await blobs.list('')).toEqual([]);
  });
});
