// The guest artifact manifest (images/dist/manifest.json, written by
// `npm run images`) and verification of artifact bytes against it.
import type { StateEntry } from './snapshot.js';

export const ARTIFACT_NAMES = ['bios', 'kernel', 'initrd'] as const;
export type ArtifactName = (typeof ARTIFACT_NAMES)[number];

export interface ArtifactEntry {
  file: string;
  size: number;
  sha256: string;
  /** hash of the repo sources the artifact was built from */
  sources: string;
  debian: Record<string, string>;
}

/** A bundled image: its layout's index.json, the root its blobs hang from. */
export interface RegistryEntry {
  index: string;
  size: number;
  sources: string;
  debian: Record<string, string>;
}

export interface Manifest {
  schema: 1;
  v86: string;
  cmdline: string;
  memoryMB: number;
  artifacts: Record<ArtifactName, ArtifactEntry>;
  /** "docker.io/library/busybox" → its index.json */
  registry?: Record<string, RegistryEntry>;
  /** the booted guest's saved state (src/common/snapshot.ts); checked by whoever restores it */
  state?: StateEntry;
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
  if (o.schema !== 1) bad(`unsupported schema ${String(o.schema)}`);
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
