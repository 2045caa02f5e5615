// The image lifecycle against the real host-side store in memory: `docker
// load` of archives tampered with but kept the same size (every blob is
// checked before it is parsed or used, even one the store already has), and
// what load, pull, rmi and prune leave behind in content, snapshots and
// images — all or nothing, shared layers kept, nothing leaked.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ImageError } from '../../src/common/oci/verify.js';
import { MemoryBlobs } from '../../src/common/store/blobs.js';
import { HostStore, type StoreApi } from '../../src/common/store/host-store.js';
import type { ApplyRequest } from '../../src/common/store/snapshots.js';
import { writeTar } from '../../src/common/tar.js';
import { DockerError, NoSuchImageError } from '../../src/runtime/errors.js';
import { ImageStore, type PullEvent } from '../../src/runtime/images.js';
import { layoutSource } from '../../src/runtime/registry.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const digest = (b: Uint8Array) => `sha256:${sha(b)}`;

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const CONFIG = 'application/vnd.oci.image.config.v1+json';
const LAYER_GZ = 'application/vnd.oci.image.layer.v1.tar+gzip';
const LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
}

interface Image {
  manifest: Desc;
  manifestBytes: Uint8Array;
  config: Desc;
  configBytes: Uint8Array;
  layers: Array<{ desc: Desc; bytes: Uint8Array; tar: Uint8Array }>;
  blobs: Map<string, Uint8Array>;
}

/** One layer holding `files`; gzip unless `plain`. */
function layer(files: Record<string, string>, plain = false) {
  const tar = writeTar(Object.entries(files).map(([name, data]) => ({ name, data: enc.encode(data) })));
  const bytes = plain ? tar : new Uint8Array(gzipSync(tar));
  return { desc: { mediaType: plain ? LAYER_TAR : LAYER_GZ, digest: digest(bytes), size: bytes.length }, bytes, tar };
}

const BASE = layer({ 'etc/base': 'base\n' });

/** A linux/386 image of `layers` (the shared BASE first by default) whose Cmd is `cmd`. */
function image(cmd: string, layers = [BASE, layer({ [`${cmd}.txt`]: `${cmd}\n` })], extra: Record<string, unknown> = {}): Image {
  const configBytes = enc.encode(
    JSON.stringify({
      created: '2026-01-01T00:00:00Z',
      architecture: '386',
      os: 'linux',
      config: { Cmd: [cmd] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => digest(l.tar)) },
      history: layers.map((_, i) => ({ created_by: `step ${i}` })),
      ...extra,
    }),
  );
  const config = { mediaType: CONFIG, digest: digest(configBytes), size: configBytes.length };
  const manifestBytes = enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST, config, layers: layers.map((l) => l.desc) }));
  const manifest = { mediaType: MANIFEST, digest: digest(manifestBytes), size: manifestBytes.length };
  const blobs = new Map<string, Uint8Array>([[config.digest, configBytes], [manifest.digest, manifestBytes], ...layers.map((l) => [l.desc.digest, l.bytes] as const)]);
  return { manifest, manifestBytes, config, configBytes, layers, blobs };
}

/** An OCI-layout archive, as `docker save` writes it, of `images` under `names` (undefined: no name). */
function archive(entries: Array<{ img: Image; name?: string }>, o: { replace?: Map<string, Uint8Array>; drop?: string; index?: unknown; noLayout?: boolean } = {}): Uint8Array {
  const blobs = new Map<string, Uint8Array>();
  for (const { img } of entries) for (const [d, b] of img.blobs) blobs.set(d, b);
  for (const [d, b] of o.replace ?? []) blobs.set(d, b);
  if (o.drop) blobs.delete(o.drop);
  const index = o.index ?? {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: entries.map(({ img, name }) => ({
      ...img.manifest,
      ...(name !== undefined ? { annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name.split(':').pop()! } } : {}),
    })),
  };
  return writeTar([
    { name: 'blobs' },
    { name: 'blobs/sha256' },
    ...[...blobs].map(([d, data]) => ({ name: `blobs/sha256/${d.slice(7)}`, data })),
    { name: 'index.json', data: enc.encode(JSON.stringify(index)) },
    ...(o.noLayout ? [] : [{ name: 'oci-layout', data: enc.encode('{"imageLayoutVersion":"1.0.0"}') }]),
  ]);
}

/** The same bytes with one ASCII string replaced by another of the same length. */
function sameSize(bytes: Uint8Array, from: string, to: string): Uint8Array {
  expect(to.length).toBe(from.length);
  const text = dec.decode(bytes);
  expect(text).toContain(from);
  const out = enc.encode(text.replace(from, to));
  expect(out.length).toBe(bytes.length);
  expect(sha(out)).not.toBe(sha(bytes));
  return out;
}

/** The real host store in memory, counting the layers it was asked to apply. */
function store(limit?: number) {
  const host = new HostStore(new MemoryBlobs(limit), async (gz) => new Uint8Array(gunzipSync(gz)));
  const applied: ApplyRequest[] = [];
  const api: StoreApi = Object.assign(Object.create(host) as HostStore, {
    snapshotApply: (req: ApplyRequest) => {
      applied.push(req);
      return host.snapshotApply(req);
    },
  });
  return { host, applied, images: new ImageStore(api) };
}

/** Everything the store holds, to compare before and after. */
async function contents(host: HostStore) {
  return {
    images: (await host.imageList()).map((i) => ({ name: i.name, record: dec.decode(i.record) })),
    snapshots: await host.snapshotList(),
    content: (await host.contentList()).sort((a, b) => a.digest.localeCompare(b.digest)),
  };
}

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);
const never = () => false;

describe('docker load', () => {
  it('loads an archive: records, one snapshot per layer, every blob in content', async () => {
    const s = store();
    const img = image('sh');
    const events: PullEvent[] = [];
    expect(await s.images.load(archive([{ img, name: 'docker.io/library/test:1' }]), (e) => events.push(e))).toEqual(['Loaded image: test:1']);
    const c = await contents(s.host);
    expect(c.images.map((i) => i.name)).toEqual(['docker.io/library/test:1']);
    expect(c.snapshots).toHaveLength(2);
    expect(c.content.map((x) => x.digest).sort()).toEqual([...img.blobs.keys()].sort());
    const rec = (await s.images.find('test:1'))!;
    expect(rec).toMatchObject({ id: img.config.digest, repoDigest: `docker.io/library/test@${img.manifest.digest}`, runConfig: { Cmd: ['sh'] }, architecture: '386', os: 'linux', created: '2026-01-01T00:00:00Z', size: 8 });
    expect(rec.manifest).toEqual(img.manifest);
    expect(rec.layers).toEqual(img.layers.map((l) => l.desc));
    // each layer's snapshot sits on the one below it
    expect(await s.host.snapshotStat(rec.chainIds[0]!)).toEqual({ key: rec.chainIds[0], diffId: digest(BASE.tar), size: 5 });
    expect(await s.host.snapshotStat(rec.chainIds[1]!)).toEqual({ key: rec.chainIds[1], parent: rec.chainIds[0], diffId: digest(img.layers[1]!.tar), size: 3 });
    expect(s.applied.map((r) => r.parent)).toEqual([undefined, rec.chainIds[0]]);
    // as docker shows it: every layer announced first, then each one's own story (downloads run in parallel)
    const layerEvents = events.flatMap((e) => (e.kind === 'layer' ? [e] : []));
    const ids = img.layers.map((l) => l.desc.digest.slice(7, 19));
    expect(layerEvents.slice(0, 2).map((e) => `${e.id} ${e.status}`)).toEqual(ids.map((id) => `${id} Pulling fs layer`));
    for (const id of ids) expect(layerEvents.filter((e) => e.id === id).map((e) => e.status)).toEqual(['Pulling fs layer', 'Download complete', 'Pull complete']);
    expect(layerEvents.filter((e) => e.status === 'Pull complete').map((e) => e.id)).toEqual(ids);
  });

  // "today nothing fails if load's digest check is deleted" (issue #17): a
  // blob edited in place keeps its size, so only the hash can tell
  describe('refuses a blob tampered with but kept the same size, before parsing or applying anything', () => {
    const img = image('sh');
    const cases: Array<[string, () => Map<string, Uint8Array>, string]> = [
      ['config (another Cmd)', () => new Map([[img.config.digest, sameSize(img.configBytes, '"Cmd":["sh"]', '"Cmd":["id"]')]]), img.config.digest],
      ['manifest (another layer media type)', () => new Map([[img.manifest.digest, sameSize(img.manifestBytes, 'tar+gzip', 'tar+zstd')]]), img.manifest.digest],
      ['layer (one byte flipped)', () => {
        const bad = img.layers[1]!.bytes.slice();
        bad[20]! ^= 0xff;
        return new Map([[img.layers[1]!.desc.digest, bad]]);
      }, img.layers[1]!.desc.digest],
    ];

    it.each(cases)('%s, into an empty store', async (_what, replace, bad) => {
      const s = store();
      const err = await failure(s.images.load(archive([{ img, name: 'docker.io/library/test:1' }], { replace: replace() })));
      expect(err).toBeInstanceOf(ImageError);
      expect(err!.message).toMatch(new RegExp(`^blob ${bad}: content hashes to sha256:[0-9a-f]{64}$`));
      // the config and manifest are checked before any layer is applied
      if (bad !== img.layers[1]!.desc.digest) expect(s.applied).toEqual([]);
      else expect(s.applied.map((r) => r.diffId)).toEqual([digest(BASE.tar)]);
      expect(await contents(s.host)).toEqual({ images: [], snapshots: [], content: [] });
    });

    it.each(cases)('%s, into a store that already has the genuine blob', async (_what, replace) => {
      const s = store();
      await s.images.load(archive([{ img, name: 'docker.io/library/test:1' }]));
      const before = await contents(s.host);
      const err = await failure(s.images.load(archive([{ img, name: 'docker.io/library/evil:1' }], { replace: replace() })));
      expect(err).toBeInstanceOf(ImageError);
      expect(err!.message).toMatch(/content hashes to/);
      expect(await contents(s.host)).toEqual(before);
      expect(await s.images.find('evil:1')).toBeUndefined();
      expect((await s.images.config((await s.images.find('test:1'))!)).config?.Cmd).toEqual(['sh']);
    });
  });

  it('refuses a blob the archive lacks, and an archive that is no OCI layout', async () => {
    const img = image('sh');
    const s = store();
    const err = await failure(s.images.load(archive([{ img, name: 'docker.io/library/test:1' }], { drop: img.config.digest })));
    expect(err).toBeInstanceOf(ImageError);
    expect(err!.message).toBe(`invalid archive: blob ${img.config.digest} is missing`);
    await expect(s.images.load(archive([{ img, name: 'x/y:1' }], { noLayout: true }))).rejects.toThrow(
      'invalid archive: not an OCI image layout (no oci-layout or index.json); Dockyard loads what `docker save` writes since Docker 25',
    );
    await expect(s.images.load(archive([], { index: { schemaVersion: 2, manifests: [] } }))).rejects.toThrow('invalid archive: index.json lists no images');
    await expect(s.images.load(enc.encode('not a tar'))).rejects.toThrow(/^invalid archive: /);
    await expect(s.images.load(archive([{ img, name: 'latest' }]))).rejects.toThrow('invalid archive: image name annotation "latest" is only a tag');
    expect(await contents(s.host)).toEqual({ images: [], snapshots: [], content: [] });
  });

  it('loads an unnamed image by id, which prune then removes as dangling', async () => {
    const s = store();
    const img = image('sh');
    expect(await s.images.load(archive([{ img }]))).toEqual([`Loaded image ID: ${img.config.digest}`]);
    const rec = (await s.images.find(img.config.digest.slice(7, 19)))!;
    expect(rec.name).toBe(`docker.io/library/${img.config.digest.slice(7, 19)}@${img.manifest.digest}`);
    const pruned = await s.images.prune(false, never);
    expect(pruned.lines).toEqual([`untagged: ${img.config.digest.slice(7, 19)}@${img.manifest.digest}`, `deleted: ${img.config.digest}`]);
    expect(pruned.reclaimed).toBe(8);
    expect(await contents(s.host)).toEqual({ images: [], snapshots: [], content: [] });
  });

  it('is all or nothing per image: a bad second image leaves the first, and nothing of its own', async () => {
    const s = store();
    const good = image('sh');
    const bad = image('id', [BASE, layer({ 'x.txt': 'x\n' })], { architecture: 'amd64' });
    const err = await failure(s.images.load(archive([{ img: good, name: 'docker.io/library/good:1' }, { img: bad, name: 'docker.io/library/bad:1' }])));
    expect(err).toBeInstanceOf(DockerError);
    expect(err!.message).toBe('image with reference bad:1 was found but does not match the specified platform: wanted linux/386, actual: linux/amd64');
    const c = await contents(s.host);
    expect(c.images.map((i) => i.name)).toEqual(['docker.io/library/good:1']);
    expect(c.snapshots).toHaveLength(2);
    expect(c.content.map((x) => x.digest).sort()).toEqual([...good.blobs.keys()].sort());
  });

  it('refuses a layer the store refuses, wrapped as an image error, keeping the shared base layer', async () => {
    const s = store();
    await s.images.load(archive([{ img: image('sh'), name: 'docker.io/library/base:1' }]));
    const before = await contents(s.host);
    const climbing = { ...layer({}), tar: writeTar([{ name: '../escape', data: enc.encode('x') }]) };
    const gz = new Uint8Array(gzipSync(climbing.tar));
    const evil = { desc: { mediaType: LAYER_GZ, digest: digest(gz), size: gz.length }, bytes: gz, tar: climbing.tar };
    const err = await failure(s.images.load(archive([{ img: image('id', [BASE, evil]), name: 'docker.io/library/evil:1' }])));
    expect(err).toBeInstanceOf(ImageError);
    expect(err!.message).toMatch(new RegExp(`^layer ${evil.desc.digest}: failed to register layer: `));
    expect(await contents(s.host)).toEqual(before);
  });

  it('says a full store is full, keeping nothing of the image', async () => {
    const s = store(2_000);
    const big = layer({ 'big.bin': 'x'.repeat(4_000) }, true);
    const err = await failure(s.images.load(archive([{ img: image('sh', [big]), name: 'docker.io/library/big:1' }])));
    expect(err).toBeInstanceOf(DockerError);
    expect(err!.message).toMatch(/: remove images you no longer need \(docker rmi, docker image prune\)$/);
    expect(await contents(s.host)).toEqual({ images: [], snapshots: [], content: [] });
  });
});

describe('pull into a store that has images', () => {
  const registry = (img: Image, tag = 'latest') =>
    layoutSource(async (rel) => {
      const m = /^docker\.io\/library\/test\/(.*)$/.exec(rel);
      if (!m) return undefined;
      if (m[1] === 'index.json') return enc.encode(JSON.stringify({ schemaVersion: 2, manifests: [{ ...img.manifest, annotations: { 'org.opencontainers.image.ref.name': tag } }] }));
      return img.blobs.get(`sha256:${m[1]!.replace(/^blobs\/sha256\//, '')}`);
    });

  it('shares what it has, says "Already exists", and is up to date the second time', async () => {
    const s = store();
    await s.images.load(archive([{ img: image('sh'), name: 'docker.io/library/other:1' }]));
    const img = image('id');
    const events: PullEvent[] = [];
    const rec = await s.images.pull(registry(img), 'test', (e) => events.push(e));
    expect(rec.name).toBe('docker.io/library/test:latest');
    expect((await s.host.imageList()).map((i) => i.name)).toEqual(['docker.io/library/other:1', 'docker.io/library/test:latest']);
    expect(events.filter((e) => e.kind === 'layer').map((e) => (e.kind === 'layer' ? `${e.id} ${e.status}` : ''))).toEqual([
      `${BASE.desc.digest.slice(7, 19)} Already exists`,
      `${img.layers[1]!.desc.digest.slice(7, 19)} Pulling fs layer`,
      `${img.layers[1]!.desc.digest.slice(7, 19)} Download complete`,
      `${img.layers[1]!.desc.digest.slice(7, 19)} Pull complete`,
    ]);
    expect(s.applied).toHaveLength(3);
    expect(rec.size).toBe(5 + 3);
    expect((await s.host.snapshotList()).length).toBe(3);
    const again: PullEvent[] = [];
    expect((await s.images.pull(registry(img), 'test', (e) => again.push(e))).id).toBe(rec.id);
    expect(again.at(-1)).toEqual({ kind: 'done', digest: img.manifest.digest, ref: 'test:latest', upToDate: true });
    expect(s.applied).toHaveLength(3);
  });

  it('leaves the store as it was when refused, shared layers and all', async () => {
    const s = store();
    await s.images.load(archive([{ img: image('sh'), name: 'docker.io/library/other:1' }]));
    const before = await contents(s.host);
    const bad = image('id', [BASE, layer({ 'y.txt': 'y\n' })]);
    const tampered = { ...bad, blobs: new Map(bad.blobs).set(bad.config.digest, sameSize(bad.configBytes, '"Cmd":["id"]', '"Cmd":["sh"]')) };
    const err = await failure(s.images.pull(registry(tampered), 'test'));
    expect(err).toBeInstanceOf(ImageError);
    expect(s.applied).toHaveLength(2);
    expect(await contents(s.host)).toEqual(before);
    // a layer the config's diff_ids do not name: its snapshot goes, the base stays
    const wrong = image('id', [BASE, layer({ 'z.txt': 'z\n' })], { rootfs: { type: 'layers', diff_ids: [digest(BASE.tar), `sha256:${'2'.repeat(64)}`] } });
    expect((await failure(s.images.pull(registry(wrong), 'test')))!.message).toMatch(/uncompressed content is sha256:[0-9a-f]{64}, but the config says sha256:2{64}$/);
    expect(await contents(s.host)).toEqual(before);
  });

  it('records a pull by digest under its digest', async () => {
    const s = store();
    const img = image('sh');
    const rec = await s.images.pull(registry(img), `test@${img.manifest.digest}`);
    expect((await s.host.imageList()).map((i) => i.name)).toEqual([`docker.io/library/test@${img.manifest.digest}`]);
    expect(await s.images.find(`test@${img.manifest.digest}`)).toMatchObject({ id: rec.id });
    expect(await s.images.find(`other@${img.manifest.digest}`)).toBeUndefined();
  });
});

describe('finding images', () => {
  it('by name, by full or short id (12 hex at least), by digest within its repository', async () => {
    const s = store();
    const img = image('sh');
    await s.images.load(archive([{ img, name: 'docker.io/library/test:1' }]));
    const hex = img.config.digest.slice(7);
    for (const ref of ['test:1', 'docker.io/library/test:1', img.config.digest, hex, hex.slice(0, 12), `test@${img.manifest.digest}`]) {
      expect((await s.images.find(ref))?.id, ref).toBe(img.config.digest);
    }
    for (const ref of ['test', 'test:2', hex.slice(0, 11), `sha256:${'f'.repeat(64)}`, `other@${img.manifest.digest}`, `test@sha256:${'e'.repeat(64)}`, 'Bad Ref!']) {
      expect(await s.images.find(ref), ref).toBeUndefined();
    }
  });

  it('sees its own changes at once, and refuses a tag with a digest', async () => {
    const s = store();
    await s.images.load(archive([{ img: image('sh'), name: 'docker.io/library/test:1' }]));
    expect((await s.images.list()).map((r) => r.name)).toEqual(['docker.io/library/test:1']);
    await s.images.tag('test:1', 'mine/other:2');
    expect((await s.images.list()).map((r) => r.name).sort()).toEqual(['docker.io/library/test:1', 'docker.io/mine/other:2']);
    await expect(s.images.tag('test:1', `x@sha256:${'a'.repeat(64)}`)).rejects.toThrow('refusing to create a tag with a digest reference');
    await expect(s.images.tag('nope:1', 'x:1')).rejects.toBeInstanceOf(NoSuchImageError);
    // a record this version cannot read is left alone, not shown
    await s.host.imagePut('docker.io/library/garbled:1', enc.encode('{not json'));
    s.images.forget();
    expect((await s.images.list()).map((r) => r.name).sort()).toEqual(['docker.io/library/test:1', 'docker.io/mine/other:2']);
  });

  it('refuses an index nested where a manifest belongs', async () => {
    const s = store();
    const img = image('sh');
    const inner = enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] }));
    const list = enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: digest(inner), size: inner.length, platform: { os: 'linux', architecture: '386' } }] }));
    const top = { mediaType: 'application/vnd.oci.image.index.v1+json', digest: digest(list), size: list.length, annotations: { 'io.containerd.image.name': 'docker.io/library/test:1' } };
    const bytes = archive([], { index: { schemaVersion: 2, manifests: [top] }, replace: new Map([[digest(list), list], [digest(inner), inner], ...img.blobs]) });
    await expect(s.images.load(bytes)).rejects.toThrow(new ImageError(`${digest(inner)}: nested index where a manifest was expected`));
    expect(await contents(s.host)).toEqual({ images: [], snapshots: [], content: [] });
  });
});

describe('rmi and prune', () => {
  async function twoImages() {
    const s = store();
    const a = image('sh');
    const b = image('id');
    await s.images.load(archive([{ img: a, name: 'docker.io/library/a:1' }, { img: b, name: 'docker.io/library/b:1' }]));
    return { s, a, b };
  }

  it('rmi removes what only the image used, keeping the shared base layer and blob', async () => {
    const { s, a, b } = await twoImages();
    expect(await s.images.remove('a:1', never)).toEqual(['Untagged: a:1', `Deleted: ${a.config.digest}`]);
    const c = await contents(s.host);
    expect(c.images.map((i) => i.name)).toEqual(['docker.io/library/b:1']);
    expect(c.snapshots.sort()).toEqual((await s.images.find('b:1'))!.chainIds.slice().sort());
    expect(c.content.map((x) => x.digest).sort()).toEqual([...b.blobs.keys()].sort());
    expect(await s.images.remove('b:1', never)).toEqual(['Untagged: b:1', `Deleted: ${b.config.digest}`]);
    expect(await contents(s.host)).toEqual({ images: [], snapshots: [], content: [] });
  });

  it('rmi of one of two names only untags; the last name deletes', async () => {
    const { s, a } = await twoImages();
    await s.images.tag('a:1', 'a:2');
    const before = await contents(s.host);
    expect(await s.images.remove('a:2', never)).toEqual(['Untagged: a:2']);
    expect((await contents(s.host)).snapshots).toEqual(before.snapshots);
    expect((await contents(s.host)).content).toEqual(before.content);
    expect(await s.images.remove('a:1', never)).toEqual(['Untagged: a:1', `Deleted: ${a.config.digest}`]);
  });

  it('rmi by id: refuses several names unless forced, then removes them all', async () => {
    const { s, a } = await twoImages();
    await s.images.tag('a:1', 'a:2');
    const short = a.config.digest.slice(7, 19);
    await expect(s.images.remove(short, never)).rejects.toThrow(`conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`);
    expect(await s.images.remove(short, never, true)).toEqual(['Untagged: a:1', 'Untagged: a:2', `Deleted: ${a.config.digest}`]);
    expect((await s.host.imageList()).map((i) => i.name)).toEqual(['docker.io/library/b:1']);
  });

  it('rmi refuses an image a container uses unless forced, and then keeps its layers', async () => {
    const { s, a } = await twoImages();
    const inUse = (id: string) => id === a.config.digest;
    await expect(s.images.remove('a:1', inUse)).rejects.toThrow(`conflict: unable to remove repository reference "a:1" (must force) - container is using its referenced image ${a.config.digest.slice(7, 19)}`);
    const before = await contents(s.host);
    expect(await s.images.remove('a:1', inUse, true)).toEqual(['Untagged: a:1']);
    const after = await contents(s.host);
    expect(after.snapshots).toEqual(before.snapshots);
    expect(after.content).toEqual(before.content);
    await expect(s.images.remove('a:1', never)).rejects.toBeInstanceOf(NoSuchImageError);
  });

  it('prune: dangling only by default, every unused image with all, reclaiming their unique bytes', async () => {
    const { s, a, b } = await twoImages();
    expect(await s.images.prune(false, never)).toEqual({ lines: [], reclaimed: 0 });
    const inUse = (id: string) => id === b.config.digest;
    const r = await s.images.prune(true, inUse);
    expect(r).toEqual({ lines: ['untagged: a:1', `deleted: ${a.config.digest}`], reclaimed: 3 });
    const c = await contents(s.host);
    expect(c.images.map((i) => i.name)).toEqual(['docker.io/library/b:1']);
    expect(c.content.map((x) => x.digest).sort()).toEqual([...b.blobs.keys()].sort());
    expect(await s.images.prune(true, never)).toEqual({ lines: ['untagged: b:1', `deleted: ${b.config.digest}`], reclaimed: 8 });
    expect(await contents(s.host)).toEqual({ images: [], snapshots: [], content: [] });
  });

  it('counts stored and unique bytes, and shows history newest first', async () => {
    const { s } = await twoImages();
    expect(await s.images.storedBytes()).toBe(5 + 3 + 3);
    const all = await s.images.list();
    const a = (await s.images.find('a:1'))!;
    expect(await s.images.unique(a, all)).toBe(3);
    expect(await s.images.unique(a, [a])).toBe(8);
    const h = await s.images.history('a:1');
    expect(h.map((x) => [x.id, x.createdBy, x.size])).toEqual([
      [a.id, 'step 1', 3],
      ['<missing>', 'step 0', 5],
    ]);
    await expect(s.images.history('nope:1')).rejects.toBeInstanceOf(NoSuchImageError);
  });

  it('save hands out the very bytes it was given, and refuses a blob damaged in the store', async () => {
    const { s, a } = await twoImages();
    const saved = await s.images.save(['a:1']);
    const fresh = store();
    expect(await fresh.images.load(saved)).toEqual(['Loaded image: a:1']);
    expect((await fresh.host.contentList()).map((x) => x.digest).sort()).toEqual([...a.blobs.keys()].sort());
    // damage the config in place, same size
    await s.host.blobs.put(`content/sha256/${a.config.digest.slice(7)}`, sameSize(a.configBytes, '"Cmd":["sh"]', '"Cmd":["id"]'));
    await expect(s.images.save(['a:1'])).rejects.toThrow(new RegExp(`^blob ${a.config.digest}: content hashes to`));
    await expect(s.images.config((await s.images.find('a:1'))!)).rejects.toThrow(/content hashes to/);
    await s.host.contentRemove(a.config.digest);
    await expect(s.images.save(['a:1'])).rejects.toThrow(`blob ${a.config.digest} is missing from the image store: remove the image and pull it again`);
    await expect(s.images.save(['nope:1'])).rejects.toBeInstanceOf(NoSuchImageError);
  });
});
