// Starts the VM worker from a page: downloads the guest artifacts and
// v86.wasm (through the sha256 cache: verified against the manifest every
// time) and boots. With a saved state that fits, a first visit downloads
// only v86.wasm, the state and the artifacts a restore needs (the BIOS); the
// cold-boot-only ones (kernel, initramfs: ARTIFACTS in
// src/common/manifest.ts) are fetched only if that state cannot be had or
// restored. The page imports only types (and ColdBootNeededError) from the
// worker side.
import { wrap, releaseProxy, type Remote } from 'comlink';
import { artifactUrls, stateUrl, v86Version, v86Wasm } from 'virtual:dockyard-build';
import { ARTIFACTS, type ArtifactName, type Manifest } from '../common/manifest.js';
import { stateMismatch } from '../common/snapshot.js';
import { ColdBootNeededError, type BootOptions, type BootResult, type BootState, type VmApi, type VmListener } from '../common/vm-api.js';
import type { VmBackend } from '../runtime/backend.js';
import { remoteBackend } from '../runtime/remote-backend.js';
import wasmUrl from 'v86/build/v86.wasm?url';
import { DownloadError, fetchDigested, type Digested } from './artifact-cache.js';
import { manifest } from './download-size.js';

export type Progress =
  | {
      stage: 'download';
      loaded: number;
      total: number;
      /** set once the kernel must be downloaded after all: why the saved state is not used */
      coldBootReason?: string;
    }
  | { stage: 'boot'; startedAt: number }
  | { stage: 'ready'; bootMs: number; restored: boolean; coldBootReason?: string };

/** A failure to start, with what the user can do about it. */
export class VmStartError extends Error {
  constructor(
    message: string,
    readonly advice: string,
  ) {
    super(message);
    this.name = 'VmStartError';
  }
}

export { manifest, downloadSize } from './download-size.js';

const abs = (u: string) => new URL(u, location.href).href;
const artifact = (a: ArtifactName): Digested => ({ name: manifest.artifacts[a].file, url: abs(artifactUrls[a]), sha256: manifest.artifacts[a].sha256, size: manifest.artifacts[a].size });
/** Artifacts every start needs, and those only a cold boot does. */
const WARM = ARTIFACTS.filter((a) => !a.coldBootOnly).map((a) => a.name);
const COLD = ARTIFACTS.filter((a) => a.coldBootOnly).map((a) => a.name);
type Files = Partial<Record<ArtifactName, ArrayBuffer>>;

/** Downloads the artifacts `names` and then `extra`: the artifacts by name, `extra`'s bytes in order. */
async function fetchArtifacts(downloads: Downloads, names: readonly ArtifactName[], extra: Digested[] = [], reason?: string): Promise<[Files, Array<Uint8Array<ArrayBuffer>>]> {
  const bufs = await downloads.fetch([...names.map(artifact), ...extra], reason);
  return [Object.fromEntries(names.map((n, i) => [n, bufs[i]!.buffer])), bufs.slice(names.length)];
}

/** The artifact `name` of `files`, which must hold it. */
function need(files: Files, name: ArtifactName): ArrayBuffer {
  const b = files[name];
  if (!b) throw new Error(`${name} was not downloaded`);
  return b;
}

/** The saved guest state to restore instead of booting, or why there is none. */
async function stateDownload(): Promise<{ file: Digested; hello: BootState['hello'] } | { reason: string }> {
  const entry = manifest.state;
  if (!entry) return { reason: 'no snapshot' };
  if (!stateUrl) return { reason: `${entry.file} is not in this build` };
  const mismatch = await stateMismatch(manifest, v86Version);
  if (mismatch) return { reason: mismatch };
  return { file: { name: entry.file, url: stateUrl, sha256: entry.sha256, size: entry.size }, hello: entry.hello };
}

/** Download progress over a set of files that can grow (the kernel, when it turns out to be needed). */
class Downloads {
  private loaded = 0;
  private total = 0;
  private reason: string | undefined;

  constructor(private readonly onProgress: (p: Progress) => void) {}

  fetch(files: Digested[], coldBootReason?: string): Promise<Array<Uint8Array<ArrayBuffer>>> {
    this.total += files.reduce((n, f) => n + (f.size ?? 0), 0);
    this.reason ??= coldBootReason;
    this.report();
    return Promise.all(files.map((f) => fetchDigested(f, (n) => ((this.loaded += n), this.report()))));
  }

  private report(): void {
    this.onProgress({ stage: 'download', loaded: this.loaded, total: this.total, ...(this.reason !== undefined ? { coldBootReason: this.reason } : {}) });
  }
}

export interface StartedVm {
  vm: VmBackend;
  boot: BootResult;
  manifest: Manifest;
}

export async function startVm(listener: VmListener, onProgress: (p: Progress) => void): Promise<StartedVm> {
  if (typeof WebAssembly === 'undefined' || typeof Worker === 'undefined') {
    throw new VmStartError('this browser cannot run the VM (it needs WebAssembly and Web Workers)', 'Open the page in a current Firefox, Chrome or Safari.');
  }
  const snapshot = await stateDownload();
  const downloads = new Downloads(onProgress);
  // the cold-boot artifacts (kernel, initramfs), fetched at most once and only when a cold boot is needed
  let coldFiles: Promise<Files> | undefined;
  const fetchKernel = (reason?: string) => (coldFiles ??= fetchArtifacts(downloads, COLD, [], reason).then(([files]) => files));
  const base = fetchArtifacts(downloads, WARM, [{ name: 'v86.wasm', url: abs(wasmUrl), sha256: v86Wasm.sha256, size: v86Wasm.size }]);
  // a snapshot that cannot be had only costs a cold boot: the kernel is fetched instead
  const saved: Promise<{ state: BootState } | { reason: string }> =
    'file' in snapshot
      ? downloads.fetch([snapshot.file]).then(
          ([b]) => ({ state: { buffer: b!.buffer, hello: snapshot.hello } }),
          (e: Error) => {
            const reason = e instanceof DownloadError ? e.message : `${snapshot.file.name}: ${e.message}`;
            void fetchKernel(reason).catch(() => {}); // (awaited below)
            return { reason };
          },
        )
      : Promise.resolve({ reason: snapshot.reason });
  if (!('file' in snapshot)) void fetchKernel().catch(() => {}); // no snapshot: booting the kernel is the plan
  const [[warm, [wasm]], first] = await Promise.all([base, saved]);
  const bios = need(warm, 'bios');
  // v86 loads its wasm by URL: hand it the verified bytes as a blob URL
  const wasmBlobUrl = URL.createObjectURL(new Blob([wasm!], { type: 'application/wasm' }));

  const worker = new Worker(new URL('../../workers/vm.worker.ts', import.meta.url), { type: 'module' });
  const remote: Remote<VmApi> = wrap<VmApi>(worker);
  const vm = remoteBackend(remote, async () => {
    await remote.shutdown();
    remote[releaseProxy]();
    worker.terminate();
  });
  const workerFailed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (e) => reject(new VmStartError(`the VM worker failed to load${e.message ? `: ${e.message}` : ''}`, 'Reload the page; if it happens again, the site may be missing files.')), { once: true });
  });
  // images persist in origin storage, as Docker's do on disk; ask the browser
  // not to evict them under pressure (only a page can ask; refusal is fine)
  void navigator.storage?.persist?.().catch(() => false);
  // containers' outbound HTTP goes through fetch; host.docker.internal is the page's host
  const common = { wasmPath: wasmBlobUrl, cmdline: manifest.cmdline, memoryMB: manifest.memoryMB, store: { kind: 'opfs' } as const, uplink: { kind: 'fetch', host: location.hostname } as const };
  const attempt = (opts: BootOptions): Promise<BootResult> => {
    onProgress({ stage: 'boot', startedAt: performance.now() });
    return Promise.race([vm.boot(opts, listener), workerFailed]);
  };
  const coldBoot = async (reason: string): Promise<BootResult> => {
    const cold = await fetchKernel(reason);
    return attempt({ ...common, bios, kernel: need(cold, 'kernel'), initrd: need(cold, 'initrd'), noStateReason: reason });
  };
  let boot: BootResult;
  try {
    if ('state' in first) {
      try {
        // a copy of the BIOS: a cold boot after a failed restore needs it again
        boot = await attempt({ ...common, bios: bios.slice(0), state: first.state });
      } catch (e) {
        if (!(e instanceof ColdBootNeededError)) throw e;
        boot = await coldBoot(e.reason);
      }
    } else {
      boot = await coldBoot(first.reason);
    }
  } catch (e) {
    worker.terminate();
    if (e instanceof VmStartError || e instanceof DownloadError) throw e;
    throw new VmStartError(`the VM did not boot: ${(e as Error).message}`, 'Reload the page to try again. The kernel log below may say why.');
  } finally {
    URL.revokeObjectURL(wasmBlobUrl);
  }
  onProgress({ stage: 'ready', bootMs: boot.bootMs, restored: boot.restored, ...(boot.coldBootReason !== undefined ? { coldBootReason: boot.coldBootReason } : {}) });
  return { vm, boot, manifest };
}

/**
 * Boots the kernel once in a worker of its own (an empty in-memory image
 * store, nothing shared with the page's VM) and shuts it down: what starting
 * a VM costs, for the figures panel when this page restored a snapshot
 * instead. Emulator start → daemon ready, as the page's own boot is timed.
 */
export async function timeColdBoot(): Promise<number> {
  const downloads = new Downloads(() => {});
  const [files, [wasm]] = await fetchArtifacts(downloads, [...WARM, ...COLD], [{ name: 'v86.wasm', url: abs(wasmUrl), sha256: v86Wasm.sha256, size: v86Wasm.size }]);
  const wasmBlobUrl = URL.createObjectURL(new Blob([wasm!], { type: 'application/wasm' }));
  const worker = new Worker(new URL('../../workers/vm.worker.ts', import.meta.url), { type: 'module' });
  const remote: Remote<VmApi> = wrap<VmApi>(worker);
  const vm = remoteBackend(remote, async () => {
    await remote.shutdown();
    remote[releaseProxy]();
    worker.terminate();
  });
  try {
    const boot = await vm.boot(
      {
        wasmPath: wasmBlobUrl,
        cmdline: manifest.cmdline,
        memoryMB: manifest.memoryMB,
        store: { kind: 'memory' },
        bios: need(files, 'bios'),
        kernel: need(files, 'kernel'),
        initrd: need(files, 'initrd'),
        noStateReason: 'timing a cold boot for the figures',
      },
      {},
    );
    return boot.bootMs;
  } finally {
    URL.revokeObjectURL(wasmBlobUrl);
    await vm.shutdown().catch(() => worker.terminate());
  }
}
