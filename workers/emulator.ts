// The narrow slice of v86 this worker uses, typed here: v86.d.ts has no `bus`
// and types `virtio_console` as an adapter object.
import { V86 } from 'v86';

export type Image = { buffer: ArrayBuffer } | { url: string };

export interface EmulatorOptions {
  wasm_path: string;
  bios: Image;
  bzimage?: Image;
  initrd?: Image;
  cmdline?: string;
  initial_state?: Image;
  memory_size: number;
  virtio_console: boolean;
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

export interface Emulator {
  readonly bus: Bus;
  add_listener(event: 'emulator-ready' | 'emulator-stopped', fn: () => void): void;
  add_listener(event: 'serial0-output-byte', fn: (byte: number) => void): void;
  remove_listener(event: string, fn: (...args: never[]) => void): void;
  destroy(): Promise<void>;
  stop(): Promise<void>;
  save_state(): Promise<ArrayBuffer>;
  create_file(path: string, data: Uint8Array): Promise<void>;
  read_file(path: string): Promise<Uint8Array>;
  is_running(): boolean;
}

export function createEmulator(options: EmulatorOptions): Emulator {
  const Ctor = V86 as unknown as new (o: EmulatorOptions) => Emulator;
  return new Ctor(options);
}
