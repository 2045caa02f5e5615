// The guest images in images/dist/ match images/dist/manifest.json, were
// built from the sources in the tree, and for the v86 that is installed; the
// bundled registry's OCI layouts are whole, content-addressed from the
// index.json the manifest names, and pass the host's own image checks.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  ARTIFACTS,
  CMDLINE,
  DIST_DIR,
  MANIFEST_PATH,
  MEMORY_MB,
  REGISTRY_IMAGES,
  REPO_ROOT,
  STATE_BUILT,
  STATE_FILE,
  describeSources,
  fileSha256,
  installedV86Version,
  layoutDir,
  layoutProblems,
  readManifest,
  sha256,
  sourceHash,
} from '../../images/artifacts.js';
import { parseConfig, parseIndex, parseIndexOrManifest, verifyBlob } from '../../src/common/oci/verify.js';
import { readTar } from '../../src/common/tar.js';
import { checkStateEntry, stateStamp } from '../../src/common/snapshot.js';
import { zstdDecompress } from '../../src/node/zstd.js';

const REBUILD = 'run `npm run images`';

describe('guest artifacts', () => {
  it('have a manifest', () => {
    expect(existsSync(MANIFEST_PATH), `${MANIFEST_PATH} missing: ${REBUILD}`).toBe(true);
    const m = readManifest();
    expect(m.schema).toBe(1);
    expect(m.cmdline, `CMDLINE (src/common/manifest.ts) changed: ${REBUILD}`).toBe(CMDLINE);
    expect(m.memoryMB, `MEMORY_MB (src/common/manifest.ts) changed: ${REBUILD}`).toBe(MEMORY_MB);
    expect(Object.keys(m.artifacts).sort()).toEqual(ARTIFACTS.map((a) => a.name).sort());
    expect(Object.keys(m.registry ?? {}).sort(), `registry images changed: ${REBUILD}`).toEqual(
      REGISTRY_IMAGES.map((i) => i.repo).sort(),
    );
  });

  describe.each(ARTIFACTS.map((a) => [a.name, a] as const))('%s', (name, a) => {
    it(`dist/${a.file} matches the manifest (size, sha256)`, () => {
      const entry = readManifest().artifacts[name];
      const path = join(DIST_DIR, a.file);
      expect(existsSync(path), `${path} missing: ${REBUILD}`).toBe(true);
      expect(entry.file).toBe(a.file);
      expect(statSync(path).size, `${a.file} size differs from manifest.json: ${REBUILD}`).toBe(entry.size);
      expect(fileSha256(path), `${a.file} sha256 differs from manifest.json: ${REBUILD}`).toBe(entry.sha256);
    });

    it('was built from the current sources', () => {
      const entry = readManifest().artifacts[name];
      expect(
        sourceHash(a),
        `${describeSources(a)} changed since the artifacts were built (${a.file}): ${REBUILD}`,
      ).toBe(entry.sources);
    });
  });

  it('were built for the installed v86', () => {
    expect(readManifest().v86, `node_modules/v86 is not the v86 the images were checked with: ${REBUILD}`).toBe(
      installedV86Version(),
    );
  });
});

describe('guest state snapshot', () => {
  const REBUILD_STATE = 'run `npm run images` (or `npm run images -- --only state`)';

  it(`dist/${STATE_FILE} matches the manifest (size, sha256) and is zstd`, () => {
    const s = readManifest().state;
    expect(s, `manifest.json has no state: ${REBUILD_STATE}`).toBeDefined();
    checkStateEntry(s);
    const path = join(DIST_DIR, STATE_FILE);
    expect(existsSync(path), `${path} missing: ${REBUILD_STATE}`).toBe(true);
    expect(s!.file).toBe(STATE_FILE);
    expect(statSync(path).size, `${STATE_FILE} size differs from manifest.json: ${REBUILD_STATE}`).toBe(s!.size);
    expect(fileSha256(path), `${STATE_FILE} sha256 differs from manifest.json: ${REBUILD_STATE}`).toBe(s!.sha256);
    expect([...readFileSync(path).subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
    expect(s!.rawSize).toBeGreaterThan(s!.size);
  });

  it('was saved from the current artifacts, memory size, command line and v86 (its stamp)', async () => {
    const m = readManifest();
    expect(m.state?.stamp, `the state does not fit the artifacts (the host would cold-boot): ${REBUILD_STATE}`).toBe(
      await stateStamp(m, installedV86Version()),
    );
  });

  it("holds the daemon's HELLO from the current guest", () => {
    const s = readManifest().state!;
    expect(s.hello.kernel).toMatch(/^6\.1\.\d+/);
    expect(s.hello.machine).toMatch(/^i[3-6]86$/);
    expect(s.hello.memKb).toBeGreaterThan(64 * 1024);
    expect(s.hello.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("decompresses with v86.wasm's own zstd to rawSize bytes of a v86 state (as the Node host does)", async () => {
    const s = readManifest().state!;
    const wasm = join(REPO_ROOT, 'node_modules', 'v86', 'build', 'v86.wasm');
    const raw = await zstdDecompress(wasm, readFileSync(join(DIST_DIR, STATE_FILE)), s.rawSize);
    expect(raw.byteLength).toBe(s.rawSize);
    const header = new Int32Array(raw, 0, 4);
    expect(header[0]! >>> 0, 'v86 state magic').toBe(0x86768676);
    expect(header[2], 'length in the header').toBe(s.rawSize);
  });

  it('was made by the current images/tools/make-state.ts', () => {
    expect(sourceHash(STATE_BUILT), `${describeSources(STATE_BUILT)} changed since the state was made: ${REBUILD_STATE}`).toBe(
      readManifest().state?.sources,
    );
  });
});

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}
interface Manifest {
  schemaVersion: number;
  mediaType: string;
  config: Desc;
  layers: Desc[];
}
interface Config {
  created: string;
  architecture: string;
  os: string;
  config: { Cmd?: string[]; Entrypoint?: string[]; Env?: string[]; WorkingDir?: string; User?: string };
  rootfs: { type: string; diff_ids: string[] };
  history: Array<{ created?: string; created_by?: string }>;
}

const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** What an image must hold (besides being a valid layout with its recipe's config), where the test knows. */
const EXPECT: Record<string, { cmd: string[]; check: (entries: ReturnType<typeof readTar>) => void }> = {
  busybox: {
    cmd: ['sh'],
    check: (entries) => {
      const byName = new Map(entries.map((e) => [e.name, e]));
      expect(byName.get('bin/busybox')?.type).toBe('file');
      expect(byName.get('bin/busybox')?.data.subarray(0, 4)).toEqual(new Uint8Array([0x7f, 0x45, 0x4c, 0x46]));
      for (const l of ['bin/sh', 'bin/ls', 'usr/bin/env', 'sbin/init']) expect(byName.get(l)?.type, l).toBe('other');
      for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'etc', 'root', 'tmp', 'home', 'var']) {
        expect(byName.get(d)?.type, d).toBe('dir');
      }
      const text = (n: string) => new TextDecoder().decode(byName.get(n)?.data);
      expect(text('etc/passwd')).toMatch(/^root:x:0:0:root:\/root:\/bin\/sh$/m);
      expect(text('etc/passwd')).toMatch(/^nobody:x:65534:65534:nobody:\/home:\/bin\/false$/m);
      expect(text('etc/group')).toMatch(/^nogroup:x:65534:$/m);
      expect(byName.has('etc/hostname')).toBe(false);
    },
  },
  'hello-world': {
    cmd: ['/hello'],
    check: (entries) => {
      expect(entries.map((e) => [e.name, e.type])).toEqual([['hello', 'file']]);
      expect(entries[0]?.data.subarray(0, 4)).toEqual(new Uint8Array([0x7f, 0x45, 0x4c, 0x46]));
      expect(new TextDecoder().decode(entries[0]?.data)).toContain('docker run -it busybox sh');
    },
  },
};

describe('bundled registry', () => {
  describe.each(REGISTRY_IMAGES.map((i) => [i.repo, i] as const))('%s', (repo, img) => {
    const dir = layoutDir(img);
    const blobDir = join(dir, 'blobs', 'sha256');
    const blob = (d: Desc): Buffer => readFileSync(join(blobDir, d.digest.replace(/^sha256:/, '')));
    const json = <T>(b: Buffer): T => JSON.parse(b.toString('utf8')) as T;
    const index = () => json<{ schemaVersion: number; mediaType: string; manifests: Desc[] }>(readFileSync(join(dir, 'index.json')));
    const manifest = () => json<Manifest>(blob(index().manifests[0]!));
    const config = () => json<Config>(blob(manifest().config));

    it('index.json matches the manifest (size, sha256)', () => {
      const entry = readManifest().registry?.[repo];
      expect(entry, `${repo} not in manifest.json: ${REBUILD}`).toBeDefined();
      const path = join(dir, 'index.json');
      expect(existsSync(path), `${path} missing: ${REBUILD}`).toBe(true);
      const bytes = readFileSync(path);
      expect(bytes.length, `${repo} index.json size differs from manifest.json: ${REBUILD}`).toBe(entry!.size);
      expect(sha256(bytes), `${repo} index.json sha256 differs from manifest.json: ${REBUILD}`).toBe(entry!.index);
    });

    it('is an OCI layout: every blob it names there, with its size and sha256, and nothing else', () => {
      // (the check write-manifest.ts makes before it records an image)
      expect(layoutProblems(img)).toEqual([]);
      expect(readdirSync(blobDir).length).toBe(3); // manifest, config, one layer
    });

    it('has the descriptors of one linux image', () => {
      const ix = index();
      expect(ix.schemaVersion).toBe(2);
      expect(ix.mediaType).toBe('application/vnd.oci.image.index.v1+json');
      expect(ix.manifests).toHaveLength(1);
      const top = ix.manifests[0]!;
      expect(top.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(top.annotations).toEqual({
        'io.containerd.image.name': `${repo}:${img.tag}`,
        'org.opencontainers.image.ref.name': img.tag,
      });
      const m = manifest();
      expect(m.schemaVersion).toBe(2);
      expect(m.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(m.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
      expect(m.layers.map((l) => l.mediaType)).toEqual(['application/vnd.oci.image.layer.v1.tar+gzip']);
    });

    it('is linux/386 and its diff_ids are the sha256 of its gunzipped layers', () => {
      const c = config();
      expect([c.os, c.architecture]).toEqual(['linux', '386']);
      expect(c.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const recipe = JSON.parse(readFileSync(join(REPO_ROOT, 'images', 'recipes', img.name, 'config.json'), 'utf8')) as Config['config'];
      expect(c.config).toEqual(recipe);
      if (EXPECT[img.name]) {
        expect(c.config.Cmd).toEqual(EXPECT[img.name]?.cmd);
        expect(c.config.Env).toEqual([PATH_ENV]);
      }
      expect(c.rootfs.type).toBe('layers');
      expect(c.rootfs.diff_ids).toEqual(manifest().layers.map((l) => `sha256:${sha256(gunzipSync(blob(l)))}`));
      expect(c.history).toHaveLength(1);
    });

    it('holds what it should', () => {
      const entries = readTar(new Uint8Array(gunzipSync(blob(manifest().layers[0]!))));
      EXPECT[img.name]?.check(entries);
    });

    it("passes the host's image checks", async () => {
      const ix = parseIndex(readFileSync(join(dir, 'index.json')), 'index.json');
      const top = ix.manifests[0]!;
      const mb = blob(top);
      await verifyBlob(top, mb);
      const parsed = parseIndexOrManifest(mb, top);
      expect('manifest' in parsed).toBe(true);
      if (!('manifest' in parsed)) return;
      const m = parsed.manifest;
      const cb = blob(m.config);
      await verifyBlob(m.config, cb);
      for (const l of m.layers) await verifyBlob(l, blob(l));
      const c = parseConfig(cb, m.config, m.layers.length);
      expect([c.os, c.architecture]).toEqual(['linux', '386']);
    });

    it('was built from the current sources', () => {
      const entry = readManifest().registry?.[repo];
      expect(
        sourceHash(img),
        `${describeSources(img)} changed since ${repo} was built: ${REBUILD}`,
      ).toBe(entry?.sources);
    });
  });
});
