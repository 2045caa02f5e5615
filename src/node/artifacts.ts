// Loads the committed guest artifacts from images/dist and verifies each
// against the manifest before anything boots from it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ARTIFACTS, ArtifactError, MANIFEST_FILE, parseManifest, verifyArtifact, type ArtifactName, type Manifest } from '../common/manifest.js';
import { stateMismatch } from '../common/snapshot.js';
import type { BootOptions, BootState } from '../common/vm-api.js';
import { v86Version, v86WasmPath } from './v86.js';
import { zstdDecompress } from './zstd.js';

export { v86Version } from './v86.js';

export interface LoadedArtifacts {
  manifest: Manifest;
  bytes: Record<ArtifactName, ArrayBuffer>;
  wasmPath: string;
  /** the saved guest state, when there is one that fits these artifacts and this v86 */
  state?: BootState;
  /** why `state` is absent */
  noStateReason?: string;
}

/** What a boot from these artifacts hands the worker: the verified files and the manifest's command line and memory. */
export function bootFiles(a: LoadedArtifacts): Pick<BootOptions, 'wasmPath' | 'bios' | 'cmdline' | 'memoryMB'> & { kernel: ArrayBuffer; initrd: ArrayBuffer } {
  return { wasmPath: a.wasmPath, bios: a.bytes.bios, kernel: a.bytes.kernel, initrd: a.bytes.initrd, cmdline: a.manifest.cmdline, memoryMB: a.manifest.memoryMB };
}

export function distDir(root: string): string {
  return join(root, 'images', 'dist');
}

export async function readManifest(root: string): Promise<Manifest> {
  const path = join(distDir(root), MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new ArtifactError(`guest artifacts missing: ${path} not found; run \`npm run images\``);
  }
  return parseManifest(text);
}

/**
 * The manifest's guest state, read and verified like an artifact, if its
 * stamp matches the artifacts and the installed v86; else why not. A bad
 * state only costs a cold boot, so nothing here throws.
 */
export async function loadState(
  root: string,
  manifest: Manifest,
  v86: string = v86Version(root),
  opts: { wasmPath?: string } = {},
): Promise<{ state?: BootState; reason?: string }> {
  const entry = manifest.state;
  const mismatch = await stateMismatch(manifest, v86);
  if (mismatch !== undefined || entry === undefined) return { reason: mismatch ?? 'no snapshot' };
  let buf: Buffer;
  try {
    buf = await readFile(join(distDir(root), entry.file));
  } catch {
    return { reason: `${entry.file} missing` };
  }
  try {
    await verifyArtifact(entry, buf);
  } catch (e) {
    return { reason: (e as Error).message };
  }
  // Decompressed here, on the host's thread while the worker starts, the
  // state restores ~0.1 s sooner than if v86 decompressed it in the worker.
  if (opts.wasmPath) {
    try {
      return { state: { buffer: await zstdDecompress(opts.wasmPath, buf, entry.rawSize), hello: entry.hello } };
    } catch {
      // v86 decompresses it itself
    }
  }
  return { state: { buffer: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer, hello: entry.hello } };
}

export async function loadArtifacts(root: string, opts: { state?: boolean } = {}): Promise<LoadedArtifacts> {
  const manifest = await readManifest(root);
  const installed = v86Version(root);
  if (manifest.v86 !== installed) {
    throw new ArtifactError(`guest artifacts were built for v86 ${manifest.v86} but v86 ${installed} is installed; run \`npm ci\``);
  }
  const entries = await Promise.all(
    ARTIFACTS.map(async ({ name }) => {
      const entry = manifest.artifacts[name];
      const path = join(distDir(root), entry.file);
      let buf: Buffer;
      try {
        buf = await readFile(path);
      } catch {
        throw new ArtifactError(`guest artifact missing: ${path}; run \`npm run images\``);
      }
      await verifyArtifact(entry, buf);
      // a fresh ArrayBuffer of exactly the file (Buffers may share a pool)
      return [name, buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)] as const;
    }),
  );
  const wasmPath = v86WasmPath(root);
  const { state, reason } = opts.state === false ? { state: undefined, reason: 'snapshot not wanted' } : await loadState(root, manifest, installed, { wasmPath });
  return {
    manifest,
    bytes: Object.fromEntries(entries) as Record<ArtifactName, ArrayBuffer>,
    wasmPath,
    ...(state ? { state } : { noStateReason: reason }),
  };
}
