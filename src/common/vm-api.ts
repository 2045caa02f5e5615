// The VM worker's API as the page and the Node host see it (comlink-wrapped).
// Kept here, realm-neutral, so no other realm compiles the worker's code.
// A new method: declare it in VmApi, list it in VM_API_METHODS (the compiler
// insists), implement it in workers/vm.ts. Every forwarder is built from that
// list (src/runtime/remote-backend.ts, the Dockyard's); one taking a callback
// or a buffer to transfer also gets a line in remote-backend.ts's `wire`.
import type { HelloInfo, HostChannel } from './channel.js';
import type { AttrList } from './protocol/attrs.js';
import type { StoreApi } from './store/host-store.js';

/**
 * Where the worker keeps the image store: `dir` (the Node CLI: a directory,
 * $DOCKYARD_HOME), `opfs` (the page: origin storage), `memory` (gone with
 * the worker).
 */
export type StoreLocation = { kind: 'memory' } | { kind: 'dir'; path: string } | { kind: 'opfs' };

interface BootCommon {
  /** v86.wasm: a URL in browsers, a file path under Node */
  wasmPath: string;
  bios: ArrayBuffer;
  cmdline: string;
  memoryMB: number;
  /** Why no `state` is given (no snapshot, stamp mismatch…): BootResult.coldBootReason. */
  noStateReason?: string;
  /** give up if the daemon has not said HELLO by then */
  timeoutMs?: number;
  /** the image store (default: memory) */
  store?: StoreLocation;
  /** how containers' outbound TCP leaves the VM (default: refused) */
  uplink?: Uplink;
}

/**
 * Where the host's relay on the VM's uplink (src/common/netstack) sends a
 * container's outbound connections: `socket` (Node: real sockets;
 * host.docker.internal is this machine's 127.0.0.1), `fetch` (a page: HTTP
 * requests through fetch(); host.docker.internal is `host`, the page's).
 */
export type Uplink = { kind: 'socket' } | { kind: 'fetch'; host: string };

/**
 * What to boot. The kernel and initramfs may be left out when a `state` is
 * given (a page then need not download them): if that state cannot be
 * restored, boot() rejects with ColdBootNeededError and the host boots again
 * with them.
 */
export type BootOptions = BootCommon &
  (
    | {
        kernel: ArrayBuffer;
        initrd: ArrayBuffer;
        /**
         * Restore this saved state instead of booting the kernel. The host
         * passes it only when its stamp matches the artifacts above
         * (src/common/snapshot.ts); if the restore fails the worker
         * cold-boots from them.
         */
        state?: BootState;
      }
    | { kernel?: undefined; initrd?: undefined; state: BootState }
  );

/**
 * boot() could not restore the state it was given and had no kernel to boot
 * instead. The message is the reason (what BootResult.coldBootReason will
 * say once the host boots the kernel). comlink carries only an error's name
 * and message across threads: reviveError (errors-wire.ts) makes it one again.
 */
export class ColdBootNeededError extends Error {
  static readonly NAME = 'ColdBootNeededError';

  constructor(readonly reason: string) {
    super(reason);
    this.name = ColdBootNeededError.NAME;
  }
}

/** The buffers of `opts` worth transferring rather than copying. */
export function bootTransferables(opts: BootOptions): ArrayBuffer[] {
  return [opts.bios, opts.kernel, opts.initrd, opts.state?.buffer].filter((b): b is ArrayBuffer => b !== undefined);
}

/** A guest state saved with the daemon idle right after its HELLO. */
export interface BootState {
  /** what v86's save_state() returned, raw or zstd-compressed (v86 sees the magic) */
  buffer: ArrayBuffer;
  /** the HELLO the daemon sent before the save: it will not send it again */
  hello: HelloInfo;
}

export interface BootResult {
  hello: HelloInfo;
  /** from the emulator's construction to the daemon's HELLO (restored: to the guest's clock and entropy being set) */
  bootMs: number;
  /** true when the VM was restored from a saved state, false when it booted the kernel */
  restored: boolean;
  /** when it booted the kernel: why not from a state (`no snapshot`, `state stamp does not match the artifacts`, `restore failed: …`) */
  coldBootReason?: string;
  /** where a restore's time went, ms: `load` (v86 and its wasm set up), `restore` (state loaded), `sync` (clock and entropy set) */
  phases?: Record<string, number>;
}

/** Host-side listener, called from the worker (a comlink proxy across threads). */
export interface VmListener {
  /** bytes the guest wrote on a console port other than the protocol port */
  console?(port: number, data: Uint8Array): void;
  /** kernel log bytes (ttyS0) */
  serial?(data: Uint8Array): void;
  /** a line for the user from the host's side of the VM (why an outbound connection was refused) */
  notice?(text: string): void;
}

/** Attrs as they cross postMessage: ordered [key, bytes] pairs. */
export type WireAttrs = Array<[string, Uint8Array]>;

export type ChannelStats = ReturnType<HostChannel['stats']>;

/** Receives a long-running request's output and its end (a comlink proxy across threads). */
export interface StreamSink {
  data(stream: number, bytes: Uint8Array): void;
  end(attrs: WireAttrs): void;
  fail(message: string, errno?: number): void;
}

export interface VmApi {
  boot(opts: BootOptions, listener?: VmListener): Promise<BootResult>;
  request(fields: AttrList, timeoutMs?: number): Promise<WireAttrs>;
  ping(payload: Uint8Array, timeoutMs?: number): Promise<Uint8Array>;
  /** Starts a streaming request; returns its id (for `sendStream`). */
  open(fields: AttrList, sink: StreamSink): number;
  /**
   * stdin bytes for request `id` (stream 0); empty = EOF. Resolves once the
   * channel took them (within the request's stdin window: back-pressure from
   * a process that does not read); rejects when the request has ended.
   */
  sendStream(id: number, stream: number, data: Uint8Array): Promise<void>;
  /** Types into a plain console port (0: the VM's shell). */
  consoleWrite(port: number, data: Uint8Array): void;
  resizeConsole(port: number, cols: number, rows: number): void;
  channelStats(): ChannelStats;
  /**
   * Guest instructions executed so far (v86's counter; it wraps at 2^32, so
   * take differences with `>>> 0`). What work costs the emulated CPU, which
   * host load does not change: the benchmark's noise-free figure.
   */
  instructionCount(): number;
  /** v86's save_state() of the running VM (uncompressed). */
  saveState(): Promise<ArrayBuffer>;
  /** Puts a file into the VM's 9p filesystem (the guest sees it under /mnt/host). */
  writeFile(path: string, data: Uint8Array): Promise<void>;
  /** Reads a file the guest left in the 9p filesystem (it must `sync` first: 9p is mounted cache=loose). */
  readFile(path: string): Promise<Uint8Array>;
  /** One call of the host-side image store (opened at boot, from BootOptions.store). */
  store<K extends keyof StoreApi>(method: K, ...args: Parameters<StoreApi[K]>): ReturnType<StoreApi[K]>;
  /**
   * Puts the tree of snapshot `key` (a chain id) into the 9p filesystem at
   * `snapshots/<hex>`, where container.create looks for it; kept for the
   * VM's life (the guest may hold it open).
   */
  mountSnapshot(key: string): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Every VmApi method, once, and who calls it: the `runtime` (the Dockyard and
 * consoles, through a VmBackend) or only the `host` that started the worker
 * (boot it, save its state, read the channel's counters). Forwarders iterate
 * over this; `satisfies` makes the compiler check it lists exactly VmApi's
 * methods.
 */
export const VM_API_METHODS = {
  boot: 'host',
  request: 'runtime',
  ping: 'runtime',
  open: 'runtime',
  sendStream: 'runtime',
  consoleWrite: 'runtime',
  resizeConsole: 'runtime',
  channelStats: 'host',
  instructionCount: 'runtime',
  saveState: 'host',
  writeFile: 'runtime',
  readFile: 'runtime',
  store: 'runtime',
  mountSnapshot: 'runtime',
  shutdown: 'runtime',
} as const satisfies { readonly [K in keyof VmApi]-?: 'runtime' | 'host' };

/** VmApi's methods, in VM_API_METHODS' order. */
export const vmApiMethods = Object.keys(VM_API_METHODS) as Array<keyof VmApi>;
