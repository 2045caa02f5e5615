// Image verification on the pull/load path, against hand-built images:
// every blob is checked before it is parsed or used, and a bad image leaves
// nothing behind in the guest.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ImageError } from '../../src/common/oci/verify.js';
import { ImageStore } from '../../src/runtime/images.js';
import { HostStore } from '../../src/common/store/host-store.js';
import { MemoryBlobs } from '../../src/common/store/blobs.js';
import { DockerError } from '../../src/runtime/errors.js';
import { layoutSource, type ImageSource } from '../../src/runtime/registry.js';
import { writeTar } from '../../src/common/tar.js';

const enc = new TextEncoder();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const digest = (b: Uint8Array) => `sha256:${sha(b)}`;

/** The real host-side store, in memory, with node:zlib for gunzip. */
function memoryStore(): HostStore {
  return new HostStore(new MemoryBlobs(), async (gz) => new Uint8Array(gunzipSync(gz)));
}

interface Built {
  files: Map<string, Uint8Array>;
  manifestBytes?: Uint8Array;
  /** serve the layer with one byte flipped, under its original digest */
  tamperLayer?: boolean;
  layer: Uint8Array;
  config: Record<string, unknown>;
  manifest: Record<string, unknown>;
  index: Record<string, unknown>;
}

/** A minimal valid linux/386 image as an OCI layout under docker.io/library/test; `mutate` breaks one thing. */
function build(mutate: (b: Built) => void = () => {}): ImageSource & { read: (rel: string) => Promise<Uint8Array | undefined> } {
  const tar = writeTar([{ name: 'hello.txt', data: enc.encode('hi\n') }]);
  const b: Built = {
    files: new Map(),
    layer: new Uint8Array(gzipSync(tar)),
    config: { architecture: '386', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [digest(tar)] } },
    manifest: {},
    index: {},
  };
  mutate(b);
  const put = (bytes: Uint8Array) => {
    b.files.set(`blobs/sha256/${sha(bytes)}`, bytes);
    return bytes;
  };
  put(b.layer);
  const configBytes = put(enc.encode(JSON.stringify(b.config)));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digest(configBytes), size: configBytes.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digest(b.layer), size: b.layer.length }],
    ...b.manifest,
  };
  const manifestBytes = put(b.manifestBytes ?? enc.encode(JSON.stringify(manifest)));
  const desc = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(manifestBytes), size: manifestBytes.length, annotations: { 'org.opencontainers.image.ref.name': 'latest' }, ...b.index };
  const indexBytes = enc.encode(JSON.stringify({ schemaVersion: 2, manifests: [desc] }));
  if (b.tamperLayer) {
    const bad = b.layer.slice();
    bad[bad.length >> 1]! ^= 1;
    b.files.set(`blobs/sha256/${sha(b.layer)}`, bad);
  }
  const read = async (rel: string) => {
    const m = /^docker\.io\/library\/test\/(.*)$/.exec(rel);
    if (!m) return undefined;
    return m[1] === 'index.json' ? indexBytes : b.files.get(m[1]!);
  };
  return { ...layoutSource(read), read };
}

async function pull(src: ImageSource) {
  const g = memoryStore();
  const err = await new ImageStore(g).pull(src, 'test').then(() => undefined, (e: unknown) => e);
  return { g, err: err as Error | undefined };
}

describe('pull verification', () => {
  it('accepts a well-formed image and records it', async () => {
    const { g, err } = await pull(build());
    expect(err).toBeUndefined();
    expect((await g.imageList()).map((i) => i.name)).toEqual(['docker.io/library/test:latest']);
    expect(await g.snapshotList()).toHaveLength(1);
    // manifest, config, layer
    expect(await g.contentList()).toHaveLength(3);
  });

  it.each<[string, (b: Built) => void, RegExp]>([
    ['a descriptor with a negative size', (b) => (b.index = { size: -1 }), /invalid size -1/],
    ['a descriptor with a string size', (b) => (b.index = { size: '12' }), /invalid size "12"/],
    ['a blob longer than its descriptor', (b) => (b.index = { size: 5 }), /size \d+ does not match the descriptor's 5/],
    ['a blob shorter than its descriptor', (b) => (b.index = { size: 10_000 }), /does not match the descriptor's 10000/],
    ['a digest that is a path', (b) => (b.index = { digest: 'sha256:../../../etc/passwd' }), /invalid digest/],
    ['an upper-case digest', (b) => (b.index = { digest: `sha256:${'A'.repeat(64)}` }), /invalid digest/],
    ['a blob whose content does not hash to its digest', (b) => (b.tamperLayer = true), /^blob sha256:[0-9a-f]{64}: content hashes to sha256:/],
    ['a manifest served as an index', (b) => (b.manifest = { mediaType: 'application/vnd.oci.image.index.v1+json' }), /served as application\/vnd\.oci\.image\.manifest\.v1\+json but is application\/vnd\.oci\.image\.index\.v1\+json/],
    ['an image without layers', (b) => (b.manifest = { layers: [] }), /image has no layers/],
    ['a config for another platform', (b) => (b.config.architecture = 'amd64'), /does not match the specified platform: wanted linux\/386, actual: linux\/amd64/],
    ['a config whose diff_ids do not match the layer', (b) => ((b.config.rootfs as { diff_ids: string[] }).diff_ids = [`sha256:${'1'.repeat(64)}`]), /uncompressed content is sha256:[0-9a-f]{64}, but the config says sha256:1{64}/],
    ['a config with the wrong number of diff_ids', (b) => ((b.config.rootfs as { diff_ids: string[] }).diff_ids = []), /0 diff_ids for 1 layers/],
    ['a config whose Cmd is not a list of strings', (b) => (b.config.config = { Cmd: 'sh' }), /Cmd must be a list of strings/],
    ['a layer that is not gzip', (b) => (b.layer = enc.encode('not gzip at all')), /not valid gzip/],
    ['a manifest that is not JSON', (b) => (b.manifestBytes = enc.encode('{"schemaVersion": 2,')), /not valid JSON/],
  ])('refuses %s, leaving nothing behind', async (_name, mutate, message) => {
    const { g, err } = await pull(build(mutate));
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(message);
    expect(err instanceof ImageError || err instanceof DockerError).toBe(true);
    expect(await g.imageList()).toEqual([]);
    expect(await g.snapshotList()).toEqual([]);
    expect(await g.contentList()).toEqual([]);
  });

  it('picks linux/386 from a multi-platform index and says what it had when it has none', async () => {
    const src = build();
    const inner = (await src.read('docker.io/library/test/index.json'))!;
    const manifestDesc = JSON.parse(new TextDecoder().decode(inner)).manifests[0];
    const mk = (platforms: Array<{ os: string; architecture: string }>) => {
      const list = enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: platforms.map((p) => ({ ...manifestDesc, annotations: undefined, platform: p })) }));
      const index = enc.encode(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: digest(list), size: list.length, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }));
      return layoutSource(async (rel) => (rel.endsWith('index.json') ? index : rel.endsWith(sha(list)) ? list : src.read(rel)));
    };
    expect((await pull(mk([{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: '386' }]))).err).toBeUndefined();
    const none = await pull(mk([{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }]));
    expect(none.err?.message).toBe(
      "no matching manifest for linux/386 in the manifest list entries: the image is built for linux/amd64, linux/arm64; Dockyard's emulated CPU runs linux/386 images only",
    );
  });

  it('says the tag is unknown, and the repository too', async () => {
    const g = memoryStore();
    await expect(new ImageStore(g).pull(build(), 'test:nope')).rejects.toThrow('manifest for test:nope not found: manifest unknown');
    await expect(new ImageStore(g).pull(build(), 'other')).rejects.toThrow("pull access denied for other, repository does not exist or may require 'docker login'");
  });
});
