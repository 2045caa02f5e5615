// The guest artifacts images/build.sh produces, the sources each is built
// from, and the hashes images/dist/manifest.json records for them.
// Imported by images/tools/write-manifest.ts and test/unit/artifacts.test.ts.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StateEntry } from '../src/common/snapshot.js';

/** Repository root (this file lives in images/). */
export const REPO_ROOT: string = fileURLToPath(new URL('..', import.meta.url));
export const DIST_DIR: string = join(REPO_ROOT, 'images', 'dist');
export const MANIFEST_PATH: string = join(DIST_DIR, 'manifest.json');
export const MANIFEST_SCHEMA = 1;

/**
 * Kernel command line the host boots the guest with (copied into the
 * manifest). The kernel log goes to ttyS0; hvc0 is the shell, hvc1 the
 * containerd-lite channel.
 */
export const CMDLINE = 'console=ttyS0 quiet';
/** Guest RAM the images are sized and tested for. */
export const MEMORY_MB = 128;

export type ArtifactName = 'bios' | 'kernel' | 'initrd';

/** A file, or a directory walked recursively, relative to the repo root. */
export interface SourceSpec {
  readonly path: string;
  /** Directory names (relative to `path`) left out, with everything below. */
  readonly excludeDirs?: readonly string[];
  /** File name suffixes left out anywhere below `path`, e.g. '.md'. */
  readonly excludeSuffixes?: readonly string[];
}

export interface Artifact {
  readonly name: ArtifactName;
  /** File name in images/dist/. */
  readonly file: string;
  readonly sources: readonly SourceSpec[];
}

const BUILD_SH: SourceSpec = { path: 'images/build.sh' };

export const ARTIFACTS: readonly Artifact[] = [
  { name: 'bios', file: 'bios.bin', sources: [BUILD_SH] },
  { name: 'kernel', file: 'bzImage', sources: [{ path: 'images/kernel' }, BUILD_SH] },
  {
    name: 'initrd',
    file: 'initramfs.cpio.gz',
    sources: [
      { path: 'images/initramfs' },
      { path: 'images/containerd-lite', excludeDirs: ['build', 'tests', 'fuzz'], excludeSuffixes: ['.md'] },
      BUILD_SH,
    ],
  },
];

const OCI_LAYOUT_TS: SourceSpec = { path: 'images/tools/oci-layout.ts' };

/**
 * An image of the bundled registry: an OCI image layout in
 * images/dist/registry/<repo>/ (the host reads `<base>/<repo>/index.json`
 * and `<base>/<repo>/blobs/sha256/<hex>`), made by images/build.sh from
 * images/recipes/<name>/ with images/tools/oci-layout.ts.
 */
export interface RegistryImage {
  /** Short name, as in `write-manifest.ts --check busybox`; the recipe dir. */
  readonly name: string;
  /** Repository, `domain/path`: key in manifest.registry and layout dir. */
  readonly repo: string;
  /** The one tag in the layout's index.json. */
  readonly tag: string;
  readonly sources: readonly SourceSpec[];
}

export const REGISTRY_DIR: string = join(DIST_DIR, 'registry');

export const REGISTRY_IMAGES: readonly RegistryImage[] = ['busybox', 'hello-world'].map((name) => ({
  name,
  repo: `docker.io/library/${name}`,
  tag: 'latest',
  sources: [{ path: `images/recipes/${name}` }, OCI_LAYOUT_TS, BUILD_SH],
}));

/** Directory of an image's OCI layout. */
export function layoutDir(img: RegistryImage): string {
  return join(REGISTRY_DIR, ...img.repo.split('/'));
}

export function artifact(name: ArtifactName): Artifact {
  const a = ARTIFACTS.find((x) => x.name === name);
  if (!a) throw new Error(`unknown artifact ${name}`);
  return a;
}

/** Anything built from sources: an artifact or a registry image. */
export interface Built {
  readonly sources: readonly SourceSpec[];
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

export interface ManifestArtifact {
  file: string;
  size: number;
  sha256: string;
  /** sourceHash() of the artifact when it was built. */
  sources: string;
  /** Debian packages (name[:arch] → version) the artifact was built from. */
  debian: Record<string, string>;
}

/** manifest.registry[repo]: the root of trust of an image's layout. */
export interface ManifestImage {
  /** sha256 (hex) of the layout's index.json; index → manifest → config → layers are content-addressed. */
  index: string;
  /** Size of index.json in bytes. */
  size: number;
  /** sourceHash() of the image when it was built. */
  sources: string;
  /** Debian packages (name[:arch] → version) the image was built from. */
  debian: Record<string, string>;
}

/**
 * The guest state snapshot (images/tools/make-state.ts): the built artifacts
 * booted under v86 and saved with the daemon idle after its HELLO.
 * Not reproducible byte for byte; a state is current when its stamp is
 * stateStamp() of the manifest's artifacts and the installed v86.
 */
export const STATE_FILE = 'state.bin.zst';
export const STATE_BUILT: Built = { sources: [{ path: 'images/tools/make-state.ts' }] };

/** manifest.state: what the host reads (StateEntry) and the tool's source hash. */
export interface ManifestState extends StateEntry {
  /** sourceHash(STATE_BUILT) when the state was saved */
  sources: string;
}

export interface Manifest {
  schema: number;
  /** v86 version the images were built and boot-checked for. */
  v86: string;
  cmdline: string;
  memoryMB: number;
  artifacts: Record<ArtifactName, ManifestArtifact>;
  /** Bundled registry images, by repository (docker.io/library/busybox). */
  registry: Record<string, ManifestImage>;
  /** The saved guest state; absent until `npm run images` has made one. */
  state?: ManifestState;
}

export function readManifest(path: string = MANIFEST_PATH): Manifest {
  return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
}

/** Version of the installed v86 package (node_modules/v86/package.json). */
export function installedV86Version(root: string = REPO_ROOT): string {
  const pkg = JSON.parse(readFileSync(join(root, 'node_modules', 'v86', 'package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

interface LayoutDescriptor {
  mediaType?: unknown;
  digest?: unknown;
  size?: unknown;
}

/**
 * What is wrong with an image's layout in dist (empty when nothing): every
 * blob the index reaches (manifest, config, layers) must be there with the
 * size and sha256 its descriptor names, and nothing else may be in blobs/.
 * Does not compare index.json with the manifest.
 */
export function layoutProblems(img: RegistryImage, dir: string = layoutDir(img)): string[] {
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
  return problems;
}
