// The VM worker's API as the page and the Node host see it (comlink-wrapped).
// Kept here, realm-neutral, so no other realm compiles the worker's code.
import type { HelloInfo, HostChannel } from './channel.js';
import type { AttrList } from './protocol/attrs.js';

export interface BootOptions {
  /** v86.wasm: a URL in browsers, a file path under Node */
  wasmPath: string;
  bios: ArrayBuffer;
  kernel: ArrayBuffer;
  initrd: ArrayBuffer;
  cmdline: string;
  memoryMB: number;
  /** give up if the daemon has not said HELLO by then */
  timeoutMs?: number;
}

export interface BootResult {
  hello: HelloInfo;
  /** from the emulator's construction to the daemon's HELLO */
  bootMs: number;
}

/** Host-side listener, called from the worker (a comlink proxy across threads). */
export interface VmListener {
  /** bytes the guest wrote on a console port other than the protocol port */
  console?(port: number, data: Uint8Array): void;
  /** kernel log bytes (ttyS0) */
  serial?(data: Uint8Array): void;
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
  /** stdin bytes for request `id` (stream 0); empty = EOF. */
  sendStream(id: number, stream: number, data: Uint8Array): void;
  /** Types into a plain console port (0: the VM's shell). */
  consoleWrite(port: number, data: Uint8Array): void;
  resizeConsole(port: number, cols: number, rows: number): void;
  channelStats(): ChannelStats;
  /**
   * Puts a file into the VM's 9p filesystem (the guest sees it under
   * /mnt/host). With `gunzip`, `data` is decompressed first — off the page's
   * thread. Returns the size and sha256 of what was written.
   */
  writeFile(path: string, data: Uint8Array, opts?: { gunzip?: boolean }): Promise<{ size: number; sha256: string }>;
  /** Reads (and with `remove`, deletes) a file the guest left in the 9p filesystem. */
  readFile(path: string): Promise<Uint8Array>;
  shutdown(): Promise<void>;
}
