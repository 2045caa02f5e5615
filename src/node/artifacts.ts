// Loads the committed guest artifacts from images/dist and verifies each
// against the manifest before anything boots from it.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ARTIFACT_NAMES, ArtifactError, parseManifest, verifyArtifact, type ArtifactName, type Manifest } from '../common/manifest.js';

export interface LoadedArtifacts {
  manifest: Manifest;
  bytes: Record<ArtifactName, ArrayBuffer>;
  wasmPath: string;
}

export function distDir(root: string): string {
  return join(root, 'images', 'dist');
}

export async function readManifest(root: string): Promise<Manifest> {
  const path = join(distDir(root), 'manifest.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new ArtifactError(`guest artifacts missing: ${path} not found; run \`npm run images\``);
  }
  return parseManifest(text);
}

export function v86Version(root: string): string {
  const require = createRequire(join(root, 'package.json'));
  const pkg = require('v86/package.json') as { version: string };
  return pkg.version;
}

export async function loadArtifacts(root: string): Promise<LoadedArtifacts> {
  const manifest = await readManifest(root);
  const installed = v86Version(root);
  if (manifest.v86 !== installed) {
    throw new ArtifactError(`guest artifacts were built for v86 ${manifest.v86} but v86 ${installed} is installed; run \`npm ci\``);
  }
  const entries = await Promise.all(
    ARTIFACT_NAMES.map(async (name) => {
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
  const require = createRequire(join(root, 'package.json'));
  return {
    manifest,
    bytes: Object.fromEntries(entries) as Record<ArtifactName, ArrayBuffer>,
    wasmPath: join(dirname(require.resolve('v86')), 'v86.wasm'),
  };
}
