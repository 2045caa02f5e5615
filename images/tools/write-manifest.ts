// Writes images/dist/manifest.json from the files in images/dist/.
// Run by images/build.sh (npx tsx images/tools/write-manifest.ts ...).
//
//   write-manifest.ts --debian NAME:PACKAGE=VERSION ... [--only STEP]...
//       write the manifest. NAME is an artifact (ARTIFACTS of
//       src/common/manifest.ts: bios, kernel, initrd) or a bundled image
//       (BUNDLED_IMAGES: busybox, …). With --only (an artifact, or
//       registry), only those entries are rewritten: the others, and the v86
//       version, are kept from the manifest as it is.
//   write-manifest.ts --check NAME --debian NAME:PACKAGE=VERSION ...
//       exit 0 if the dist file (or registry layout) of NAME is what the
//       manifest says and its sources and Debian inputs are unchanged
//       (build.sh then skips it), else 1
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ARTIFACTS,
  CMDLINE,
  DIST_DIR,
  MANIFEST_PATH,
  MANIFEST_SCHEMA,
  MEMORY_MB,
  REGISTRY_IMAGES,
  type ArtifactName,
  type Manifest,
  type ArtifactEntry,
  type RegistryEntry,
  type RegistryImage,
  fileSha256,
  installedV86Version,
  layoutDir,
  layoutProblems,
  readManifest,
  sha256,
  sourceHash,
} from '../artifacts.js';

function usage(msg: string): never {
  process.stderr.write(
    `write-manifest: ${msg}\nusage: write-manifest.ts [--check NAME | --only STEP...] --debian NAME:PKG=VERSION ...\n`,
  );
  process.exit(2);
}

const names = new Set<string>([...ARTIFACTS.map((a) => a.name), ...REGISTRY_IMAGES.map((i) => i.name)]);
const steps = new Set<string>([...ARTIFACTS.map((a) => a.name), 'registry']);
const debian = new Map<string, Map<string, string>>();
let check: string | undefined;
const only = new Set<string>();
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  const val = argv[i + 1];
  if (arg === '--check' && val !== undefined && names.has(val)) {
    check = val;
    i++;
  } else if (arg === '--only' && val !== undefined && steps.has(val)) {
    only.add(val);
    i++;
  } else if (arg === '--debian' && val !== undefined) {
    const m = /^([a-z][a-z0-9-]*):([^=]+)=(.+)$/.exec(val);
    if (!m || !names.has(m[1] ?? '')) usage(`bad --debian ${val}`);
    const [, a, pkg, version] = m as unknown as [string, string, string, string];
    if (!debian.has(a)) debian.set(a, new Map());
    debian.get(a)?.set(pkg, version);
    i++;
  } else {
    usage(`bad argument ${arg ?? ''}`);
  }
}

function debianOf(name: string): Record<string, string> {
  const m = debian.get(name) ?? new Map<string, string>();
  const out: Record<string, string> = {};
  for (const k of [...m.keys()].sort()) out[k] = m.get(k) ?? '';
  return out;
}

function sameRecord(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function oldManifest(): Partial<Manifest> | undefined {
  if (!existsSync(MANIFEST_PATH)) return undefined;
  try {
    return readManifest();
  } catch {
    return undefined;
  }
}

function imageEntry(img: RegistryImage): RegistryEntry {
  const index = readFileSync(join(layoutDir(img), 'index.json'));
  return { index: sha256(index), size: index.length, sources: sourceHash(img), debian: debianOf(img.name) };
}

if (check !== undefined) {
  const m = oldManifest();
  if (m === undefined) process.exit(1);
  const a = ARTIFACTS.find((x) => x.name === check);
  const img = REGISTRY_IMAGES.find((x) => x.name === check);
  let fresh = false;
  if (a) {
    const e: ArtifactEntry | undefined = m.artifacts?.[a.name];
    const path = join(DIST_DIR, a.file);
    fresh =
      e !== undefined &&
      e.file === a.file &&
      existsSync(path) &&
      statSync(path).size === e.size &&
      fileSha256(path) === e.sha256 &&
      sourceHash(a) === e.sources &&
      sameRecord(e.debian, debianOf(a.name));
  } else if (img) {
    const e: RegistryEntry | undefined = m.registry?.[img.repo];
    fresh =
      e !== undefined &&
      existsSync(join(layoutDir(img), 'index.json')) &&
      layoutProblems(img).length === 0 &&
      JSON.stringify(imageEntry(img)) === JSON.stringify({ index: e.index, size: e.size, sources: e.sources, debian: e.debian });
  }
  process.exit(fresh ? 0 : 1);
}

const old = only.size > 0 ? oldManifest() : undefined;
if (only.size > 0 && old === undefined) usage(`--only needs an existing ${MANIFEST_PATH}`);
function kept<T>(entry: T | undefined, what: string): T {
  if (entry === undefined) usage(`--only: ${what} is not in ${MANIFEST_PATH} to keep; build it too`);
  return entry;
}

const artifacts = {} as Record<ArtifactName, ArtifactEntry>;
for (const a of ARTIFACTS) {
  if (only.size > 0 && !only.has(a.name)) {
    artifacts[a.name] = kept(old?.artifacts?.[a.name], a.name);
    continue;
  }
  const path = join(DIST_DIR, a.file);
  if (!existsSync(path)) usage(`${path} missing`);
  artifacts[a.name] = {
    file: a.file,
    size: statSync(path).size,
    sha256: fileSha256(path),
    sources: sourceHash(a),
    debian: debianOf(a.name),
  };
}
const registry: Record<string, RegistryEntry> = {};
for (const img of REGISTRY_IMAGES) {
  if (only.size > 0 && !only.has('registry')) {
    registry[img.repo] = kept(old?.registry?.[img.repo], img.repo);
    continue;
  }
  const problems = layoutProblems(img);
  if (problems.length > 0) usage(`${layoutDir(img)}: ${problems.join('; ')}`);
  registry[img.repo] = imageEntry(img);
}
// The saved state is make-state.ts's to write: kept as it is (it knows by its
// stamp whether it still fits these artifacts).
const state = (old ?? oldManifest())?.state;
const manifest: Manifest = {
  schema: MANIFEST_SCHEMA,
  v86: only.size > 0 ? kept(old?.v86, 'v86') : installedV86Version(),
  cmdline: CMDLINE,
  memoryMB: MEMORY_MB,
  artifacts,
  registry,
  ...(state ? { state } : {}),
};
const tmp = `${MANIFEST_PATH}.tmp`;
writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
renameSync(tmp, MANIFEST_PATH);
