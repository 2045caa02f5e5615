// Runs workers/vm.worker.ts (bundled) in a worker_thread and talks to it with
// comlink's node adapter — the same worker module a browser page uses.
import { wrap, releaseProxy, type Remote } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { BootResult, StoreLocation, VmApi, VmListener } from '../common/vm-api.js';
import type { RemoteVmApi } from '../runtime/backend.js';
import { remoteBackend } from '../runtime/remote-backend.js';
import { bootFiles, loadArtifacts } from './artifacts.js';
import type { Manifest } from '../common/manifest.js';

/** The whole VmApi (boot, saveState… too), a VmBackend for the runtime. */
export interface NodeVm extends RemoteVmApi {
  readonly worker: Worker;
}

/**
 * V8 runs WebAssembly first as Liftoff (baseline) code and recompiles what
 * is hot with TurboFan in the background. v86 is one 2 MB module and makes a
 * small module of every hot guest code page; on a 2-core machine that
 * recompiling competes with the emulator for the CPU while a VM warms up,
 * and doubles the time of its first few dozen container starts. Liftoff
 * only: `npm run bench` run_true_first30_ms 130 → 65, first_run_python_ms
 * 2214 → 1360, port_rps 70 → 103; fully warm, a container start is ~10 %
 * slower (33 vs 30 ms). V8's flags are the process's: set once, before the
 * first worker compiles v86. DOCKYARD_WASM_TIERUP=1 keeps V8's default.
 */
let wasmFlagsSet = false;
export const wasmTiering = (): 'liftoff-only' | 'v8 default' => (process.env.DOCKYARD_WASM_TIERUP !== '1' && liftoffRunsV86() ? 'liftoff-only' : 'v8 default');

/**
 * v86.wasm uses SIMD, which Liftoff compiles on x64 only with SSE4.1 (else
 * it hands the function to TurboFan, and with --liftoff-only that is a
 * fatal error); arm64 always has it.
 */
function liftoffRunsV86(): boolean {
  if (process.arch === 'arm64') return true;
  if (process.arch !== 'x64') return false;
  if (process.platform !== 'linux') return true; // every x64 Mac and current Windows machine has SSE4.1
  try {
    return /^flags\s*:.*\bsse4_1\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}
function liftoffOnly(): void {
  if (wasmFlagsSet) return;
  wasmFlagsSet = true;
  if (wasmTiering() === 'liftoff-only') setFlagsFromString('--liftoff-only');
}

export function startVmWorker(workerPath: string): NodeVm {
  liftoffOnly();
  const worker = new Worker(workerPath);
  const remote: Remote<VmApi> = wrap<VmApi>(nodeEndpoint(worker));
  let closed = false;
  const crashed = new Promise<never>((_, reject) => {
    worker.once('error', (e) => reject(new Error(`the VM worker crashed: ${e.message}`)));
  });
  crashed.catch(() => {});
  const guard = <T>(p: Promise<T>): Promise<T> => Promise.race([p, crashed]);
  const shutdown = async () => {
    if (closed) return;
    closed = true;
    try {
      await Promise.race([remote.shutdown(), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      // the worker is going away regardless
    }
    remote[releaseProxy]();
    await worker.terminate();
  };
  return { ...remoteBackend(remote, shutdown, guard), worker };
}

export interface NodeBootOptions {
  root: string;
  workerPath: string;
  listener?: VmListener;
  timeoutMs?: number;
  /** false: boot the kernel even when images/dist has a matching saved state */
  state?: boolean;
  /** the image store (default: in the worker's memory) */
  store?: StoreLocation;
}

/**
 * Verifies the artifacts, starts the worker and brings the guest to
 * daemon-ready: restored from images/dist/state.bin.zst when the manifest has
 * one whose stamp matches, else (or if the restore fails) by booting the
 * kernel; BootResult says which, and why.
 */
export async function bootNodeVm(o: NodeBootOptions): Promise<{ vm: NodeVm; boot: BootResult; manifest: Manifest }> {
  // the worker starts up while the artifacts are read and checked
  const vm = startVmWorker(o.workerPath);
  try {
    const a = await loadArtifacts(o.root, { state: o.state });
    const boot = await vm.boot(
      {
        ...bootFiles(a),
        state: a.state,
        noStateReason: a.noStateReason,
        timeoutMs: o.timeoutMs,
        ...(o.store ? { store: o.store } : {}),
        // containers' outbound TCP: real sockets from this process
        uplink: { kind: 'socket' },
      },
      o.listener,
    );
    return { vm, boot, manifest: a.manifest };
  } catch (e) {
    await vm.shutdown();
    throw e;
  }
}
