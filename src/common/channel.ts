// Host end of the host<->guest channel (PROTOCOL.md): credit-windowed sends of
// at most one guest buffer each, request/response matching, stream routing.
import { Attrs, encodeAttrs, type AttrList } from './protocol/attrs.js';
import { Frame, frameFields } from './protocol/ops.js';
import { concat, encodeFrame, encodeMessage, FrameDecoder, FrameType, MAX_FRAME_PAYLOAD, MessageAssembler, type Message } from './protocol/frame.js';

/** One virtio send fills exactly one guest receive buffer (4 KiB in Linux). */
export const SEND_SIZE = 4096;
/** Un-acknowledged sends allowed; the guest posts 16 buffers per port. */
export const WINDOW = 8;
/**
 * Stdin bytes of one request sent but not yet credited by STREAM_CREDIT: the
 * daemon's per-task stdin queue (CL_STDIN_QUEUE), so it never overflows.
 */
export const STREAM_WINDOW = 256 * 1024;

export class GuestError extends Error {
  constructor(message: string, readonly errno?: number) {
    super(message);
    this.name = 'GuestError';
  }
}

export class ChannelClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelClosedError';
  }
}

/** A stdin write that cannot be delivered: the request ended (the process exited) first. */
export class StreamClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StreamClosedError';
  }
}

interface StdinWrite {
  data: Uint8Array;
  /** bytes of data handed to the channel so far */
  off: number;
  resolve(): void;
  reject(e: Error): void;
}

/** Per-request stdin flow control (PROTOCOL.md, STREAM_CREDIT). */
interface StdinState {
  /** payload bytes handed to the channel, and credited by the guest (modulo 2^32 on the wire) */
  admitted: number;
  credited: number;
  waiting: StdinWrite[];
}

export interface HelloInfo {
  version: string;
  kernel: string;
  machine: string;
  memKb: number;
}

interface Pending {
  resolve(a: Attrs): void;
  reject(e: Error): void;
  timer?: ReturnType<typeof setTimeout>;
}

export interface ChannelOptions {
  /** Hands one chunk (≤ SEND_SIZE bytes) to the guest's port. */
  write(chunk: Uint8Array): void;
  onHello?(hello: HelloInfo): void;
}

export class HostChannel {
  private readonly decoder = new FrameDecoder();
  private readonly assembler = new MessageAssembler((id) => this.fail(id, new GuestError('guest message over 16 MiB dropped')));
  private readonly pending = new Map<number, Pending>();
  private readonly streamHandlers = new Map<number, (stream: number, data: Uint8Array) => void>();
  private readonly pongs = new Map<number, (payload: Uint8Array) => void>();
  private readonly stdin = new Map<number, StdinState>();
  /** Why the last requests' stdin ended, for a writer that comes back just after (a few kept). */
  private readonly stdinEnded = new Map<number, Error>();
  private queue: Uint8Array[] = [];
  private queued = 0;
  /** end offsets (bytes since HELLO) of sends not yet acknowledged */
  private inflight: number[] = [];
  private sent = 0;
  private acked = 0;
  private nextId = 1;
  private hello: HelloInfo | undefined;
  private helloWaiters: Array<(h: HelloInfo) => void> = [];
  private closedWith: Error | undefined;

  constructor(private readonly opts: ChannelOptions) {}

  /** Bytes the guest wrote to its end of the port. */
  receive(bytes: Uint8Array): void {
    for (const f of this.decoder.push(bytes)) {
      if (f.type === FrameType.CREDIT) {
        if (f.payload.length === 4) this.credit(new DataView(f.payload.buffer, f.payload.byteOffset, 4).getUint32(0, true));
        continue;
      }
      if (f.type === FrameType.STREAM_CREDIT) {
        if (f.payload.length === 4) this.streamCredit(f.id, new DataView(f.payload.buffer, f.payload.byteOffset, 4).getUint32(0, true));
        continue;
      }
      const m = this.assembler.push(f);
      if (m) this.dispatch(m);
    }
  }

  get ready(): HelloInfo | undefined {
    return this.hello;
  }

  waitHello(): Promise<HelloInfo> {
    if (this.hello) return Promise.resolve(this.hello);
    return new Promise((resolve) => this.helloWaiters.push(resolve));
  }

  stats(): { skipped: number; badHeaders: number; badPayloads: number; queuedBytes: number; inflightSends: number } {
    return { ...this.decoder.stats, queuedBytes: this.queued, inflightSends: this.inflight.length };
  }

  request(fields: AttrList, opts: { timeoutMs?: number } = {}): Promise<Attrs> {
    return this.call(FrameType.REQUEST, encodeAttrs(fields), opts.timeoutMs);
  }

  /**
   * Starts a long-running request (a task's run, an exec, logs -f): STREAM
   * frames for its id go to `onStream` until the RESPONSE/ERROR settles `done`.
   */
  open(fields: AttrList, onStream: (stream: number, data: Uint8Array) => void): { id: number; done: Promise<Attrs> } {
    const id = this.allocId();
    this.streamHandlers.set(id, onStream);
    this.stdin.set(id, { admitted: 0, credited: 0, waiting: [] });
    this.stdinEnded.delete(id);
    const done = new Promise<Attrs>((resolve, reject) => {
      this.track(id, { resolve, reject });
      this.enqueue(encodeMessage(FrameType.REQUEST, id, encodeAttrs(fields)));
    }).finally(() => this.streamHandlers.delete(id));
    done.then(
      (a) => {
        const code = a.get('exit_code');
        this.endStdin(id, new StreamClosedError(`input not delivered: the process exited${code !== undefined ? ` (status ${code})` : ''} before reading it`));
      },
      (e: Error) => this.endStdin(id, new StreamClosedError(`input not delivered: ${e.message}`)),
    );
    return { id, done };
  }

  /**
   * Sends stdin bytes (stream 0) of request `id`; an empty `data` means EOF.
   * Resolves once every byte is handed to the channel, which the request's
   * window (STREAM_WINDOW) allows only as the guest passes earlier bytes to
   * the process: a writer that awaits each call is held back by a process
   * that does not read. Rejects (StreamClosedError) when the request ends
   * first, or the request is not open.
   */
  sendStream(id: number, stream: number, data: Uint8Array): Promise<void> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const st = this.stdin.get(id);
    if (!st || stream !== 0) return Promise.reject(this.stdinEnded.get(id) ?? new StreamClosedError(`input not delivered: request ${id} has ended`));
    return new Promise<void>((resolve, reject) => {
      st.waiting.push({ data, off: 0, resolve, reject });
      this.admit(id, st);
    });
  }

  /** Moves waiting stdin into the channel queue, within the request's window. */
  private admit(id: number, st: StdinState): void {
    const frames: Uint8Array[] = [];
    while (st.waiting.length > 0) {
      const w = st.waiting[0]!;
      if (w.data.length === 0) {
        frames.push(encodeFrame({ type: FrameType.STREAM, flags: 0, stream: 0, id, payload: w.data }));
      }
      while (w.off < w.data.length) {
        const room = STREAM_WINDOW - (st.admitted - st.credited);
        if (room <= 0) break;
        const end = Math.min(w.off + room, w.off + MAX_FRAME_PAYLOAD, w.data.length);
        frames.push(encodeFrame({ type: FrameType.STREAM, flags: 0, stream: 0, id, payload: w.data.subarray(w.off, end) }));
        st.admitted += end - w.off;
        w.off = end;
      }
      if (w.off < w.data.length) break;
      st.waiting.shift();
      w.resolve();
    }
    if (frames.length > 0) this.enqueue(frames);
  }

  private streamCredit(id: number, total: number): void {
    const st = this.stdin.get(id);
    if (!st) return;
    // the guest counts modulo 2^32
    const delta = (total - (st.credited % 0x100000000) + 0x100000000) % 0x100000000;
    if (st.credited + delta > st.admitted) return; // nonsense credit: ignore
    st.credited += delta;
    this.admit(id, st);
  }

  private endStdin(id: number, e: Error): void {
    const st = this.stdin.get(id);
    if (!st) return;
    this.stdin.delete(id);
    // a writer whose last write resolved just before the end learns why on its next
    this.stdinEnded.set(id, e);
    if (this.stdinEnded.size > 16) this.stdinEnded.delete(this.stdinEnded.keys().next().value!);
    for (const w of st.waiting.splice(0)) w.reject(e);
  }

  /** Registers the receiver of STREAM frames for request `id`. */
  onStream(id: number, handler: (stream: number, data: Uint8Array) => void): () => void {
    this.streamHandlers.set(id, handler);
    return () => this.streamHandlers.delete(id);
  }

  ping(payload: Uint8Array, timeoutMs?: number): Promise<Uint8Array> {
    const id = this.allocId();
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pongs.set(id, resolve);
      this.track(id, { resolve: () => {}, reject }, timeoutMs);
      this.enqueue(encodeMessage(FrameType.PING, id, payload));
    }).finally(() => {
      this.pongs.delete(id);
      this.untrack(id);
    });
  }

  /** Fails every outstanding call; later calls fail at once. */
  close(reason: Error): void {
    this.closedWith = reason;
    for (const id of [...this.pending.keys()]) this.fail(id, reason);
    for (const id of [...this.stdin.keys()]) this.endStdin(id, reason);
    this.queue = [];
    this.queued = 0;
  }

  private call(type: number, payload: Uint8Array, timeoutMs?: number): Promise<Attrs> {
    const id = this.allocId();
    return new Promise<Attrs>((resolve, reject) => {
      this.track(id, { resolve, reject }, timeoutMs);
      this.enqueue(encodeMessage(type, id, payload));
    });
  }

  private allocId(): number {
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    return id;
  }

  private track(id: number, p: Pending, timeoutMs?: number): void {
    if (this.closedWith) {
      p.reject(this.closedWith);
      return;
    }
    if (timeoutMs !== undefined) {
      p.timer = setTimeout(() => this.fail(id, new ChannelClosedError(`guest did not answer within ${timeoutMs} ms`)), timeoutMs);
    }
    this.pending.set(id, p);
  }

  private untrack(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (p) {
      if (p.timer !== undefined) clearTimeout(p.timer);
      this.pending.delete(id);
    }
    return p;
  }

  private fail(id: number, e: Error): void {
    this.untrack(id)?.reject(e);
  }

  private dispatch(m: Message): void {
    switch (m.type) {
      case FrameType.HELLO:
        return this.onHello(m.payload);
      case FrameType.RESPONSE:
      case FrameType.ERROR: {
        const p = this.untrack(m.id);
        if (!p) return;
        let attrs: Attrs;
        try {
          attrs = Attrs.decode(m.payload);
        } catch (e) {
          p.reject(e as Error);
          return;
        }
        if (m.type === FrameType.RESPONSE) p.resolve(attrs);
        else {
          const e = frameFields(Frame.Error, attrs);
          p.reject(new GuestError(e.get('message') ?? 'guest error', e.int('errno')));
        }
        return;
      }
      case FrameType.PONG:
        this.pongs.get(m.id)?.(m.payload);
        return;
      case FrameType.STREAM:
        this.streamHandlers.get(m.id)?.(m.stream, m.payload);
        return;
    }
  }

  /**
   * Acts as if the daemon had just said this HELLO: for a VM restored from a
   * state saved while the daemon sat idle after its HELLO (PROTOCOL.md,
   * "Snapshots"). Its byte count is 0 then, as ours becomes here.
   */
  assumeHello(info: HelloInfo): void {
    this.helloReceived({ ...info });
  }

  private onHello(payload: Uint8Array): void {
    let a;
    try {
      a = frameFields(Frame.Hello, Attrs.decode(payload));
    } catch {
      return;
    }
    this.helloReceived({
      version: a.get('version') ?? '',
      kernel: a.get('kernel') ?? '',
      machine: a.get('machine') ?? '',
      memKb: a.int('mem_kb') ?? 0,
    });
  }

  private helloReceived(hello: HelloInfo): void {
    const restarted = this.hello !== undefined;
    this.hello = hello;
    // A new HELLO means a fresh daemon: its byte count starts at zero and
    // whatever it had half-received is gone.
    this.sent = 0;
    this.acked = 0;
    this.inflight = [];
    this.assembler.reset();
    if (restarted) {
      for (const id of [...this.pending.keys()]) this.fail(id, new ChannelClosedError('the guest daemon restarted'));
      this.queue = [];
      this.queued = 0;
    }
    this.opts.onHello?.(this.hello);
    for (const w of this.helloWaiters.splice(0)) w(this.hello);
    this.pump();
  }

  private credit(total: number): void {
    // the guest counts modulo 2^32
    const delta = (total - (this.acked % 0x100000000) + 0x100000000) % 0x100000000;
    if (this.acked + delta > this.sent) return; // nonsense credit: ignore
    this.acked += delta;
    while (this.inflight.length > 0 && this.inflight[0]! <= this.acked) this.inflight.shift();
    this.pump();
  }

  private enqueue(frames: Uint8Array[]): void {
    for (const f of frames) {
      this.queue.push(f);
      this.queued += f.length;
    }
    this.pump();
  }

  private pump(): void {
    if (!this.hello) return;
    while (this.queued > 0 && this.inflight.length < WINDOW) {
      const chunk = this.take(SEND_SIZE);
      this.sent += chunk.length;
      this.inflight.push(this.sent);
      this.opts.write(chunk);
    }
  }

  /** Up to n bytes from the front of the queue, coalescing small frames into one send. */
  private take(n: number): Uint8Array {
    const parts: Uint8Array[] = [];
    let size = 0;
    while (size < n && this.queue.length > 0) {
      const head = this.queue[0]!;
      const room = n - size;
      if (head.length <= room) {
        parts.push(head);
        size += head.length;
        this.queue.shift();
      } else {
        parts.push(head.subarray(0, room));
        this.queue[0] = head.subarray(room);
        size += room;
      }
    }
    this.queued -= size;
    return parts.length === 1 ? parts[0]! : concat(parts, size);
  }
}
