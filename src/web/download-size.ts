// How much a first start downloads, known without loading the VM client:
// the artifact manifest's sizes, v86.wasm's and the saved state's (the kernel
// and initramfs only where there is no state: see vm-client.ts).
import { stateUrl, v86Wasm } from 'virtual:dockyard-build';
import { parseManifest, type Manifest } from '../common/manifest.js';
import manifestText from '../../images/dist/manifest.json?raw';

export const manifest: Manifest = parseManifest(manifestText);

/** Whether this build has a saved state to restore (then the kernel and initramfs are fetched only if it cannot be used). */
export const hasState = (): boolean => manifest.state !== undefined && stateUrl !== undefined;

/**
 * Bytes a first start downloads (before compression): the BIOS, v86.wasm and
 * the saved state, or the kernel and initramfs where the build has no state.
 */
export function downloadSize(): number {
  const boot = hasState() ? manifest.state!.size : manifest.artifacts.kernel.size + manifest.artifacts.initrd.size;
  return manifest.artifacts.bios.size + v86Wasm.size + boot;
}

export const downloadMB = () => `${(downloadSize() / 1e6).toFixed(1)} MB`;
