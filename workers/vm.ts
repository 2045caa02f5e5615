// The VM the worker owns: boots v86 from verified artifacts, bridges the
// virtio console ports and the serial console, runs the protocol channel on
// port 1 (PROTOCOL.md). Realm: Web Worker / worker_threads — no DOM.
import { releaseProxy } from 'comlink';
import { GuestError, HostChannel, SEND_SIZE } from '../src/common/channel.js';
import { concat } from '../src/common/protocol/frame.js';
import type { AttrList } from '../src/common/protocol/attrs.js';
import type { BootOptions, BootResult, ChannelStats, StreamSink, VmApi, VmListener, WireAttrs } from '../src/common/vm-api.js';
import { sha256Hex } from '../src/common/manifest.js';
import { createEmulator, type Emulator } from './emulator.js';

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

  async boot(opts: BootOptions, listener: VmListener = {}): Promise<BootResult> {
    if (this.emulator) throw new VmError('the VM is already running');
    const t0 = performance.now();
    const emulator = createEmulator({
      wasm_path: opts.wasmPath,
      bios: { buffer: opts.bios },
      bzimage: { buffer: opts.kernel },
      initrd: { buffer: opts.initrd },
      cmdline: opts.cmdline,
      memory_size: opts.memoryMB * 1024 * 1024,
      virtio_console: true,
      filesystem: {},
      autostart: true,
      disable_keyboard: true,
      disable_mouse: true,
      disable_speaker: true,
    });
    this.emulator = emulator;
    const channel = new HostChannel({
      write: (chunk) => emulator.bus.send(`virtio-console${PROTOCOL_PORT}-input-bytes`, chunk),
    });
    this.channel = channel;
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

    const timeoutMs = opts.timeoutMs ?? 60_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const hello = await Promise.race([
        channel.waitHello(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new VmError(`the guest did not become ready within ${timeoutMs / 1000} s; last kernel output:\n${this.serialTail.trim().split('\n').slice(-5).join('\n')}`)), timeoutMs);
        }),
      ]);
      // the VM shell's port starts with v86's default size in the wrong order
      this.resizeConsole(SHELL_PORT, 80, 25);
      return { hello, bootMs: performance.now() - t0 };
    } catch (e) {
      await this.shutdown();
      throw e;
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

  sendStream(id: number, stream: number, data: Uint8Array): void {
    this.ready().sendStream(id, stream, data);
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

  channelStats(): ChannelStats {
    return this.ready().stats();
  }

  async writeFile(path: string, data: Uint8Array, opts: { gunzip?: boolean } = {}): Promise<{ size: number; sha256: string }> {
    const emulator = this.running();
    const bytes = opts.gunzip ? await gunzip(data) : data;
    await emulator.create_file(path, bytes);
    return { size: bytes.length, sha256: await sha256Hex(bytes) };
  }

  async readFile(path: string): Promise<Uint8Array> {
    return this.running().read_file(path);
  }

  async shutdown(): Promise<void> {
    const e = this.emulator;
    this.emulator = undefined;
    this.channel?.close(new VmError('the VM was shut down'));
    this.channel = undefined;
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

export class GzipError extends Error {}

async function gunzip(data: Uint8Array): Promise<Uint8Array> {
  try {
    const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new GzipError(`layer is not valid gzip: ${(e as Error).message}`);
  }
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
