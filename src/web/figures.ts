// "Containers vs. VMs": the usual comparison table (image size, start time,
// memory, one shared kernel) filled with figures from this very session —
// the pulled image, the last `docker run` as timed by the page, the running
// containers' memory, this VM's own boot files, boot time and RAM.
import { bytesSize, humanSize } from '../cli/format.js';
import { familiarNameOf } from '../common/oci/reference.js';
import type { Manifest } from '../common/manifest.js';
import type { ContainerInfo } from '../runtime/containers.js';
import type { DockerInfo, Dockyard } from '../runtime/dockyard.js';
import type { ImageRecord } from '../runtime/images.js';
import { h } from './dom.js';
import type { RunTiming } from './run-timing.js';

/** "62ms", "1.24s": milliseconds below a second, as Go prints a Duration's scale. */
export function durationText(ms: number): string {
  return ms < 1000 ? `${Math.max(1, Math.round(ms))}ms` : `${(ms / 1000).toFixed(2)}s`;
}

/** One cell: a figure, a note under it, and its raw value for tests and tooltips. */
interface Cell {
  value: string;
  note: string;
  /** the number behind `value` (bytes, ms, a count); absent while unknown */
  raw?: number;
  title?: string;
}

const NAMES = ['image-size', 'vm-size', 'container-start', 'vm-start', 'container-memory', 'vm-memory', 'kernel-shared', 'kernel-vm'] as const;
type FigureName = (typeof NAMES)[number];

export class Figures {
  readonly el: HTMLElement;
  private readonly cells = new Map<FigureName, HTMLTableCellElement>();
  private lastRun: RunTiming | undefined;
  /** from the last info() (asked for only while the table is visible) */
  private memAvailable: number | undefined;
  private onScreen = true;

  constructor(
    private readonly d: Dockyard,
    private readonly manifest: Manifest,
  ) {
    const cell = (name: FigureName) => {
      const td = h('td', { dataset: { figure: name } });
      this.cells.set(name, td);
      return td;
    };
    const row = (label: string, a: FigureName, b: FigureName) => h('tr', {}, h('th', { scope: 'row' }, label), cell(a), cell(b));
    this.el = h(
      'section',
      { className: 'panel-section figures', id: 'figures' },
      h('h2', {}, 'Containers vs. VMs'),
      h(
        'table',
        { className: 'figures-table' },
        h('colgroup', {}, h('col', { className: 'figures-label' }), h('col'), h('col')),
        h('thead', {}, h('tr', {}, h('td', {}), h('th', { scope: 'col' }, 'Containers'), h('th', { scope: 'col' }, 'This VM'))),
        h('tbody', {}, row('Size', 'image-size', 'vm-size'), row('Start', 'container-start', 'vm-start'), row('Memory', 'container-memory', 'vm-memory'), row('Kernel', 'kernel-shared', 'kernel-vm')),
      ),
      h('p', { className: 'figures-note' }, 'Measured in this tab. The containers run inside this VM.'),
    );
    // figures that need the VM are fetched only while the table can be seen
    if (typeof IntersectionObserver !== 'undefined') {
      new IntersectionObserver((entries) => {
        for (const e of entries) this.onScreen = e.isIntersecting;
      }).observe(this.el);
    }
    this.render([], []);
  }

  /** Whether a refresh should ask the VM for figures the lists do not carry. */
  get visible(): boolean {
    return document.visibilityState === 'visible' && this.onScreen;
  }

  /** A `docker run` just printed its first output. */
  runTimed(t: RunTiming): void {
    this.lastRun = t;
    this.set('container-start', this.startCell());
  }

  /** New lists from the side panel's refresh (and `info` when it asked: see `visible`). */
  update(images: ImageRecord[], containers: ContainerInfo[], info?: DockerInfo): void {
    // an older daemon does not report it (0)
    if (info?.memAvailableBytes) this.memAvailable = info.memAvailableBytes;
    this.render(images, containers);
  }

  private render(images: ImageRecord[], containers: ContainerInfo[]): void {
    const running = containers.filter((c) => c.status === 'running');
    const boot = this.d.boot;
    const a = this.manifest.artifacts;
    const state = this.manifest.state;

    const image = images.find((i) => familiarNameOf(i.name) === 'busybox:latest') ?? images[0];
    this.set(
      'image-size',
      image
        ? { value: humanSize(image.size), note: `${familiarNameOf(image.name)} image`, raw: image.size }
        : { value: '—', note: 'no image yet: docker pull busybox' },
    );
    const parts: Array<[string, number]> = [['kernel', a.kernel.size], ['initramfs', a.initrd.size], ...(state ? [['saved state', state.size] as [string, number]] : [])];
    const vmBytes = parts.reduce((n, [, s]) => n + s, 0);
    this.set('vm-size', {
      value: humanSize(vmBytes),
      note: parts.map(([n]) => n).join(' + '),
      raw: vmBytes,
      title: parts.map(([n, s]) => `${n} ${humanSize(s)}`).join(' + '),
    });

    this.set('container-start', this.startCell());
    this.set('vm-start', {
      value: durationText(boot.bootMs),
      note: boot.restored ? 'VM restored from a snapshot' : 'VM cold boot',
      raw: boot.bootMs,
      title: boot.restored ? 'emulator start → daemon ready, from the saved state (booting the kernel takes seconds)' : `emulator start → daemon ready, booting the kernel (${boot.coldBootReason ?? 'no snapshot'})`,
    });

    const measured = running.filter((c) => c.memoryBytes > 0);
    const perContainer = measured.length ? measured.reduce((m, c) => m + c.memoryBytes, 0) / measured.length : undefined;
    this.set(
      'container-memory',
      perContainer !== undefined
        ? {
            value: bytesSize(perContainer),
            note: measured.length === 1 ? 'the running container' : `per container, mean of ${measured.length} running`,
            raw: Math.round(perContainer),
            title: "each container's cgroup memory.current: its processes, page cache and writable layer",
          }
        : { value: '—', note: running.length ? 'not reported by this daemon' : 'none running' },
    );
    const vmMemory = this.manifest.memoryMB * 1024 * 1024;
    this.set('vm-memory', {
      value: bytesSize(vmMemory),
      note: this.memAvailable !== undefined ? `reserved; ${bytesSize(this.memAvailable)} still available` : 'reserved up front',
      raw: vmMemory,
      title: "the guest RAM the emulator allocates whatever runs in it; 'available' is the guest's MemAvailable",
    });

    const n = running.length;
    // read together: "2 containers share 1 kernel (Linux 6.1.176)"
    this.set('kernel-shared', { value: `${n} container${n === 1 ? '' : 's'}`, note: `${n === 1 ? 'shares' : 'share'} 1 kernel (Linux ${this.d.hello.kernel})`, raw: n, title: 'running now, each in its own namespaces and cgroup' });
    this.set('kernel-vm', { value: 'one kernel per VM', note: 'each VM boots its own' });
  }

  private startCell(): Cell {
    const t = this.lastRun;
    const title = "from the container's create request to its first output, timed in this page (a pull before it is not counted)";
    return t
      ? { value: durationText(t.ms), note: 'last docker run → first output', raw: Math.round(t.ms), title }
      : { value: '—', note: 'run a container to time it', title };
  }

  private set(name: FigureName, c: Cell): void {
    const td = this.cells.get(name)!;
    td.replaceChildren(h('span', { className: 'fig-value' }, c.value), h('span', { className: 'fig-note' }, c.note));
    if (c.raw !== undefined) td.dataset.value = String(c.raw);
    else delete td.dataset.value;
    if (c.title) td.title = c.title;
    else td.removeAttribute('title');
  }
}
