// Starts the VM worker from a page: fetches the guest artifacts, verifies each
// against the manifest's sha256, and boots. The page imports only types from
// the worker side (comlink's Remote<VmApi>).
import { wrap, proxy, transfer, releaseProxy, type Remote } from 'comlink';
import { ARTIFACT_NAMES, parseManifest, verifyArtifact, type ArtifactName } from '../common/manifest.js';
import type { BootResult, VmApi, VmListener } from '../common/vm-api.js';
import type { VmBackend } from '../runtime/backend.js';
import { reviveError } from '../common/errors-wire.js';
import manifestText from '../../images/dist/manifest.json?raw';
import biosUrl from '../../images/dist/bios.bin?url';
import kernelUrl from '../../images/dist/bzImage?url';
import initrdUrl from '../../images/dist/initramfs.cpio.gz?url';
import wasmUrl from 'v86/build/v86.wasm?url';

const URLS: Record<ArtifactName, string> = { bios: biosUrl, kernel: kernelUrl, initrd: initrdUrl };

export type Progress = { stage: 'download'; loaded: number; total: number } | { stage: 'boot' } | { stage: 'ready'; bootMs: number };

async function fetchVerified(name: ArtifactName, onBytes: (n: number) => void): Promise<ArrayBuffer> {
  const manifest = parseManifest(manifestText);
  const res = await fetch(URLS[name]);
  if (!res.ok) throw new Error(`could not download ${manifest.artifacts[name].file}: HTTP ${res.status}`);
  const buf = await res.arrayBuffer();
  onBytes(buf.byteLength);
  await verifyArtifact(manifest.artifacts[name], buf);
  return buf;
}

export async function startVm(listener: VmListener, onProgress: (p: Progress) => void): Promise<{ vm: VmBackend; boot: BootResult }> {
  const manifest = parseManifest(manifestText);
  const total = ARTIFACT_NAMES.reduce((n, a) => n + manifest.artifacts[a].size, 0);
  let loaded = 0;
  onProgress({ stage: 'download', loaded, total });
  const [bios, kernel, initrd] = await Promise.all(
    ARTIFACT_NAMES.map((a) => fetchVerified(a, (n) => onProgress({ stage: 'download', loaded: (loaded += n), total }))),
  );
  const worker = new Worker(new URL('../../workers/vm.worker.ts', import.meta.url), { type: 'module' });
  const remote: Remote<VmApi> = wrap<VmApi>(worker);
  onProgress({ stage: 'boot' });
  const opts = { wasmPath: new URL(wasmUrl, location.href).href, bios: bios!, kernel: kernel!, initrd: initrd!, cmdline: manifest.cmdline, memoryMB: manifest.memoryMB };
  const boot = await remote.boot(transfer(opts, [opts.bios, opts.kernel, opts.initrd]), proxy({ console: listener.console?.bind(listener) ?? (() => {}), serial: listener.serial?.bind(listener) ?? (() => {}) }));
  onProgress({ stage: 'ready', bootMs: boot.bootMs });
  const vm: VmBackend = {
    request: (f, t) => remote.request(f, t).catch(reviveError),
    ping: (p, t) => remote.ping(p, t),
    open: (f, sink) => remote.open(f, proxy(sink)),
    sendStream: (id, stream, data) => remote.sendStream(id, stream, data),
    consoleWrite: (port, d) => remote.consoleWrite(port, d),
    resizeConsole: (port, c, r) => remote.resizeConsole(port, c, r),
    writeFile: (path, data, o) => remote.writeFile(path, data, o),
    readFile: (path) => remote.readFile(path),
    async shutdown() {
      await remote.shutdown();
      remote[releaseProxy]();
      worker.terminate();
    },
  };
  return { vm, boot };
}
