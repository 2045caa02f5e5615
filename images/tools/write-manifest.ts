// Writes images/dist/manifest.json from the files in images/dist/.
// Run by images/build.sh (npx tsx images/tools/write-manifest.ts ...).
//
//   write-manifest.ts --debian ARTIFACT:PACKAGE=VERSION ...
//       write the manifest
//   write-manifest.ts --check ARTIFACT --debian ARTIFACT:PACKAGE=VERSION ...
//       exit 0 if dist/<file> of ARTIFACT is what the manifest says and its
//       sources and Debian inputs are unchanged (build.sh then skips it), else 1
import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ARTIFACTS,
  CMDLINE,
  DIST_DIR,
  MANIFEST_PATH,
  MANIFEST_SCHEMA,
  MEMORY_MB,
  type ArtifactName,
  type Manifest,
  type ManifestArtifact,
  fileSha256,
  installedV86Version,
  readManifest,
  sourceHash,
} from '../artifacts.js';

function usage(msg: string): never {
  process.stderr.write(`write-manifest: ${msg}\nusage: write-manifest.ts [--check ARTIFACT] --debian ARTIFACT:PKG=VERSION ...\n`);
  process.exit(2);
}

const names = new Set<string>(ARTIFACTS.map((a) => a.name));
const debian = new Map<ArtifactName, Map<string, string>>();
let check: ArtifactName | undefined;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  const val = argv[i + 1];
  if (arg === '--check' && val !== undefined && names.has(val)) {
    check = val as ArtifactName;
    i++;
  } else if (arg === '--debian' && val !== undefined) {
    const m = /^([a-z]+):([^=]+)=(.+)$/.exec(val);
    if (!m || !names.has(m[1] ?? '')) usage(`bad --debian ${val}`);
    const [, a, pkg, version] = m as unknown as [string, ArtifactName, string, string];
    if (!debian.has(a)) debian.set(a, new Map());
    debian.get(a)?.set(pkg, version);
    i++;
  } else {
    usage(`bad argument ${arg ?? ''}`);
  }
}

function debianOf(name: ArtifactName): Record<string, string> {
  const m = debian.get(name) ?? new Map<string, string>();
  const out: Record<string, string> = {};
  for (const k of [...m.keys()].sort()) out[k] = m.get(k) ?? '';
  return out;
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

if (check !== undefined) {
  const a = ARTIFACTS.find((x) => x.name === check);
  if (!a || !existsSync(MANIFEST_PATH)) process.exit(1);
  let m: ManifestArtifact | undefined;
  try {
    m = readManifest().artifacts[a.name];
  } catch {
    process.exit(1);
  }
  const path = join(DIST_DIR, a.file);
  const fresh =
    m !== undefined &&
    m.file === a.file &&
    existsSync(path) &&
    statSync(path).size === m.size &&
    fileSha256(path) === m.sha256 &&
    sourceHash(a) === m.sources &&
    sameRecord(m.debian, debianOf(a.name));
  process.exit(fresh ? 0 : 1);
}

const artifacts = {} as Record<ArtifactName, ManifestArtifact>;
for (const a of ARTIFACTS) {
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
const manifest: Manifest = {
  schema: MANIFEST_SCHEMA,
  v86: installedV86Version(),
  cmdline: CMDLINE,
  memoryMB: MEMORY_MB,
  artifacts,
};
const tmp = `${MANIFEST_PATH}.tmp`;
writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
renameSync(tmp, MANIFEST_PATH);
