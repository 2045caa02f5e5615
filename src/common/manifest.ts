// The guest artifacts and their manifest (images/dist/manifest.json, written
// by `npm run images`): the one list of what the guest is made of and the
// manifest's schema. images/build.sh (through images/tools/list.ts),
// images/artifacts.ts (sources, hashes), the Vite plugins (build/) and the
// hosts (src/node/artifacts.ts, src/web/vm-client.ts) all read them here.
// Realm-neutral: names and shapes only, no file system.
import type { StateEntry } from './snapshot.js';

/** Version of the manifest's shape (manifest.schema). */
export const MANIFEST_SCHEMA = 1;
/** The manifest's file name in images/dist/. */
export const MANIFEST_FILE = 'manifest.json';

/**
 * Kernel command line the host boots the guest with (copied into the
 * manifest). The kernel log goes to ttyS0; hvc0 is the shell, hvc1 the
 * containerd-lite channel.
 */
export const CMDLINE = 'console=ttyS0 quiet';
/** Guest RAM the images are sized and tested for (copied into the manifest). */
export const MEMORY_MB = 128;

/** A boot file of the guest: an artifact in images/dist/, recorded in manifest.artifacts. */
export interface ArtifactSpec {
  /** Key in manifest.artifacts, `--only` step of images/build.sh. */
  readonly name: string;
  /** File name in images/dist/ (and the asset name in the web build). */
  readonly file: string;
  /**
   * Needed only to boot the kernel: a host that restores the saved state
   * (STATE_FILE) does without it, and the page downloads it only then.
   */
  readonly coldBootOnly: boolean;
}

export const ARTIFACTS = [
  { name: 'bios', file: 'bios.bin', coldBootOnly: false },
  { name: 'kernel', file: 'bzImage', coldBootOnly: true },
  { name: 'initrd', file: 'initramfs.cpio.gz', coldBootOnly: true },
] as const satisfies readonly ArtifactSpec[];

export type ArtifactName = (typeof ARTIFACTS)[number]['name'];
export const ARTIFACT_NAMES: readonly ArtifactName[] = /* @__PURE__ */ ARTIFACTS.map((a) => a.name);

/** The saved guest state (manifest.state), when images/build.sh has made one. */
export const STATE_FILE = 'state.bin.zst';

/**
 * The bundled registry: one OCI image layout per image, built from
 * images/recipes/<name>/ (see images/README.md, "Adding a bundled image").
 * Adding a name here and its recipe folder is all a new image takes.
 */
export const BUNDLED_IMAGES = ['busybox', 'hello-world'] as const;

/** An image of the bundled registry. */
export interface RegistryImage {
  /** Short name: the recipe folder, as in `docker pull NAME`. */
  readonly name: string;
  /** Repository, `domain/path`: key in manifest.registry, layout folder under REGISTRY_DIR. */
  readonly repo: string;
  /** The one tag in the layout's index.json. */
  readonly tag: string;
}

export const REGISTRY_IMAGES: readonly RegistryImage[] = /* @__PURE__ */ BUNDLED_IMAGES.map((name) => ({
  name,
  repo: `docker.io/library/${name}`,
  tag: 'latest',
}));

/**
 * Folder of the bundled registry, in images/dist/ and in the web build: an
 * image's layout is `registry/<repo>/` (oci-layout, index.json,
 * blobs/sha256/<hex>).
 */
export const REGISTRY_DIR = 'registry';

/** manifest.artifacts[name] */
export interface ArtifactEntry {
  file: string;
  size: number;
  sha256: string;
  /** hash of the repo sources the artifact was built from (images/artifacts.ts sourceHash) */
  sources: string;
  /** Debian packages (name[:arch] → version) the artifact was built from */
  debian: Record<string, string>;
}

/** manifest.registry[repo]: a bundled image's index.json, the root its blobs hang from. */
export interface RegistryEntry {
  /** sha256 (hex) of the layout's index.json; index → manifest → config → layers are content-addressed */
  index: string;
  /** size of index.json in bytes */
  size: number;
  /** hash of the repo sources the image was built from */
  sources: string;
  /** Debian packages (name[:arch] → version) the image was built from */
  debian: Record<string, string>;
}

/** manifest.state: what a host restores (StateEntry) and the hash of the tool that saved it. */
export interface ManifestState extends StateEntry {
  /** hash of images/tools/make-state.ts when the state was saved */
  sources: string;
}

export interface Manifest {
  schema: typeof MANIFEST_SCHEMA;
  /** v86 version the images were built and boot-checked for */
  v86: string;
  cmdline: string;
  memoryMB: number;
  artifacts: Record<ArtifactName, ArtifactEntry>;
  /** "docker.io/library/busybox" → its index.json */
  registry?: Record<string, RegistryEntry>;
  /** the booted guest's saved state (src/common/snapshot.ts); checked by whoever restores it */
  state?: ManifestState;
}

export class ArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactError';
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

export function parseManifest(text: string): Manifest {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new ArtifactError(`manifest.json is not valid JSON: ${(e as Error).message}`);
  }
  const bad = (what: string): never => {
    throw new ArtifactError(`manifest.json: ${what}`);
  };
  if (typeof m !== 'object' || m === null) bad('not an object');
  const o = m as Record<string, unknown>;
  if (o.schema !== MANIFEST_SCHEMA) bad(`unsupported schema ${String(o.schema)}`);
  if (typeof o.v86 !== 'string') bad('missing v86 version');
  if (typeof o.cmdline !== 'string') bad('missing cmdline');
  if (typeof o.memoryMB !== 'number' || !(o.memoryMB > 0)) bad('missing memoryMB');
  const arts = o.artifacts as Record<string, unknown> | undefined;
  if (typeof arts !== 'object' || arts === null) bad('missing artifacts');
  for (const name of ARTIFACT_NAMES) {
    const a = arts![name] as Record<string, unknown> | undefined;
    if (typeof a !== 'object' || a === null) bad(`missing artifact "${name}"`);
    if (typeof a!.file !== 'string' || !/^[\w.-]+$/.test(a!.file)) bad(`${name}: bad file name`);
    if (!Number.isSafeInteger(a!.size) || (a!.size as number) < 0) bad(`${name}: bad size`);
    if (typeof a!.sha256 !== 'string' || !HEX64.test(a!.sha256)) bad(`${name}: bad sha256`);
  }
  return m as Manifest;
}

export async function sha256Hex(data: Uint8Array | ArrayBuffer): Promise<string> {
  // WebCrypto's typings refuse views of a possibly shared buffer; ours never are.
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>));
  let s = '';
  for (const b of d) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Throws ArtifactError unless `bytes` are exactly the artifact the manifest names. */
export async function verifyArtifact(entry: Pick<ArtifactEntry, 'file' | 'size' | 'sha256'>, bytes: Uint8Array | ArrayBuffer): Promise<void> {
  if (bytes.byteLength !== entry.size) {
    throw new ArtifactError(`${entry.file}: size ${bytes.byteLength} does not match the manifest (${entry.size}); run \`npm run images\``);
  }
  const got = await sha256Hex(bytes);
  if (got !== entry.sha256) {
    throw new ArtifactError(`${entry.file}: sha256 ${got.slice(0, 12)}… does not match the manifest (${entry.sha256.slice(0, 12)}…); run \`npm run images\``);
  }
}
