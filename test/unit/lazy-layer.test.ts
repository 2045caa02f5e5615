// Lazy layers: the build's file index and pieces (build/lazy-layers.ts), the
// store mounting a layer from them and reading files piece by piece, every
// piece checked; a lazy pull, then its completion into an ordinary image.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { indexLayer, lazyLayers } from '../../build/lazy-layers.js';
import { MemoryBlobs } from '../../src/common/store/blobs.js';
import { HostStore } from '../../src/common/store/host-store.js';
import { layerTarKey } from '../../src/common/store/snapshots.js';
import { TarBuilder } from '../../src/common/store/layer-write.js';
import { LAZY_CHUNK_SIZE, type LazyToc } from '../../src/common/store/lazy-layer.js';
import { chainIds } from '../../src/common/oci/verify.js';
import { ImageStore, LAZY_STATUS, type PullEvent } from '../../src/runtime/images.js';
import { layoutSource, type ImageSource } from '../../src/runtime/registry.js';
import { buildLayout, sha256, writeLayout } from '../../images/tools/oci-layout.js';

const inflate = async (gz: Uint8Array) => new Uint8Array(gunzipSync(gz));

function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const meta = { uid: 0, gid: 0, mtime: 1_700_000_000 };
const big = noise(3 * LAZY_CHUNK_SIZE + 1000, 7);
const small = new TextEncoder().encode('small file\n');

function layerTar(): Buffer {
  const t = new TarBuilder();
  t.add({ path: 'd', kind: 'dir', mode: 0o755, ...meta });
  t.add({ path: 'd/small', kind: 'file', mode: 0o644, data: small, ...meta });
  t.add({ path: 'd/big', kind: 'file', mode: 0o600, data: big, ...meta });
  t.add({ path: 'd/link', kind: 'symlink', mode: 0o777, link: 'big', ...meta });
  return Buffer.from(t.finish());
}

/** A lazy layer as the build makes it, served from a folder; counts and optionally swaps what it serves. */
function served() {
  const tar = layerTar();
  const diffId = `sha256:${sha256(tar)}`;
  const dir = mkdtempSync(join(tmpdir(), 'dockyard-lazy-'));
  const tocDigest = indexLayer(gzipSync(tar), true, diffId, dir);
  const toc = readFileSync(join(dir, 'sha256', tocDigest.slice(7)));
  const fetched: string[] = [];
  const swap = new Map<string, Uint8Array>();
  const fetchBytes = async (url: string) => {
    const hex = url.slice('mem:'.length);
    fetched.push(hex);
    return swap.get(hex) ?? new Uint8Array(readFileSync(join(dir, 'sha256', hex)));
  };
  const index = JSON.parse(gunzipSync(toc).toString('utf8')) as LazyToc;
  return { tar, diffId, toc: new Uint8Array(toc), tocDigest, fetched, swap, fetchBytes, index };
}

describe('lazy layers in the store', () => {
  it('mounts a layer from its file index and reads files piece by piece, each piece fetched once', async () => {
    const s = served();
    const host = new HostStore(new MemoryBlobs(), inflate, undefined, s.fetchBytes);
    const key = (await chainIds([s.diffId]))[0]!;
    await host.snapshotApplyLazy({ key, diffId: s.diffId, toc: s.toc, tocDigest: s.tocDigest, chunkBase: 'mem:' });
    // not a stored snapshot: a pull still fetches the layer
    expect(await host.snapshotList()).toEqual([]);
    const tree = await host.snapshots.tree(key);
    const node = tree.lookup('d/big')!;
    expect(node.size).toBe(big.length);
    expect(s.fetched).toEqual([]);
    const part = await host.snapshots.readSource(node.source, node.offset + LAZY_CHUNK_SIZE - 10, 20);
    expect(part).toEqual(big.subarray(LAZY_CHUNK_SIZE - 10, LAZY_CHUNK_SIZE + 10));
    const whole = await host.snapshots.readSource(node.source, node.offset, node.size);
    expect(whole).toEqual(big);
    expect(new Set(s.fetched).size).toBe(s.fetched.length);
    const sm = tree.lookup('d/small')!;
    expect(new TextDecoder().decode(await host.snapshots.readSource(sm.source, sm.offset, sm.size))).toBe('small file\n');
    expect((await host.snapshotArchive(key, 'd/small'))!.length).toBeGreaterThan(0);
  });

  it("fetches the next pieces of a file while its reader is still at the first (not past the file's end)", async () => {
    const s = served();
    const host = new HostStore(new MemoryBlobs(), inflate, undefined, s.fetchBytes);
    const key = (await chainIds([s.diffId]))[0]!;
    await host.snapshotApplyLazy({ key, diffId: s.diffId, toc: s.toc, tocDigest: s.tocDigest, chunkBase: 'mem:' });
    const tree = await host.snapshots.tree(key);
    const sm = tree.lookup('d/small')!;
    await host.snapshots.readSource(sm.source, sm.offset, sm.size, sm.offset + sm.size);
    expect(s.fetched).toHaveLength(1); // small ends in the first piece: nothing ahead of it
    const node = tree.lookup('d/big')!;
    await host.snapshots.readSource(node.source, node.offset, 10, node.offset + node.size);
    const pieces = (end: number) => Math.floor((end - 1) / LAZY_CHUNK_SIZE) + 1;
    await vi.waitFor(() => expect(new Set(s.fetched).size).toBe(pieces(node.offset + node.size)));
    expect(s.fetched.length).toBe(new Set(s.fetched).size);
  });

  it('refuses a piece changed on the server, keeps nothing of it, and reads it once the server has it right', async () => {
    const s = served();
    const host = new HostStore(new MemoryBlobs(), inflate, undefined, s.fetchBytes);
    const key = (await chainIds([s.diffId]))[0]!;
    await host.snapshotApplyLazy({ key, diffId: s.diffId, toc: s.toc, tocDigest: s.tocDigest, chunkBase: 'mem:' });
    const node = (await host.snapshots.tree(key)).lookup('d/big')!;
    const [hex] = s.index.chunks[2]!;
    const good = await s.fetchBytes(`mem:${hex}`);
    const changed = good.slice();
    changed[100] = changed[100]! ^ 1;
    s.swap.set(hex, changed);
    const at = 2 * LAZY_CHUNK_SIZE - node.offset + 5;
    await expect(host.snapshots.readSource(node.source, node.offset + at, 100)).rejects.toThrow(/piece 3 of \d+ of layer sha256:[0-9a-f]{12}…: the server's copy hashes to sha256:[0-9a-f]{12}…, the layer's file index says sha256:[0-9a-f]{12}…: refused \(changed on the server\)/);
    s.swap.set(hex, good.slice(0, 10));
    await expect(host.snapshots.readSource(node.source, node.offset + at, 100)).rejects.toThrow(/the server sent 10 bytes/);
    s.swap.delete(hex);
    expect(await host.snapshots.readSource(node.source, node.offset + at, 100)).toEqual(big.subarray(at, at + 100));
  });

  it('refuses an index that is not the one the build recorded, or not the layer the config names', async () => {
    const s = served();
    const host = new HostStore(new MemoryBlobs(), inflate, undefined, s.fetchBytes);
    const key = (await chainIds([s.diffId]))[0]!;
    const other = `sha256:${'0'.repeat(64)}`;
    await expect(host.snapshotApplyLazy({ key, diffId: s.diffId, toc: s.toc, tocDigest: other, chunkBase: 'mem:' })).rejects.toThrow(/file index hashes to sha256:[0-9a-f]{64}, the build recorded sha256:0{64}: refused/);
    await expect(host.snapshotApplyLazy({ key, diffId: other, toc: s.toc, tocDigest: s.tocDigest, chunkBase: 'mem:' })).rejects.toThrow(/bad file index: it indexes sha256:/);
    await expect(new HostStore(new MemoryBlobs(), inflate).snapshotApplyLazy({ key, diffId: s.diffId, toc: s.toc, tocDigest: s.tocDigest, chunkBase: 'mem:' })).rejects.toThrow(/cannot fetch lazy layers/);
  });
});

describe('a lazy pull', () => {
  it('runs from lazy layers at once, and completes into an ordinary image (stored, listed) reading the same bytes', async () => {
    const s = served();
    const work = mkdtempSync(join(tmpdir(), 'dockyard-lazy-layout-'));
    const layout = buildLayout({ name: 'docker.io/library/lazy', tag: 'latest', created: '2026-01-01T00:00:00Z', run: { Cmd: ['sh'] }, layers: [{ tar: s.tar, gzip: gzipSync(s.tar) }] });
    writeLayout(join(work, 'docker.io', 'library', 'lazy'), layout);
    // the build's own step over the layout: the same index digest as above
    const made = lazyLayers(work, ['docker.io/library/lazy'], work);
    expect(Object.values(made.layers)).toEqual([s.tocDigest]);
    // every repository of this source is the one layout (`other` below: an image whose layers are here)
    const base = layoutSource(async (rel) => {
      try {
        return new Uint8Array(readFileSync(join(work, rel.replace(/^docker\.io\/library\/[^/]+\//, 'docker.io/library/lazy/'))));
      } catch {
        return undefined;
      }
    });
    let blobReads = 0;
    const src: ImageSource = {
      async resolve(ref) {
        const r = await base.resolve(ref);
        return {
          ...r,
          blob: (d, o) => {
            blobReads++;
            return r.blob(d, o);
          },
          lazyLayer: async (l) => (made.layers[l.digest] === s.tocDigest ? { toc: s.toc, tocDigest: s.tocDigest, chunkBase: 'mem:' } : undefined),
        };
      },
    };
    const host = new HostStore(new MemoryBlobs(), inflate, undefined, s.fetchBytes);
    const images = new ImageStore(host);
    const events: PullEvent[] = [];
    const img = await images.pull(src, 'lazy', (e) => events.push(e), undefined, { lazy: true });
    expect(events).toContainEqual(expect.objectContaining({ kind: 'layer', status: LAZY_STATUS }));
    expect(images.isLazy(img)).toBe(true);
    expect(images.findLazy('lazy:latest')).toBe(img);
    expect(await images.list()).toEqual([]);
    expect(blobReads).toBe(1); // the config only: no layer
    const key = img.chainIds[0]!;
    const node = (await host.snapshots.tree(key)).lookup('d/small')!;
    expect(new TextDecoder().decode(await host.snapshots.readSource(node.source, node.offset, node.size))).toBe('small file\n');
    await images.completeLazy();
    expect((await images.list()).map((r) => r.name)).toEqual(['docker.io/library/lazy:latest']);
    expect(images.findLazy('lazy')).toBeUndefined();
    expect(await host.snapshotList()).toEqual([key]);
    // the layer is stored now: reads come from it, not from pieces
    const before = s.fetched.length;
    const bigNode = (await host.snapshots.tree(key)).lookup('d/big')!;
    expect(await host.snapshots.readSource(layerTarKey(key), bigNode.offset, bigNode.size)).toEqual(big);
    expect(s.fetched.length).toBe(before);
    // an image whose layers are all here is pulled as usual, not lazily
    const other = await images.pull(src, 'other', () => {}, undefined, { lazy: true });
    expect(images.isLazy(other)).toBe(false);
    expect((await images.list()).map((r) => r.name)).toContain('docker.io/library/other:latest');
  });
});
