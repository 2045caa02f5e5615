// dockyard mirror: linux/386 images from a registry (Debian's docker-registry,
// seeded by skopeo) into the bundled registry's layout, every blob verified;
// the layout then serves pulls with the registry gone, trusted through the
// index.json hashes the build computes.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMirror } from '../../build/mirror-registry.js';
import type { Manifest } from '../../src/common/manifest.js';
import { MemoryBlobs } from '../../src/common/store/blobs.js';
import { HostStore } from '../../src/common/store/host-store.js';
import { mirrorCommand } from '../../src/node/mirror-command.js';
import { ImageStore } from '../../src/runtime/images.js';
import { bundledRegistry } from '../../src/runtime/registry.js';
import { bundledLayout, HAVE_REGISTRY, multiArchLayout, skopeoCopy, startRegistry, type LocalRegistry } from '../fixtures/registry.js';

const root = process.cwd();

describe.skipIf(!HAVE_REGISTRY)('dockyard mirror', () => {
  let reg: LocalRegistry;
  const out = mkdtempSync(join(tmpdir(), 'dockyard-mirror-'));
  const run = async (args: string[]) => {
    let o = '';
    let e = '';
    const status = await mirrorCommand(args, mkdtempSync(join(tmpdir(), 'dockyard-mirror-home-')), (s) => (o += s), (s) => (e += s));
    return { status, out: o, err: e };
  };

  beforeAll(async () => {
    reg = await startRegistry();
    await skopeoCopy(`oci:${bundledLayout(root, 'busybox')}:latest`, `docker://${reg.host}/team/tool:1`);
    await skopeoCopy(`oci:${multiArchLayout(root, ['linux/amd64', 'linux/386'])}:latest`, `docker://${reg.host}/multi/both:latest`, { all: true });
    await skopeoCopy(`oci:${multiArchLayout(root, ['linux/amd64', 'linux/arm64'], 'lts')}:lts`, `docker://${reg.host}/jenkins/jenkins:lts`, { all: true });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('copies the linux/386 image of each name into the layout, and refuses one that has none, writing nothing for it', async () => {
    const r = await run([`${reg.host}/team/tool:1`, `${reg.host}/multi/both`, '--out', out]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(new RegExp(`^[0-9a-f]{12}: Pull complete\\nDigest: sha256:[0-9a-f]{64}\\nMirrored ${reg.host}/team/tool:1 \\(linux/386\\) into ${out}\\n`));
    const index = JSON.parse(readFileSync(join(out, reg.host, 'team/tool/index.json'), 'utf8')) as { manifests: Array<{ annotations: Record<string, string> }> };
    expect(index.manifests.map((m) => m.annotations)).toEqual([{ 'io.containerd.image.name': `${reg.host}/team/tool:1`, 'org.opencontainers.image.ref.name': '1' }]);
    const bad = await run([`${reg.host}/jenkins/jenkins:lts`, '-o', out]);
    expect(bad.status).toBe(1);
    expect(bad.err).toMatch(/^Error: .*jenkins:lts: no matching manifest for linux\/386 in the manifest list entries: the image is built for linux\/amd64, linux\/arm64/);
    expect(existsSync(join(out, reg.host, 'jenkins'))).toBe(false);
  });

  it('serves pulls from the layout with the registry gone, each repository trusted by its index.json hash', async () => {
    await reg.stop();
    const mirror = readMirror(out, ['docker.io/library/busybox']);
    const repo = `${reg.host}/team/tool`;
    const indexBytes = readFileSync(join(out, repo, 'index.json'));
    expect(mirror.entries[repo]).toEqual({ index: createHash('sha256').update(indexBytes).digest('hex'), size: indexBytes.length });
    expect(Object.keys(mirror.entries).sort()).toEqual([`${reg.host}/multi/both`, repo]);
    const manifest = { registry: Object.fromEntries(Object.entries(mirror.entries).map(([k, v]) => [k, { ...v, sources: '', debian: {} }])) } as unknown as Manifest;
    const source = bundledRegistry(manifest, (rel) => Promise.resolve(existsSync(join(out, rel)) ? new Uint8Array(readFileSync(join(out, rel))) : undefined));
    const images = new ImageStore(new HostStore(new MemoryBlobs(), async (gz) => new Uint8Array(gunzipSync(gz))));
    expect((await images.pull(source, `${reg.host}/multi/both`)).architecture).toBe('386');
    expect((await images.pull(source, `${reg.host}/team/tool:1`)).name).toBe(`${repo}:1`);
    expect(() => readMirror(out, [repo])).toThrow(`${repo} is bundled already`);
  });
});
