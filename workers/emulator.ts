// The narrow slice of v86 this worker uses, typed here: v86.d.ts has no `bus`
// and types `virtio_console` as an adapter object.
import { V86 } from 'v86';
import type { Fs9p, Virtio9pDevice } from './fs9p-rootfs.js';

export type Image = { buffer: ArrayBuffer } | { url: string };

export interface EmulatorOptions {
  wasm_path: string;
  /** not needed to restore a state (it holds the BIOS's memory), but v86 maps it for a reboot */
  bios: Image;
  bzimage?: Image;
  initrd?: Image;
  cmdline?: string;
  initial_state?: Image;
  memory_size: number;
  vga_memory_size?: number;
  virtio_console: boolean;
  /** the VM's uplink NIC (workers/uplink.ts); without relay_url v86 makes no adapter of its own */
  net_device?: { type: 'virtio' | 'ne2k' };
  filesystem?: Record<string, never>;
  autostart: boolean;
  disable_keyboard: boolean;
  disable_mouse: boolean;
  disable_speaker: boolean;
}

export interface Bus {
  register(name: string, fn: (data: Uint8Array) => void, thisValue: unknown): void;
  send(name: string, data: Uint8Array | [number, number]): void;
}

/** v86 internals the worker reaches into (names survive v86's minified build). */
export interface V86Internals {
  cpu?: {
    /** restores guest RAM from a state: zero_memory(0, size), then the saved non-zero pages */
    unpack_memory?: (bitmap: { get(page: number): number }, packed: Uint8Array) => void;
    /** guest RAM (a Proxy making a fresh view of the wasm memory per access) */
    mem8?: { buffer: ArrayBuffer; byteOffset: number; length: number };
    devices?: { virtio_9p?: Virtio9pDevice };
  };
}

export interface Emulator {
  readonly bus: Bus;
  /** the 9p filesystem (with `filesystem: {}`), once loaded */
  readonly fs9p?: Fs9p;
  /** the machine, once loaded */
  readonly v86?: V86Internals;
  /** emulator-loaded: everything is loaded and the machine set up (and running, with autostart) */
  add_listener(event: 'emulator-ready' | 'emulator-loaded' | 'emulator-stopped', fn: () => void): void;
  add_listener(event: 'serial0-output-byte', fn: (byte: number) => void): void;
  remove_listener(event: string, fn: (...args: never[]) => void): void;
  destroy(): Promise<void>;
  stop(): Promise<void>;
  save_state(): Promise<ArrayBuffer>;
  /** raw or zstd-compressed (v86 checks the magic); throws on a state it cannot load */
  restore_state(state: ArrayBuffer): Promise<void>;
  run(): Promise<void>;
  create_file(path: string, data: Uint8Array): Promise<void>;
  read_file(path: string): Promise<Uint8Array>;
  is_running(): boolean;
  /** instructions executed, mod 2^32 */
  get_instruction_counter(): number;
}

export function createEmulator(options: EmulatorOptions): Emulator {
  const Ctor = V86 as unknown as new (o: EmulatorOptions) => Emulator;
  return new Ctor(options);
}
