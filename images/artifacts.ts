// The guest artifacts images/build.sh produces, the sources each is built
// from, and the hashes images/dist/manifest.json records for them.
// Imported by images/tools/write-manifest.ts and test/unit/artifacts.test.ts.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
      { path: 'images/containerd-lite', excludeDirs: ['build', 'tests'], excludeSuffixes: ['.md'] },
      BUILD_SH,
    ],
  },
];

export function artifact(name: ArtifactName): Artifact {
  const a = ARTIFACTS.find((x) => x.name === name);
  if (!a) throw new Error(`unknown artifact ${name}`);
  return a;
}

/** Human-readable description of an artifact's sources, e.g. for error messages. */
export function describeSources(a: Artifact): string {
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
export function sourceFiles(a: Artifact, root: string = REPO_ROOT): string[] {
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
export function sourceHash(a: Artifact, root: string = REPO_ROOT): string {
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

export interface Manifest {
  schema: number;
  /** v86 version the images were built and boot-checked for. */
  v86: string;
  cmdline: string;
  memoryMB: number;
  artifacts: Record<ArtifactName, ManifestArtifact>;
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
