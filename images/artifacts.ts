// The build side of the guest artifacts: the sources each artifact and
// bundled image is built from, their hashes, and the checks
// images/dist/manifest.json is written and tested with. What the artifacts
// are (names, files, the bundled images) and the manifest's shape are in
// src/common/manifest.ts, the one list everything reads.
// Imported by images/tools/*.ts and test/unit/artifacts.test.ts.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ARTIFACTS as ARTIFACT_SPECS,
  MANIFEST_FILE,
  REGISTRY_DIR as REGISTRY_SUBDIR,
  REGISTRY_IMAGES as IMAGE_SPECS,
  parseManifest,
  type ArtifactName,
  type ArtifactSpec,
  type Manifest,
  type RegistryImage as ImageSpec,
} from '../src/common/manifest.js';
import { v86Version } from '../src/node/v86.js';

export {
  CMDLINE,
  MANIFEST_SCHEMA,
  MEMORY_MB,
  STATE_FILE,
  type ArtifactEntry,
  type ArtifactName,
  type Manifest,
  type ManifestState,
  type RegistryEntry,
} from '../src/common/manifest.js';

/** Repository root (this file lives in images/). */
export const REPO_ROOT: string = fileURLToPath(new URL('..', import.meta.url));
export const DIST_DIR: string = join(REPO_ROOT, 'images', 'dist');
export const MANIFEST_PATH: string = join(DIST_DIR, MANIFEST_FILE);

/** A file, or a directory walked recursively, relative to the repo root. */
export interface SourceSpec {
  readonly path: string;
  /** Directory names (relative to `path`) left out, with everything below. */
  readonly excludeDirs?: readonly string[];
  /** File name suffixes left out anywhere below `path`, e.g. '.md'. */
  readonly excludeSuffixes?: readonly string[];
}

/** Anything built from sources: an artifact, a registry image, the state. */
export interface Built {
  readonly sources: readonly SourceSpec[];
}

export interface Artifact extends ArtifactSpec, Built {
  readonly name: ArtifactName;
}

const BUILD_SH: SourceSpec = { path: 'images/build.sh' };

const ARTIFACT_SOURCES: Record<ArtifactName, readonly SourceSpec[]> = {
  bios: [BUILD_SH],
  kernel: [{ path: 'images/kernel' }, BUILD_SH],
  initrd: [
    { path: 'images/initramfs' },
    { path: 'images/containerd-lite', excludeDirs: ['build', 'tests', 'fuzz'], excludeSuffixes: ['.md'] },
    BUILD_SH,
  ],
};

/** src/common/manifest.ts ARTIFACTS, with the sources each is built from. */
export const ARTIFACTS: readonly Artifact[] = ARTIFACT_SPECS.map((a) => ({ ...a, sources: ARTIFACT_SOURCES[a.name] }));

const OCI_LAYOUT_TS: SourceSpec = { path: 'images/tools/oci-layout.ts' };

/**
 * An image of the bundled registry: an OCI image layout in
 * images/dist/registry/<repo>/, made by images/build.sh from
 * images/recipes/<name>/ with images/tools/oci-layout.ts.
 */
export interface RegistryImage extends ImageSpec, Built {}

export const REGISTRY_DIR: string = join(DIST_DIR, REGISTRY_SUBDIR);

/** src/common/manifest.ts REGISTRY_IMAGES, with their sources: the recipe folder, oci-layout.ts, build.sh. */
export const REGISTRY_IMAGES: readonly RegistryImage[] = IMAGE_SPECS.map((img) => ({
  ...img,
  sources: [{ path: `images/recipes/${img.name}` }, OCI_LAYOUT_TS, BUILD_SH],
}));

/**
 * The guest state snapshot (images/tools/make-state.ts): the built artifacts
 * booted under v86 and saved with the daemon idle after its HELLO.
 * Not reproducible byte for byte; a state is current when its stamp is
 * stateStamp() of the manifest's artifacts and the installed v86.
 */
export const STATE_BUILT: Built = { sources: [{ path: 'images/tools/make-state.ts' }] };

/** Directory of an image's OCI layout. */
export function layoutDir(img: Pick<RegistryImage, 'repo'>): string {
  return join(REGISTRY_DIR, ...img.repo.split('/'));
}

export function artifact(name: ArtifactName): Artifact {
  const a = ARTIFACTS.find((x) => x.name === name);
  if (!a) throw new Error(`unknown artifact ${name}`);
  return a;
}

/** Human-readable description of an artifact's sources, e.g. for error messages. */
export function describeSources(a: Built): string {
  return a.sources
    .map((s) => {
      const ex = [...(s.excludeDirs ?? []).map((d) => `${d}/`), ...(s.excludeSuffixes ?? []).map((x) => `*${x}`)];
      return s.path + (ex.length ? ` (except ${ex.join(', ')})` : '');
    })
    .join(', ');
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function fileSha256(path: string): string {
  return sha256(readFileSync(path));
}

/** Repo-relative, '/'-separated paths of every file an artifact is built from, sorted. */
export function sourceFiles(a: Built, root: string = REPO_ROOT): string[] {
  const out: string[] = [];
  for (const spec of a.sources) {
    const excludeDirs = new Set(spec.excludeDirs ?? []);
    const suffixes = spec.excludeSuffixes ?? [];
    const walk = (rel: string, inner: string): void => {
      const st = lstatSync(join(root, rel));
      if (st.isDirectory()) {
        if (inner !== '' && excludeDirs.has(inner)) return;
        for (const name of readdirSync(join(root, rel))) {
          walk(`${rel}/${name}`, inner === '' ? name : `${inner}/${name}`);
        }
      } else if (!suffixes.some((x) => rel.endsWith(x))) {
        out.push(rel);
      }
    };
    if (!existsSync(join(root, spec.path))) throw new Error(`source ${spec.path} does not exist`);
    walk(spec.path, '');
  }
  return [...new Set(out)].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

/**
 * Source hash of an artifact: sha256 over the sorted lines
 * `relative/path\0sha256-of-file\n` (a symlink hashes its target text).
 */
export function sourceHash(a: Built, root: string = REPO_ROOT): string {
  const lines = sourceFiles(a, root).map((rel) => {
    const p = join(root, rel);
    const digest = lstatSync(p).isSymbolicLink() ? sha256(`symlink:${readlinkSync(p)}`) : fileSha256(p);
    return `${rel}\0${digest}\n`;
  });
  lines.sort();
  return sha256(lines.join(''));
}

export function readManifest(path: string = MANIFEST_PATH): Manifest {
  return parseManifest(readFileSync(path, 'utf8'));
}

/** Version of the installed v86 package (src/node/v86.ts). */
export function installedV86Version(root: string = REPO_ROOT): string {
  return v86Version(root);
}

interface LayoutDescriptor {
  mediaType?: unknown;
  digest?: unknown;
  size?: unknown;
}

/**
 * What is wrong with an image's layout in dist (empty when nothing): it must
 * hold oci-layout, index.json and blobs/sha256/ and nothing else; every
 * blob the index reaches (manifest, config, layers) must be there with the
 * size and sha256 its descriptor names, and nothing else may be in blobs/.
 * Does not compare index.json with the manifest. The one layout check:
 * write-manifest.ts records an image only when it passes, and
 * test/unit/artifacts.test.ts requires it of the committed ones.
 */
export function layoutProblems(img: Pick<RegistryImage, 'repo' | 'tag'>, dir: string = layoutDir(img)): string[] {
  const problems: string[] = [];
  const blobDir = join(dir, 'blobs', 'sha256');
  const seen = new Set<string>();
  const load = (d: LayoutDescriptor | undefined, what: string): Buffer | undefined => {
    if (!d || typeof d.digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(d.digest) || typeof d.size !== 'number') {
      problems.push(`${what}: bad descriptor`);
      return undefined;
    }
    const hex = d.digest.slice(7);
    seen.add(hex);
    const path = join(blobDir, hex);
    if (!existsSync(path)) {
      problems.push(`${what}: blob ${hex} missing`);
      return undefined;
    }
    const b = readFileSync(path);
    if (b.length !== d.size) problems.push(`${what}: blob ${hex} is ${b.length} bytes, not ${d.size}`);
    if (sha256(b) !== hex) problems.push(`${what}: blob ${hex} hashes to ${sha256(b)}`);
    return b;
  };
  const parse = <T>(b: Buffer | undefined, what: string): T | undefined => {
    if (b === undefined) return undefined;
    try {
      return JSON.parse(b.toString('utf8')) as T;
    } catch {
      problems.push(`${what}: not JSON`);
      return undefined;
    }
  };
  const ociLayout = join(dir, 'oci-layout');
  if (!existsSync(ociLayout) || readFileSync(ociLayout, 'utf8') !== '{"imageLayoutVersion":"1.0.0"}') {
    problems.push('oci-layout missing or wrong');
  }
  const indexPath = join(dir, 'index.json');
  if (!existsSync(indexPath)) problems.push('index.json missing');
  const index = parse<{ manifests?: Array<LayoutDescriptor & { annotations?: Record<string, string> }> }>(
    existsSync(indexPath) ? readFileSync(indexPath) : undefined,
    'index.json',
  );
  const top = index?.manifests?.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === img.tag);
  if (index && !top) problems.push(`index.json: no manifest tagged ${img.tag}`);
  const manifest = parse<{ config?: LayoutDescriptor; layers?: LayoutDescriptor[] }>(load(top, 'manifest'), 'manifest');
  if (manifest) {
    load(manifest.config, 'config');
    (manifest.layers ?? []).forEach((l, i) => load(l, `layer ${i}`));
  }
  if (existsSync(blobDir)) {
    for (const f of readdirSync(blobDir)) if (!seen.has(f)) problems.push(`stray blob ${f}`);
  }
  const extra = (d: string, allowed: readonly string[]) => {
    if (existsSync(d)) for (const f of readdirSync(d)) if (!allowed.includes(f)) problems.push(`unexpected ${relative(dir, join(d, f))}`);
  };
  extra(dir, ['oci-layout', 'index.json', 'blobs']);
  extra(join(dir, 'blobs'), ['sha256']);
  return problems;
}
