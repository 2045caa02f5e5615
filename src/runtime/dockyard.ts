// The runtime API: what the CLI, the playground and tutorial pages call.
// Realm-neutral: it talks to the VM only through a VmBackend.
import type { HelloInfo } from '../common/channel.js';
import { Op, reply, request, type Key, type OpRequest, type OpSpec } from '../common/protocol/ops.js';
import type { BootResult } from '../common/vm-api.js';
import type { StoreApi } from '../common/store/host-store.js';
import { backendMethods, forward, type VmBackend } from './backend.js';
import { Containers } from './containers.js';
import { Networks } from './networks.js';
import { ImageStore, type PullEvent, type PullOptions } from './images.js';
import type { ImageSource } from './registry.js';
import { Registries } from './registries.js';
import { Watchdog, type WatchdogOptions } from './watchdog.js';

export interface DockerInfo {
  kernelVersion: string;
  kernelBuild: string;
  operatingSystem: string;
  architecture: string;
  cpus: number;
  totalMemoryBytes: number;
  /** MemAvailable: what the VM could still give containers */
  memAvailableBytes: number;
  daemonVersion: string;
  /** emulator start → daemon ready */
  bootMs: number;
  /** restored from a saved state (else booted the kernel) */
  restored: boolean;
  /** why it booted the kernel */
  coldBootReason?: string;
  uptimeMs: number;
}

/** Docker's names for uname machines (docker info prints i386 for 32-bit x86 kernels too). */
export function dockerArch(machine: string): string {
  return /^i[3-6]86$/.test(machine) ? 'i386' : machine === 'x86_64' ? 'x86_64' : machine;
}

/** Boots a fresh VM: what Dockyard calls to recover from a dead guest. */
export type VmFactory = () => Promise<{ vm: VmBackend; boot: BootResult }>;

export class VmStoppedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VmStoppedError';
  }
}

export class Dockyard {
  readonly images: ImageStore;
  readonly containers: Containers;
  readonly networks: Networks;
  private watchdog: Watchdog | undefined;
  /** set when the guest stopped answering, until recover() */
  private deadReason: string | undefined;
  private vm: VmBackend;
  private booted: BootResult;

  constructor(
    vm: VmBackend,
    boot: BootResult,
    readonly registry: ImageSource,
    private readonly reboot?: VmFactory,
    private readonly watchdogOptions?: Required<WatchdogOptions>,
    /** logins and the distribution client (login, logout, push) */
    readonly registries: Registries = new Registries(),
  ) {
    this.vm = vm;
    this.booted = boot;
    // everything below talks to whichever VM is current (see recover())
    const current = forward<VmBackend, keyof VmBackend>(
      backendMethods,
      (key) =>
        (...args: unknown[]) => {
          const vm = this.live();
          return (vm[key] as (...a: unknown[]) => Promise<unknown>).apply(vm, args);
        },
      // shutting down a dead VM is allowed
      { shutdown: () => this.vm.shutdown() },
    );
    this.images = new ImageStore(storeOver(current));
    this.networks = new Networks(current);
    this.containers = new Containers(current, this.images, (ref) => this.pull(ref), this.networks);
    if (reboot) this.watch();
  }

  get boot(): BootResult {
    return this.booted;
  }

  /** Why the VM is considered dead, if it is (then recover() before anything else). */
  get stoppedReason(): string | undefined {
    return this.deadReason;
  }

  private live(): VmBackend {
    if (this.deadReason !== undefined) throw new VmStoppedError(`the VM stopped responding: ${this.deadReason}`);
    return this.vm;
  }

  private watch(): void {
    const vm = this.vm;
    this.watchdog = new Watchdog(
      (t) => vm.ping(new Uint8Array(0), t),
      (reason) => {
        this.deadReason = reason;
        // fail whatever is waiting on the dead VM
        void vm.shutdown().catch(() => {});
      },
      this.watchdogOptions,
    );
  }

  /**
   * Replaces a dead VM with a fresh one (cold boot or snapshot) and says, as
   * one line, what was lost: the containers that were running or stopped.
   */
  async recover(): Promise<string> {
    if (!this.reboot) throw new VmStoppedError('the VM stopped responding and cannot be restarted here');
    const reason = this.deadReason ?? 'restart requested';
    const lost = this.containers.lastKnown().map((c) => c.name);
    this.watchdog?.stop();
    await this.vm.shutdown().catch(() => {});
    const { vm, boot } = await this.reboot();
    this.vm = vm;
    this.booted = boot;
    this.images.forget();
    this.deadReason = undefined;
    this.watch();
    return `the VM stopped responding (${reason}); restarted — containers lost: ${lost.length ? lost.join(', ') : 'none'}`;
  }

  /** `docker pull`: the bundled registry for its names, else the registry the name points at. */
  pull(ref: string, onEvent?: (e: PullEvent) => void, signal?: AbortSignal, opts?: PullOptions) {
    return this.images.pull(this.registry, ref, onEvent, signal, opts);
  }

  /** The VM itself, for consoles (port 0: a shell on the VM). */
  get backend(): VmBackend {
    return this.live();
  }

  get hello(): HelloInfo {
    return this.boot.hello;
  }

  /** Sends one protocol request; the guest's ERROR becomes a rejected promise. */
  async call<S extends OpSpec>(req: OpRequest<S>, timeoutMs?: number): Promise<Partial<Record<Key<S['reply']>, string>>> {
    return reply(req.op, await this.live().request(req.fields, timeoutMs)).toRecord();
  }

  async info(): Promise<DockerInfo> {
    const r = await this.call(request(Op.Info, {}), 10_000);
    return {
      kernelVersion: r.kernel ?? '',
      kernelBuild: r.kernel_version ?? '',
      operatingSystem: r.os ?? '',
      architecture: dockerArch(r.machine ?? ''),
      cpus: Number(r.ncpu ?? 1),
      totalMemoryBytes: Number(r.mem_kb ?? 0) * 1024,
      memAvailableBytes: Number(r.mem_available_kb ?? 0) * 1024,
      daemonVersion: this.hello.version,
      bootMs: this.boot.bootMs,
      restored: this.boot.restored,
      ...(this.boot.coldBootReason !== undefined ? { coldBootReason: this.boot.coldBootReason } : {}),
      uptimeMs: Number(r.uptime_ms ?? 0),
    };
  }

  async close(): Promise<void> {
    this.watchdog?.stop();
    await this.containers.unpublishAll().catch(() => {});
    await this.vm.shutdown();
  }
}

/** The store API over VmBackend.store: every method forwarded by name. */
function storeOver(vm: VmBackend): StoreApi {
  return new Proxy({} as StoreApi, {
    // not a thenable: `then` is no store method
    get: (_, method) => (method === 'then' ? undefined : (...args: unknown[]) => (vm.store as (m: unknown, ...a: unknown[]) => Promise<unknown>)(method, ...args)),
  });
}
