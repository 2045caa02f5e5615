// How much a first start downloads, known without loading the VM client:
// the artifact manifest's sizes, v86.wasm's and the saved state's.
import { stateUrl, v86Wasm } from 'virtual:dockyard-build';
import { ARTIFACT_NAMES, parseManifest, type Manifest } from '../common/manifest.js';
import manifestText from '../../images/dist/manifest.json?raw';

export const manifest: Manifest = parseManifest(manifestText);

/** Bytes a first start downloads (before compression). */
export function downloadSize(): number {
  const artifacts = ARTIFACT_NAMES.reduce((n, a) => n + manifest.artifacts[a].size, 0);
  return artifacts + v86Wasm.size + (manifest.state && stateUrl ? manifest.state.size : 0);
}

export const downloadMB = () => `${(downloadSize() / 1e6).toFixed(1)} MB`;
