// Image verification on the pull/load path, against hand-built images:
// every blob is checked before it is parsed or used, and a bad image leaves
// nothing behind in the guest.
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Attrs, encodeAttrs, type AttrList } from '../../src/common/protocol/attrs.js';
import { ImageError } from '../../src/common/oci/verify.js';
import { ImageStore, type ImageGuest } from '../../src/runtime/images.js';
import { DockerError } from '../../src/runtime/errors.js';
import { layoutSource, type RegistrySource } from '../../src/runtime/registry.js';
import { crc32 } from '../../src/common/protocol/crc32.js';
import { writeTar } from '../../src/common/tar.js';

const enc = new TextEncoder();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const digest = (b: Uint8Array) => `sha256:${sha(b)}`;

/** A guest that records what it was asked and keeps state like containerd-lite. */
class FakeGuest implements ImageGuest {
  ops: string[] = [];
  snapshots = new Set<string>();
  images = new Map<string, Uint8Array>();
  files = new Map<string, Uint8Array>();
  async call(fields: AttrList): Promise<Attrs> {
    const a = Attrs.decode(encodeAttrs(fields));
    const op = a.get('op')!;
    this.ops.push(op);
    switch (op) {
      case 'snapshot.list':
        return Attrs.decode(encodeAttrs([...this.snapshots].map((k) => ['key', k] as const)));
      case 'snapshot.apply':
        this.snapshots.add(a.get('key')!);
        return Attrs.decode(encodeAttrs([['size', String(this.files.get(a.get('path')!)!.length)]]));
      case 'image.put':
        this.images.set(a.get('name')!, a.bytes('record')!);
        return Attrs.decode(new Uint8Array(0));
      case 'image.list':
        return Attrs.decode(encodeAttrs([...this.images].map(([name, record]) => ['image', encodeAttrs([['name', name], ['record', record]])] as const)));
      default:
        return Attrs.decode(new Uint8Array(0));
    }
  }
  async writeFile(path: string, data: Uint8Array, opts: { gunzip?: boolean } = {}) {
    let bytes: Uint8Array;
    try {
      bytes = opts.gunzip ? new Uint8Array(gunzipSync(data)) : data;
    } catch (e) {
      throw new ImageError(`layer is not valid gzip: ${(e as Error).message}`);
    }
    this.files.set(path, bytes);
    return { size: bytes.length, sha256: sha(bytes), crc32: crc32(bytes) };
  }
  async readFile(path: string) {
    return this.files.get(path)!;
  }
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
function build(mutate: (b: Built) => void = () => {}): RegistrySource {
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
  return layoutSource(async (rel) => {
    const m = /^docker\.io\/library\/test\/(.*)$/.exec(rel);
    if (!m) return undefined;
    return m[1] === 'index.json' ? indexBytes : b.files.get(m[1]!);
  });
}

async function pull(src: RegistrySource) {
  const g = new FakeGuest();
  const err = await new ImageStore(g).pull(src, 'test').then(() => undefined, (e: unknown) => e);
  return { g, err: err as Error | undefined };
}

describe('pull verification', () => {
  it('accepts a well-formed image and records it', async () => {
    const { g, err } = await pull(build());
    expect(err).toBeUndefined();
    expect([...g.images.keys()]).toEqual(['docker.io/library/test:latest']);
    expect(g.ops).toContain('snapshot.apply');
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
    expect(g.images.size).toBe(0);
    expect(g.snapshots.size).toBe(0);
  });

  it('picks linux/386 from a multi-platform index and says what it had when it has none', async () => {
    const src = build();
    const inner = await src.index('docker.io', 'library/test');
    const manifestDesc = JSON.parse(new TextDecoder().decode(inner)).manifests[0];
    const mk = (platforms: Array<{ os: string; architecture: string }>) => {
      const list = enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: platforms.map((p) => ({ ...manifestDesc, annotations: undefined, platform: p })) }));
      const index = enc.encode(JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', digest: digest(list), size: list.length, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }));
      return layoutSource(async (rel) => (rel.endsWith('index.json') ? index : rel.endsWith(sha(list)) ? list : src.blob('docker.io', 'library/test', `sha256:${rel.split('/').pop()}`).catch(() => undefined)));
    };
    expect((await pull(mk([{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: '386' }]))).err).toBeUndefined();
    const none = await pull(mk([{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }]));
    expect(none.err?.message).toBe('no matching manifest for linux/386 in the manifest list entries (has: linux/amd64, linux/arm64)');
  });

  it('says the tag is unknown, and the repository too', async () => {
    const g = new FakeGuest();
    await expect(new ImageStore(g).pull(build(), 'test:nope')).rejects.toThrow('manifest for test:nope not found: manifest unknown');
    await expect(new ImageStore(g).pull(build(), 'other')).rejects.toThrow("pull access denied for other, repository does not exist or may require 'docker login'");
  });
});
