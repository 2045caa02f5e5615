// Starts the VM worker from a page: downloads the guest artifacts and
// v86.wasm (through the sha256 cache: verified against the manifest every
// time) and boots. The page imports only types from the worker side
// (comlink's Remote<VmApi>).
import { wrap, proxy, transfer, releaseProxy, type Remote } from 'comlink';
import { stateUrl, v86Version, v86Wasm } from 'virtual:dockyard-build';
import { ARTIFACT_NAMES, type ArtifactName, type Manifest } from '../common/manifest.js';
import { checkStateEntry, stateMismatch } from '../common/snapshot.js';
import type { BootOptions, BootResult, BootState, VmApi, VmListener } from '../common/vm-api.js';
import type { VmBackend } from '../runtime/backend.js';
import { completeListener, remoteBackend } from '../runtime/remote-backend.js';
import biosUrl from '../../images/dist/bios.bin?url';
import kernelUrl from '../../images/dist/bzImage?url';
import initrdUrl from '../../images/dist/initramfs.cpio.gz?url';
import wasmUrl from 'v86/build/v86.wasm?url';
import { DownloadError, fetchDigested, type Digested } from './artifact-cache.js';
import { manifest } from './download-size.js';

const URLS: Record<ArtifactName, string> = { bios: biosUrl, kernel: kernelUrl, initrd: initrdUrl };

export type Progress =
  | { stage: 'download'; loaded: number; total: number }
  | { stage: 'boot'; startedAt: number }
  | { stage: 'ready'; bootMs: number; restored: boolean };

/** A failure to start, with what the user can do about it. */
export class StartError extends Error {
  constructor(
    message: string,
    readonly advice: string,
  ) {
    super(message);
    this.name = 'StartError';
  }
}

export { manifest, downloadSize } from './download-size.js';

function downloads(): Digested[] {
  const abs = (u: string) => new URL(u, location.href).href;
  return [
    ...ARTIFACT_NAMES.map((a) => ({ name: manifest.artifacts[a].file, url: abs(URLS[a]), sha256: manifest.artifacts[a].sha256, size: manifest.artifacts[a].size })),
    { name: 'v86.wasm', url: abs(wasmUrl), sha256: v86Wasm.sha256, size: v86Wasm.size },
  ];
}

/** The saved guest state to restore instead of booting, or why there is none. */
async function stateDownload(): Promise<{ file: Digested; hello: BootState['hello'] } | { reason: string }> {
  const entry = manifest.state;
  if (!entry) return { reason: 'no snapshot' };
  if (!stateUrl) return { reason: `${entry.file} is not in this build` };
  try {
    checkStateEntry(entry);
  } catch (e) {
    return { reason: `manifest.json: ${(e as Error).message}` };
  }
  const mismatch = await stateMismatch(manifest, v86Version);
  if (mismatch) return { reason: mismatch };
  return { file: { name: entry.file, url: stateUrl, sha256: entry.sha256, size: entry.size }, hello: entry.hello };
}

export interface StartedVm {
  vm: VmBackend;
  boot: BootResult;
  manifest: Manifest;
}

export async function startVm(listener: VmListener, onProgress: (p: Progress) => void): Promise<StartedVm> {
  if (typeof WebAssembly === 'undefined' || typeof Worker === 'undefined') {
    throw new StartError('this browser cannot run the VM (it needs WebAssembly and Web Workers)', 'Open the page in a current Firefox, Chrome or Safari.');
  }
  const files = downloads();
  const snapshot = await stateDownload();
  const total = files.reduce((n, d) => n + (d.size ?? 0), 0) + ('file' in snapshot ? (snapshot.file.size ?? 0) : 0);
  let loaded = 0;
  const onBytes = (n: number) => onProgress({ stage: 'download', loaded: (loaded += n), total });
  onProgress({ stage: 'download', loaded, total });
  // a snapshot that cannot be had only costs a cold boot
  const state: Promise<{ state?: BootState; reason?: string }> =
    'file' in snapshot
      ? fetchDigested(snapshot.file, onBytes).then(
          (b) => ({ state: { buffer: b.buffer, hello: snapshot.hello } }),
          (e: Error) => ({ reason: e instanceof DownloadError ? e.message : `${snapshot.file.name}: ${e.message}` }),
        )
      : Promise.resolve({ reason: snapshot.reason });
  const [[bios, kernel, initrd, wasm], saved] = await Promise.all([Promise.all(files.map((f) => fetchDigested(f, onBytes))), state]);
  // v86 loads its wasm by URL: hand it the verified bytes as a blob URL
  const wasmBlobUrl = URL.createObjectURL(new Blob([wasm!], { type: 'application/wasm' }));

  const worker = new Worker(new URL('../../workers/vm.worker.ts', import.meta.url), { type: 'module' });
  const remote: Remote<VmApi> = wrap<VmApi>(worker);
  const workerFailed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (e) => reject(new StartError(`the VM worker failed to load${e.message ? `: ${e.message}` : ''}`, 'Reload the page; if it happens again, the site may be missing files.')), { once: true });
  });
  const startedAt = performance.now();
  onProgress({ stage: 'boot', startedAt });
  const opts: BootOptions = {
    wasmPath: wasmBlobUrl,
    bios: bios!.buffer,
    kernel: kernel!.buffer,
    initrd: initrd!.buffer,
    cmdline: manifest.cmdline,
    memoryMB: manifest.memoryMB,
    ...(saved.state ? { state: saved.state } : { noStateReason: saved.reason ?? 'no snapshot' }),
  };
  let boot: BootResult;
  try {
    boot = await Promise.race([
      remote.boot(
        transfer(opts, [opts.bios, opts.kernel, opts.initrd, ...(opts.state ? [opts.state.buffer] : [])]),
        proxy(completeListener(listener)),
      ),
      workerFailed,
    ]);
  } catch (e) {
    worker.terminate();
    if (e instanceof StartError) throw e;
    throw new StartError(`the VM did not boot: ${(e as Error).message}`, 'Reload the page to try again. The kernel log below may say why.');
  } finally {
    URL.revokeObjectURL(wasmBlobUrl);
  }
  onProgress({ stage: 'ready', bootMs: boot.bootMs, restored: boot.restored });
  const vm = remoteBackend(remote, async () => {
    await remote.shutdown();
    remote[releaseProxy]();
    worker.terminate();
  });
  return { vm, boot, manifest };
}
