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

export interface VmApi {
  boot(opts: BootOptions, listener?: VmListener): Promise<BootResult>;
  request(fields: AttrList, timeoutMs?: number): Promise<WireAttrs>;
  ping(payload: Uint8Array, timeoutMs?: number): Promise<Uint8Array>;
  /** Types into a plain console port (0: the VM's shell). */
  consoleWrite(port: number, data: Uint8Array): void;
  resizeConsole(port: number, cols: number, rows: number): void;
  channelStats(): ChannelStats;
  shutdown(): Promise<void>;
}
