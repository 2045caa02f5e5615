// The catalog's host side: the registry source the CLI puts behind the
// bundled registry, and that the builder's tree → layer step gives the same
// bytes for two builds that differ only in what a build's time leaves
// behind (the full build runs in test/vm/catalog.test.ts).
import { chownSync, mkdirSync, statSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copyRecipeRootfs, diffLayer, finishTree, recipeConfig, recipePackages } from '../../images/tools/catalog.js';
import { buildLayout, reproducibleTar, RUN_CONFIG_KEYS, sha256 } from '../../images/tools/oci-layout.js';
import { CATALOG, CATALOG_MANIFEST } from '../../src/common/catalog.js';
import { catalogCache, withCatalog } from '../../src/node/catalog.js';
import { parseReference } from '../../src/common/oci/reference.js';
import { NotFoundError } from '../../src/runtime/distribution.js';
import type { ImageSource } from '../../src/runtime/registry.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'catalog-unit-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A bundled registry with nothing in it. */
const nothing: ImageSource & { has(): boolean } = {
  has: () => false,
  resolve: async (ref) => {
    throw new NotFoundError(`pull access denied for ${ref.path}`);
  },
};
const resolve = (src: ImageSource, name: string) => src.resolve(parseReference(name));

/** A catalog cache holding one build with debian's index.json (and INDEX's manifest blob). */
function builtCatalog(index: string, recorded = index): string {
  const cache = tmp();
  const key = 'a'.repeat(32);
  mkdirSync(join(cache, key, 'registry', 'docker.io', 'library', 'debian'), { recursive: true });
  writeFileSync(join(cache, 'current'), `${key}\n`);
  writeFileSync(join(cache, key, 'registry', 'docker.io', 'library', 'debian', 'index.json'), index);
  const bytes = Buffer.from(recorded);
  writeFileSync(
    join(cache, key, CATALOG_MANIFEST),
    JSON.stringify({ schema: 1, images: { 'docker.io/library/debian': { index: sha256(bytes), size: bytes.length, tags: ['bookworm-slim'], compressed: 1, unpacked: 1, debian: {} } } }),
  );
  return cache;
}

describe('the catalog as a registry source', () => {
  const manifest = '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}';
  const hex = sha256(Buffer.from(manifest));
  const index = JSON.stringify({
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${hex}`, size: manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'bookworm-slim' } }],
  });
  const withBlob = (cache: string) => {
    const dir = join(cache, 'a'.repeat(32), 'registry', 'docker.io', 'library', 'debian', 'blobs', 'sha256');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, hex), manifest);
    return cache;
  };

  it('serves a built image whose index.json matches catalog.json', async () => {
    const src = withCatalog(nothing, withBlob(builtCatalog(index)));
    const r = await resolve(src, 'debian:bookworm-slim');
    expect(r.desc.digest).toBe(`sha256:${hex}`);
    expect(new TextDecoder().decode(r.bytes)).toBe(manifest);
    expect(src.runnable).toEqual(['debian']);
    // what `docker search` shows offline
    expect(src.describe?.('debian')).toMatch(/^Debian 12 \(bookworm\) minbase.*; :bookworm-slim; 0\.0 MB compressed, 0\.0 MB unpacked$/);
    expect(src.describe?.('busybox')).toBeUndefined();
  });

  it('refuses an index.json that catalog.json does not name', async () => {
    const src = withCatalog(nothing, withBlob(builtCatalog(`${index} `, index)));
    await expect(resolve(src, 'debian:bookworm-slim')).rejects.toThrow(/index.json does not match the catalog's catalog.json/);
  });

  it('says how to build a catalog image that is not built here (a NotFoundError: a reachable registry is still asked)', async () => {
    const src = withCatalog(nothing, tmp());
    expect(src.has(parseReference('python:3.11-slim'))).toBe(true);
    await expect(resolve(src, 'python:3.11-slim')).rejects.toThrow(NotFoundError);
    await expect(resolve(src, 'python:3.11-slim')).rejects.toThrow(/^python is in Dockyard's catalog but was not built here: `npm run catalog`/);
  });

  it('names the closest image that runs for a well-known image with no linux/386 build', async () => {
    const src = withCatalog(nothing, tmp());
    for (const name of ['node', 'ubuntu:22.04', 'mysql', 'jenkins/jenkins']) {
      const familiar = name.replace(/:.*/, '');
      await expect(resolve(src, name)).rejects.toThrow(new RegExp(`^no linux/386 image of ${familiar} exists, here or on Docker Hub .*the closest that runs here: .*debian:bookworm-slim`));
    }
  });

  it('keeps builds outside the checkout (npm ci empties node_modules)', () => {
    expect(catalogCache({ DOCKYARD_CACHE: '/srv/c' })).toBe('/srv/c/catalog');
    expect(catalogCache({ XDG_CACHE_HOME: '/home/u/.cache' })).toBe('/home/u/.cache/dockyard/catalog');
  });

  it('leaves other names to the registry it wraps', async () => {
    const src = withCatalog(nothing, tmp());
    expect(src.has(parseReference('nosuch'))).toBe(false);
    await expect(resolve(src, 'nosuch')).rejects.toThrow('pull access denied for library/nosuch');
  });
});

describe('the builder: same packages, same bytes', () => {
  /** A tree as the guest leaves it, with what a build's time and host put in it. */
  function tree(day: string, mtime: number, log: string): string {
    const r = tmp();
    for (const d of ['etc', 'var/log/apt', 'var/lib/dpkg', 'var/cache/debconf', 'var/cache/ldconfig', 'usr/share/doc/bash', 'usr/share/man/man1', 'usr/bin', 'tmp', 'dev']) mkdirSync(join(r, d), { recursive: true });
    writeFileSync(join(r, 'etc/shadow'), `root:*:${day}:0:99999:7:::\ndaemon:*:${day}:0:99999:7:::\n`);
    writeFileSync(join(r, 'etc/shadow-'), `root:*:${day}:0:99999:7:::\n`);
    writeFileSync(join(r, 'var/log/dpkg.log'), log);
    writeFileSync(join(r, 'var/log/apt/history.log'), log);
    writeFileSync(join(r, 'var/lib/dpkg/status'), 'Package: bash\nStatus: install ok installed\n');
    writeFileSync(join(r, 'var/lib/dpkg/status-old'), log);
    writeFileSync(join(r, 'var/cache/debconf/config.dat-old'), log);
    writeFileSync(join(r, 'var/cache/ldconfig/aux-cache'), log);
    writeFileSync(join(r, 'usr/share/doc/bash/copyright'), 'GPL\n');
    writeFileSync(join(r, 'usr/share/doc/bash/README'), 'read me\n');
    writeFileSync(join(r, 'usr/share/man/man1/bash.1.gz'), 'man\n');
    writeFileSync(join(r, 'usr/bin/bash'), 'ELF');
    writeFileSync(join(r, 'etc/hostname'), log);
    symlinkSync('bash', join(r, 'usr/bin/sh'));
    for (const f of ['usr/bin/bash', 'etc/shadow', 'var/lib/dpkg/status']) utimesSync(join(r, f), mtime, mtime);
    return r;
  }

  it('two trees from builds on different days give one layer, slim and without logs', () => {
    const epoch = 1_700_000_000;
    const a = tree('20000', 1_750_000_000, 'built on Monday\n');
    const b = tree('20412', 1_760_000_000, 'built on a Friday, later\n');
    finishTree(a, epoch);
    finishTree(b, epoch);
    const ta = reproducibleTar(a, epoch, { owners: 'keep' });
    expect(sha256(reproducibleTar(b, epoch, { owners: 'keep' }))).toBe(sha256(ta));
    expect(readFileSync(join(a, 'etc/shadow'), 'utf8')).toBe(`root:*:${Math.floor(epoch / 86400)}:0:99999:7:::\ndaemon:*:${Math.floor(epoch / 86400)}:0:99999:7:::\n`);
    const names = new TextDecoder().decode(ta);
    for (const gone of ['dpkg.log', 'history.log', 'status-old', 'config.dat-old', 'aux-cache', 'shadow-', 'README', 'bash.1.gz', 'hostname']) expect(names).not.toContain(gone);
    expect(names).toContain('usr/share/doc/bash/copyright');
    expect(readFileSync(join(a, 'etc/dpkg/dpkg.cfg.d/docker'), 'utf8')).toContain('path-exclude /usr/share/man/*');
  });

  it('a layer over a tree: what changed, and a whiteout for what went', () => {
    const lower = tmp();
    const upper = tmp();
    for (const r of [lower, upper]) {
      mkdirSync(join(r, 'etc'));
      writeFileSync(join(r, 'etc/same'), 'same\n');
    }
    writeFileSync(join(lower, 'etc/gone'), 'x\n');
    writeFileSync(join(lower, 'etc/changed'), 'old\n');
    writeFileSync(join(upper, 'etc/changed'), 'new\n');
    mkdirSync(join(upper, 'usr/bin'), { recursive: true });
    writeFileSync(join(upper, 'usr/bin/python3'), 'ELF');
    const root = process.getuid?.() === 0;
    if (root) chownSync(join(upper, 'usr/bin/python3'), 0, 42);
    const stage = tmp();
    expect(diffLayer(lower, upper, stage)).toEqual(['etc', 'etc/.wh.gone', 'etc/changed', 'usr', 'usr/bin', 'usr/bin/python3']);
    expect(readFileSync(join(stage, 'etc/changed'), 'utf8')).toBe('new\n');
    // owners as they were (the shadow group's files, say)
    if (root) expect(statSync(join(stage, 'usr/bin/python3')).gid).toBe(42);
  });

  it("every recipe's config reaches the image's config, in the image spec's field order", () => {
    for (const img of CATALOG) {
      expect(recipePackages(img.name).length, img.name).toBeGreaterThan(0);
      const run = recipeConfig(img.name);
      const layout = buildLayout({ name: img.repo, tag: img.tags[0]!, created: '2026-01-01T00:00:00Z', run, layers: [] });
      const configBlob = [...layout.blobs.values()].find((b) => b.includes('"rootfs"'))!;
      const config = (JSON.parse(configBlob.toString('utf8')) as { config: Record<string, unknown> }).config;
      expect(config, img.name).toEqual(run);
      const order = Object.keys(config).map((k) => RUN_CONFIG_KEYS.indexOf(k as (typeof RUN_CONFIG_KEYS)[number]));
      expect(order, img.name).toEqual([...order].sort((x, y) => x - y));
      expect(order, img.name).not.toContain(-1);
    }
    expect(recipeConfig('nginx')).toMatchObject({ Cmd: ['nginx', '-g', 'daemon off;'], StopSignal: 'SIGQUIT', ExposedPorts: { '80/tcp': {} } });
    expect(recipeConfig('postgres')).toMatchObject({ StopSignal: 'SIGINT', Volumes: { '/var/lib/postgresql/data': {} }, ExposedPorts: { '5432/tcp': {} } });
  });

  it("a recipe's rootfs lands with git's modes (0755 or 0644), whatever the checkout's umask", () => {
    const a = tmp();
    copyRecipeRootfs('postgres', a);
    expect(statSync(join(a, 'usr/local/bin/docker-entrypoint.sh')).mode & 0o7777).toBe(0o755);
    expect(statSync(join(a, 'etc/postgresql-common/createcluster.d/docker.conf')).mode & 0o7777).toBe(0o644);
    expect(readFileSync(join(a, 'etc/postgresql-common/createcluster.d/docker.conf'), 'utf8')).toMatch(/^create_main_cluster = false$/m);
  });
});
