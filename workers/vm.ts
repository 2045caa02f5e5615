// The VM the worker owns: boots v86 from verified artifacts, bridges the
// virtio console ports and the serial console, runs the protocol channel on
// port 1 (PROTOCOL.md). Realm: Web Worker / worker_threads — no DOM.
import { releaseProxy } from 'comlink';
import { GuestError, HostChannel, SEND_SIZE, type HelloInfo } from '../src/common/channel.js';
import { concat } from '../src/common/protocol/frame.js';
import type { AttrList } from '../src/common/protocol/attrs.js';
import { Op, request } from '../src/common/protocol/ops.js';
import { ColdBootNeededError, type BootOptions, type BootResult, type ChannelStats, type StreamSink, type VmApi, type VmListener, type WireAttrs } from '../src/common/vm-api.js';
import { VGA_MEMORY_BYTES } from '../src/common/snapshot.js';
import { createEmulator, type Emulator, type EmulatorOptions } from './emulator.js';
import { HostStore, type StoreApi } from '../src/common/store/host-store.js';
import { MemoryBlobs, type Blobs } from '../src/common/store/blobs.js';
import type { StoreLocation } from '../src/common/vm-api.js';
import { isMounted, mountTree, useStoreForFiles } from './fs9p-rootfs.js';
import { attachUplink } from './uplink.js';

export const PROTOCOL_PORT = 1;
export const SHELL_PORT = 0;

export class VmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VmError';
  }
}

export class Vm implements VmApi {
  private emulator: Emulator | undefined;
  private channel: HostChannel | undefined;
  private serialTail = '';
  private hostStore: Promise<HostStore> | undefined;
  /** the emulator whose 9p reads files from the store (set up on the first mount) */
  private storageFor: Emulator | undefined;
  private stopUplink: (() => void) | undefined;

  async boot(opts: BootOptions, listener: VmListener = {}): Promise<BootResult> {
    if (this.emulator) throw new VmError('the VM is already running');
    this.hostStore ??= openStore(opts.store ?? { kind: 'memory' });
    const t0 = performance.now();
    const timeoutMs = opts.timeoutMs ?? 60_000;
    let coldBootReason = opts.noStateReason ?? 'no snapshot';
    if (opts.state) {
      try {
        const phases: Record<string, number> = {};
        const hello = await this.restore(opts, opts.state, listener, timeoutMs, phases);
        return { hello, bootMs: performance.now() - t0, restored: true, phases };
      } catch (e) {
        await this.shutdown();
        coldBootReason = `restore failed: ${(e as Error).message}`;
      }
    }
    // a host that left the kernel out boots again with it (see BootOptions)
    if (!opts.kernel || !opts.initrd) throw new ColdBootNeededError(coldBootReason);
    this.start(opts, listener, {
      bzimage: { buffer: opts.kernel },
      initrd: { buffer: opts.initrd },
      cmdline: opts.cmdline,
      autostart: true,
    });
    try {
      const hello = await this.within(timeoutMs, this.channel!.waitHello());
      // the VM shell's port starts with v86's default size in the wrong order
      this.resizeConsole(SHELL_PORT, 80, 25);
      return { hello, bootMs: performance.now() - t0, restored: false, coldBootReason };
    } catch (e) {
      await this.shutdown();
      throw e;
    }
  }

  /**
   * Restores a state saved with the daemon idle after its HELLO (PROTOCOL.md,
   * "Snapshots"): the channel takes that HELLO as said, then the guest gets
   * the host's clock and fresh entropy (a state restored twice would
   * otherwise replay one random stream) before the VM counts as ready.
   */
  private async restore(opts: BootOptions, state: NonNullable<BootOptions['state']>, listener: VmListener, timeoutMs: number, phases: Record<string, number>): Promise<HelloInfo> {
    let t = performance.now();
    const phase = (name: string) => {
      const now = performance.now();
      phases[name] = Math.round((now - t) * 10) / 10;
      t = now;
    };
    const emulator = this.start(opts, listener, { autostart: false });
    await this.within(timeoutMs, new Promise<void>((resolve) => emulator.add_listener('emulator-loaded', resolve)));
    phase('load');
    // fresh: constructed above with autostart off, never run
    const unpatch = fastUnpackMemory(emulator);
    try {
      await emulator.restore_state(state.buffer);
    } finally {
      unpatch();
    }
    await emulator.run();
    phase('restore');
    const channel = this.channel!;
    channel.assumeHello(state.hello);
    const seed = crypto.getRandomValues(new Uint8Array(64));
    await channel.request(request(Op.SysSync, { time_ms: Date.now(), seed }).fields, { timeoutMs: Math.min(timeoutMs, 10_000) });
    phase('sync');
    this.resizeConsole(SHELL_PORT, 80, 25);
    return state.hello;
  }

  /** Creates the emulator, the channel on port 1 and the console listeners. */
  private start(opts: BootOptions, listener: VmListener, boot: Pick<EmulatorOptions, 'bzimage' | 'initrd' | 'cmdline' | 'autostart'>): Emulator {
    const emulator = createEmulator({
      wasm_path: opts.wasmPath,
      bios: { buffer: opts.bios },
      ...boot,
      memory_size: opts.memoryMB * 1024 * 1024,
      vga_memory_size: VGA_MEMORY_BYTES,
      virtio_console: true,
      net_device: { type: 'virtio' },
      filesystem: {},
      disable_keyboard: true,
      disable_mouse: true,
      disable_speaker: true,
    });
    this.emulator = emulator;
    const channel = new HostChannel({
      write: (chunk) => emulator.bus.send(`virtio-console${PROTOCOL_PORT}-input-bytes`, chunk),
    });
    this.channel = channel;
    this.stopUplink = attachUplink(emulator, opts.uplink, (text) => notify(() => listener.notice?.(text)));
    emulator.bus.register(`virtio-console${PROTOCOL_PORT}-output-bytes`, (b) => channel.receive(b), this);
    for (const port of [0, 2, 3]) {
      emulator.bus.register(`virtio-console${port}-output-bytes`, (b) => notify(() => listener.console?.(port, b)), this);
    }
    // the kernel log arrives a byte at a time: batch it per tick
    let pending: number[] = [];
    emulator.add_listener('serial0-output-byte', (byte: number) => {
      if (pending.length === 0) {
        queueMicrotask(() => {
          const chunk = Uint8Array.from(pending);
          pending = [];
          this.serialTail = (this.serialTail + new TextDecoder().decode(chunk)).slice(-2000);
          notify(() => listener.serial?.(chunk));
        });
      }
      pending.push(byte);
    });
    return emulator;
  }

  /** p, or a VmError after timeoutMs naming the last kernel output. */
  private async within<T>(timeoutMs: number, p: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        p,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new VmError(`the guest did not become ready within ${timeoutMs / 1000} s; last kernel output:\n${this.serialTail.trim().split('\n').slice(-5).join('\n')}`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async request(fields: AttrList, timeoutMs?: number): Promise<WireAttrs> {
    const a = await this.ready().request(fields, { timeoutMs });
    return a.fields.map(([k, v]) => [k, v]);
  }

  open(fields: AttrList, sink: StreamSink): number {
    // Output arrives a pipe read (≤ 4 KiB) per frame; one postMessage each
    // would cap throughput, so batch per stream and flush once per task turn.
    const pending: Array<{ stream: number; parts: Uint8Array[]; size: number }> = [];
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      for (const p of pending.splice(0)) {
        const bytes = p.parts.length === 1 ? p.parts[0]! : concat(p.parts, p.size);
        notify(() => sink.data(p.stream, bytes));
      }
    };
    const { id, done } = this.ready().open(fields, (stream, data) => {
      const last = pending[pending.length - 1];
      if (last && last.stream === stream && last.size < 256 * 1024) {
        last.parts.push(data);
        last.size += data.length;
      } else {
        pending.push({ stream, parts: [data], size: data.length });
      }
      if (!scheduled) {
        scheduled = true;
        setTimeout(flush, 0);
      }
    });
    // a sink from another thread is a comlink proxy holding a MessagePort: free it at the end
    const release = () => (sink as Partial<Record<typeof releaseProxy, () => void>>)[releaseProxy]?.();
    done.then(
      (a) => {
        flush();
        notify(async () => { await sink.end(a.fields.map(([k, v]) => [k, v])); release(); });
      },
      (e: Error) => {
        flush();
        notify(async () => { await sink.fail(e.message, e instanceof GuestError ? e.errno : undefined); release(); });
      },
    );
    return id;
  }

  sendStream(id: number, stream: number, data: Uint8Array): Promise<void> {
    return this.ready().sendStream(id, stream, data);
  }

  ping(payload: Uint8Array, timeoutMs?: number): Promise<Uint8Array> {
    return this.ready().ping(payload, timeoutMs);
  }

  /** Types into a plain console port (0: the VM's shell). */
  consoleWrite(port: number, data: Uint8Array): void {
    if (port === PROTOCOL_PORT) throw new VmError('port 1 is reserved for the protocol');
    const emulator = this.running();
    // one send fills one guest buffer of 4 KiB: never send more at once
    for (let off = 0; off < data.length; off += SEND_SIZE) {
      emulator.bus.send(`virtio-console${port}-input-bytes`, data.subarray(off, off + SEND_SIZE));
    }
  }

  resizeConsole(port: number, cols: number, rows: number): void {
    // v86 0.5.462 writes the pair into the virtio resize message in the
    // order given, and Linux reads it columns-last: pass rows first so the
    // guest sees what the caller meant (measured with `stty size`).
    this.running().bus.send(`virtio-console${port}-resize`, [rows, cols]);
  }

  instructionCount(): number {
    return this.running().get_instruction_counter();
  }

  channelStats(): ChannelStats {
    return this.ready().stats();
  }

  async saveState(): Promise<ArrayBuffer> {
    return this.running().save_state();
  }

  async writeFile(path: string, data: Uint8Array): Promise<void> {
    await this.running().create_file(path, data);
  }

  async readFile(path: string): Promise<Uint8Array> {
    return this.running().read_file(path);
  }

  store<K extends keyof StoreApi>(method: K, ...args: Parameters<StoreApi[K]>): ReturnType<StoreApi[K]> {
    const call = async (): Promise<unknown> => {
      const st = await this.openedStore();
      return (st[method] as (...a: Parameters<StoreApi[K]>) => Promise<unknown>).apply(st, args);
    };
    return call() as ReturnType<StoreApi[K]>;
  }

  async mountSnapshot(key: string): Promise<void> {
    const emulator = this.running();
    const fs = emulator.fs9p;
    if (!fs) throw new VmError('the VM has no 9p filesystem');
    const st = await this.openedStore();
    if (this.storageFor !== emulator) {
      useStoreForFiles(
        fs,
        {
          read: (source, offset, length, fileEnd) => st.snapshots.readSource(source, offset, length, fileEnd),
          failed: (path, e) => st.noteLazyFailure(`${path}: ${e.message}`),
        },
        emulator.v86?.cpu?.devices?.virtio_9p,
      );
      this.storageFor = emulator;
    }
    // every `docker run` asks: a mounted tree is not built again
    if (!isMounted(fs, key)) mountTree(fs, key, await st.snapshots.tree(key));
  }

  private openedStore(): Promise<HostStore> {
    if (!this.hostStore) throw new VmError('the image store is not open (boot first)');
    return this.hostStore;
  }

  async shutdown(): Promise<void> {
    // open files only: the store stays usable (a failed restore boots again)
    await this.hostStore?.then((s) => s.blobs.close?.()).catch(() => {});
    const e = this.emulator;
    this.emulator = undefined;
    this.channel?.close(new VmError('the VM was shut down'));
    this.channel = undefined;
    this.stopUplink?.();
    this.stopUplink = undefined;
    if (e) await e.destroy();
  }

  private running(): Emulator {
    if (!this.emulator) throw new VmError('the VM is not running');
    return this.emulator;
  }

  private ready(): HostChannel {
    if (!this.channel?.ready) throw new VmError('the VM is not ready');
    return this.channel;
  }
}

/**
 * v86 0.5.462 restores guest RAM by zeroing all of it with a memset compiled
 * into v86.wasm (~0.45 s for 128 MiB of fresh memory: every page faulted in
 * and written), then copying each saved page through a Proxy that makes a
 * new typed array per call (~0.1 s): most of a restore. A fresh emulator that
 * never ran holds zeros everywhere but below 1 MiB (its init wrote the BIOS
 * there; the rest is new WebAssembly memory, zero by definition), so this
 * clears only that part and copies runs of saved pages through one view.
 * Same bytes in guest RAM. Returns what undoes the patch; changes nothing if
 * v86's internals are not as expected.
 */
function fastUnpackMemory(emulator: Emulator): () => void {
  const cpu = emulator.v86?.cpu;
  const original = cpu?.unpack_memory;
  const mem8 = cpu?.mem8;
  if (!cpu || typeof original !== 'function' || !(mem8?.buffer instanceof ArrayBuffer)) return () => {};
  cpu.unpack_memory = (bitmap, packed) => {
    const ram = new Uint8Array(mem8.buffer, mem8.byteOffset, mem8.length);
    ram.fill(0, 0, Math.min(ram.length, 1 << 20));
    const pages = ram.length >> 12;
    let from = 0; // next page of `packed`
    for (let p = 0; p < pages; ) {
      if (!bitmap.get(p)) {
        p++;
        continue;
      }
      let end = p + 1;
      while (end < pages && bitmap.get(end)) end++;
      const n = end - p;
      ram.set(packed.subarray(from << 12, (from + n) << 12), p << 12);
      from += n;
      p = end;
    }
  };
  return () => {
    cpu.unpack_memory = original;
  };
}

async function openStore(where: StoreLocation): Promise<HostStore> {
  let blobs: Blobs;
  if (where.kind === 'dir') blobs = await (await import('./store-dir.js')).dirBlobs(where.path);
  else if (where.kind === 'opfs') {
    // a browser without origin storage (or refusing it) still runs: images then last as long as the page
    blobs = await (await import('./store-opfs.js')).opfsBlobs().catch((e: Error) => new MemoryBlobs(Infinity, `memory (origin storage unavailable: ${e.message})`));
  } else blobs = new MemoryBlobs();
  return new HostStore(blobs, gunzip, undefined, fetchBytes);
}

/** A lazy layer's piece (content-addressed: any cache may serve it; the store checks it). */
async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}`);
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Inflates with the platform: node:zlib under Node (off the thread, and
 * faster than DecompressionStream's web stream there: 48 -> 118 MB in
 * ~0.37 s instead of 0.49-0.69 s), DecompressionStream in a browser.
 */
async function gunzip(data: Uint8Array): Promise<Uint8Array> {
  // a bad stream throws: Snapshots.apply says `layer is not valid gzip: …`
  if (typeof process !== 'undefined' && process.versions?.node) {
    const zlib = await import('node:zlib');
    return new Promise<Uint8Array>((resolve, reject) => zlib.gunzip(data, (err, out) => (err ? reject(err) : resolve(out))));
  }
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Calls a host listener. Across threads it is a comlink proxy whose calls
 * return promises; a host that throws must not take the VM down with it.
 */
function notify(call: () => unknown): void {
  try {
    void Promise.resolve(call()).catch(() => {});
  } catch {
    // ignored: see above
  }
}
