// "Containers vs. VMs": the usual comparison table (image size, start time,
// memory, one shared kernel) filled with figures from this very session —
// the pulled image against the VM's disk (its kernel and initramfs), the
// last `docker run` against a VM's *boot* (a snapshot restore is not one:
// when this page restored, the reader can have a cold boot timed once in a
// worker of its own, kept in this browser), the running containers' memory against the
// memory the VM reserves. A first run is said to be one (it includes the
// emulator compiling the guest's code).
import { bytesSize, humanSize } from '../cli/format.js';
import { familiarNameOf } from '../common/oci/reference.js';
import type { Manifest } from '../common/manifest.js';
import type { ContainerInfo } from '../runtime/containers.js';
import type { DockerInfo, Dockyard } from '../runtime/dockyard.js';
import type { ImageRecord } from '../runtime/images.js';
import { h } from './dom.js';
import type { RunTiming } from './run-timing.js';

/** A VM cold boot timed in this browser (kept across visits: it is the same machine). */
interface ColdBoot {
  ms: number;
  /** unix ms when it was timed */
  at: number;
  /** this page's own boot, or a boot timed in the background for the panel */
  how: 'page' | 'background';
}

const COLD_BOOT_KEY = 'dockyard.coldBoot';

function storedColdBoot(): ColdBoot | undefined {
  try {
    const v = JSON.parse(localStorage.getItem(COLD_BOOT_KEY) ?? 'null') as ColdBoot | null;
    return v && typeof v.ms === 'number' && v.ms > 0 ? v : undefined;
  } catch {
    return undefined;
  }
}

function storeColdBoot(c: ColdBoot): void {
  try {
    localStorage.setItem(COLD_BOOT_KEY, JSON.stringify(c));
  } catch {
    // storage refused: timed again next visit
  }
}

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
  /** a button under the figure */
  action?: { label: string; run: () => void } | undefined;
}

const NAMES = ['image-size', 'vm-size', 'container-start', 'vm-start', 'container-memory', 'vm-memory', 'kernel-shared', 'kernel-vm'] as const;
type FigureName = (typeof NAMES)[number];

export class Figures {
  readonly el: HTMLElement;
  private readonly cells = new Map<FigureName, HTMLTableCellElement>();
  private lastRun: RunTiming | undefined;
  /** docker runs timed so far in this page: the first is a cold one */
  private runs = 0;
  private coldBoot: ColdBoot | undefined;
  private coldBootState: 'idle' | 'timing' | 'failed' = 'idle';
  /** from the last info() (asked for only while the table is visible) */
  private memAvailable: number | undefined;
  private onScreen = true;

  constructor(
    private readonly d: Dockyard,
    private readonly manifest: Manifest,
    /** boots a VM cold elsewhere and says how long it took (the page's: vm-client's timeColdBoot) */
    private readonly timeColdBoot?: () => Promise<number>,
  ) {
    if (!d.boot.restored) {
      // this page booted the kernel: that is the figure, and the browser keeps it
      this.coldBoot = { ms: d.boot.bootMs, at: Date.now(), how: 'page' };
      storeColdBoot(this.coldBoot);
    } else this.coldBoot = storedColdBoot();
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
      h('p', { className: 'figures-note' }, 'Measured in this browser. The containers run inside this VM.'),
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
    this.runs++;
    this.set('container-start', this.startCell());
  }

  /**
   * Times a VM cold boot in a worker of its own, once per browser, when this
   * page restored a snapshot (a restore is not what starting a VM costs).
   * Asked for by the reader: it downloads the kernel and initramfs a restore
   * spared, and takes a VM's CPU and memory for seconds.
   */
  timeBoot(): void {
    if (this.coldBoot || !this.timeColdBoot || this.coldBootState !== 'idle') return;
    this.coldBootState = 'timing';
    this.set('vm-start', this.bootCell());
    this.timeColdBoot().then(
      (ms) => {
        this.coldBoot = { ms, at: Date.now(), how: 'background' };
        storeColdBoot(this.coldBoot);
        this.set('vm-start', this.bootCell());
      },
      () => {
        this.coldBootState = 'failed';
        this.set('vm-start', this.bootCell());
      },
    );
  }

  /** New lists from the side panel's refresh (and `info` when it asked: see `visible`). */
  update(images: ImageRecord[], containers: ContainerInfo[], info?: DockerInfo): void {
    // an older daemon does not report it (0)
    if (info?.memAvailableBytes) this.memAvailable = info.memAvailableBytes;
    this.render(images, containers);
  }

  private render(images: ImageRecord[], containers: ContainerInfo[]): void {
    const running = containers.filter((c) => c.status === 'running');
    const a = this.manifest.artifacts;
    const state = this.manifest.state;

    const image = images.find((i) => familiarNameOf(i.name) === 'busybox:latest') ?? images[0];
    this.set(
      'image-size',
      image
        ? { value: humanSize(image.size), note: `${familiarNameOf(image.name)} image`, raw: image.size }
        : { value: '—', note: 'no image yet: docker pull busybox' },
    );
    // a VM's disk is what it boots from: this one's kernel and initramfs (the saved state is memory, not disk)
    const vmBytes = a.kernel.size + a.initrd.size;
    this.set('vm-size', {
      value: humanSize(vmBytes),
      note: "kernel + initramfs: the VM's disk",
      raw: vmBytes,
      title: `kernel ${humanSize(a.kernel.size)} + initramfs ${humanSize(a.initrd.size)}${state ? `; its saved memory state (${humanSize(state.size)}) is not counted` : ''}`,
    });

    this.set('container-start', this.startCell());
    this.set('vm-start', this.bootCell());

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
    if (!t) return { value: '—', note: 'run a container to time it', title };
    return this.runs === 1
      ? { value: durationText(t.ms), note: 'first docker run → first output: a cold run, run again for a warm one', raw: Math.round(t.ms), title: `${title}; the emulator compiles the guest's code as it first runs it, so the first run is slower` }
      : { value: durationText(t.ms), note: 'last docker run → first output', raw: Math.round(t.ms), title };
  }

  /** A VM's start is its boot: this page's, or one timed in this browser; never the snapshot restore. */
  private bootCell(): Cell {
    const boot = this.d.boot;
    const restore = boot.restored ? `This page restored a saved VM in ${durationText(boot.bootMs)} instead: a restore is not a boot. ` : '';
    const c = this.coldBoot;
    if (c) {
      const when = new Date(c.at).toLocaleString();
      return {
        value: durationText(c.ms),
        note: c.how === 'page' && !boot.restored ? 'VM cold boot (this page)' : 'VM cold boot, timed in this browser',
        raw: Math.round(c.ms),
        title: `${restore}Emulator start → daemon ready, booting the kernel, ${when}${c.how === 'background' ? ' (in a worker of its own)' : ''}.`,
      };
    }
    if (this.coldBootState === 'failed') return { value: '—', note: 'VM cold boot: could not be timed here', title: restore };
    if (this.coldBootState === 'timing') return { value: '…', note: 'timing a VM cold boot', title: `${restore}A cold boot is being timed in a worker of its own, once for this browser.` };
    return {
      value: '—',
      note: 'VM cold boot: not timed in this browser yet',
      title: `${restore}Timing one boots a second VM in a worker for a few seconds (and downloads its kernel, ${humanSize(this.manifest.artifacts.kernel.size + this.manifest.artifacts.initrd.size)}).`,
      action: this.timeColdBoot ? { label: 'Time a cold boot', run: () => this.timeBoot() } : undefined,
    };
  }

  private set(name: FigureName, c: Cell): void {
    const td = this.cells.get(name)!;
    td.replaceChildren(
      h('span', { className: 'fig-value' }, c.value),
      h('span', { className: 'fig-note' }, c.note),
      ...(c.action ? [h('button', { type: 'button', className: 'fig-action', onclick: c.action.run }, c.action.label)] : []),
    );
    if (c.raw !== undefined) td.dataset.value = String(c.raw);
    else delete td.dataset.value;
    if (c.title) td.title = c.title;
    else td.removeAttribute('title');
  }
}
