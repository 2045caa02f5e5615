// The runtime API: what the CLI, the playground and tutorial pages call.
// Realm-neutral: it talks to the VM only through a VmBackend.
import type { HelloInfo } from '../common/channel.js';
import { Attrs, type AttrList } from '../common/protocol/attrs.js';
import type { BootResult, WireAttrs } from '../common/vm-api.js';
import type { VmBackend } from './backend.js';
import { Containers } from './containers.js';
import { ImageStore, type PullEvent } from './images.js';
import type { RegistrySource } from './registry.js';

export interface DockerInfo {
  kernelVersion: string;
  kernelBuild: string;
  operatingSystem: string;
  architecture: string;
  cpus: number;
  totalMemoryBytes: number;
  daemonVersion: string;
  /** emulator start → daemon ready */
  bootMs: number;
  uptimeMs: number;
}

const dec = new TextDecoder();

function toRecord(a: WireAttrs): Record<string, string> {
  const r: Record<string, string> = {};
  for (const [k, v] of a) r[k] = dec.decode(v);
  return r;
}

/** Docker's names for uname machines (docker info prints i386 for 32-bit x86 kernels too). */
export function dockerArch(machine: string): string {
  return /^i[3-6]86$/.test(machine) ? 'i386' : machine === 'x86_64' ? 'x86_64' : machine;
}

export class Dockyard {
  readonly images: ImageStore;
  readonly containers: Containers;

  constructor(
    private readonly vm: VmBackend,
    readonly boot: BootResult,
    readonly registry: RegistrySource,
  ) {
    this.images = new ImageStore({
      call: async (fields) => Attrs.of(await vm.request(fields)),
      writeFile: (path, data, opts) => vm.writeFile(path, data, opts),
      readFile: (path) => vm.readFile(path),
    });
    this.containers = new Containers(vm, this.images, (ref) => this.pull(ref));
  }

  /** `docker pull` from the bundled registry. */
  pull(ref: string, onEvent?: (e: PullEvent) => void) {
    return this.images.pull(this.registry, ref, onEvent);
  }

  /** The VM itself, for consoles (port 0: a shell on the VM). */
  get backend(): VmBackend {
    return this.vm;
  }

  get hello(): HelloInfo {
    return this.boot.hello;
  }

  /** Sends one protocol request; the guest's ERROR becomes a rejected promise. */
  async call(fields: AttrList, timeoutMs?: number): Promise<Record<string, string>> {
    return toRecord(await this.vm.request(fields, timeoutMs));
  }

  async info(): Promise<DockerInfo> {
    const r = await this.call([['op', 'info']], 10_000);
    return {
      kernelVersion: r.kernel ?? '',
      kernelBuild: r.kernel_version ?? '',
      operatingSystem: r.os ?? '',
      architecture: dockerArch(r.machine ?? ''),
      cpus: Number(r.ncpu ?? 1),
      totalMemoryBytes: Number(r.mem_kb ?? 0) * 1024,
      daemonVersion: this.hello.version,
      bootMs: this.boot.bootMs,
      uptimeMs: Number(r.uptime_ms ?? 0),
    };
  }

  async close(): Promise<void> {
    await this.vm.shutdown();
  }
}

/** `docker info`-style text. */
export function formatInfo(i: DockerInfo): string {
  const gib = (i.totalMemoryBytes / 1024 ** 3).toFixed(2);
  const mib = (i.totalMemoryBytes / 1024 ** 2).toFixed(1);
  return [
    'Server:',
    ` Server Version: containerd-lite ${i.daemonVersion}`,
    ` Kernel Version: ${i.kernelVersion}`,
    ` Operating System: ${i.operatingSystem}`,
    ` OSType: linux`,
    ` Architecture: ${i.architecture}`,
    ` CPUs: ${i.cpus}`,
    ` Total Memory: ${Number(gib) >= 1 ? `${gib}GiB` : `${mib}MiB`}`,
    ` Emulator: v86 (in a worker)`,
    ` Boot Time: ${(i.bootMs / 1000).toFixed(2)}s`,
    '',
  ].join('\n');
}
