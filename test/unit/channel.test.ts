import { describe, expect, it } from 'vitest';
import { ChannelClosedError, GuestError, HostChannel, SEND_SIZE, STREAM_WINDOW, StreamClosedError, WINDOW } from '../../src/common/channel.js';
import { Attrs, encodeAttrs } from '../../src/common/protocol/attrs.js';
import { encodeFrame, encodeMessage, FrameDecoder, FrameType, MessageAssembler } from '../../src/common/protocol/frame.js';
import { Op, request } from '../../src/common/protocol/ops.js';

/**
 * A guest port that behaves like v86's virtio console: 16 posted buffers of
 * 4 KiB; a send with no buffer posted is dropped, a longer one truncated.
 * The guest side answers `echo` and PING like containerd-lite.
 */
class FakeGuest {
  posted = 16;
  filled: Uint8Array[] = [];
  dropped = 0;
  truncated = 0;
  maxFilled = 0;
  readTotal = 0;
  creditsEnabled = true;
  private decoder = new FrameDecoder();
  private asm = new MessageAssembler();
  channel: HostChannel;

  constructor() {
    this.channel = new HostChannel({ write: (c) => this.hostSend(c) });
  }

  private hostSend(chunk: Uint8Array): void {
    if (this.posted === 0) {
      this.dropped++;
      return;
    }
    if (chunk.length > SEND_SIZE) this.truncated++;
    this.posted--;
    this.filled.push(chunk.slice(0, SEND_SIZE));
    this.maxFilled = Math.max(this.maxFilled, this.filled.length);
  }

  toHost(wire: Uint8Array): void {
    this.channel.receive(wire);
  }

  hello(): void {
    // a (re)started daemon counts from zero with a fresh decoder
    this.readTotal = 0;
    this.decoder = new FrameDecoder();
    this.asm = new MessageAssembler();
    this.toHost(encodeFrame({ type: FrameType.HELLO, flags: 0, stream: 0, id: 0, payload: encodeAttrs([['version', '0.1'], ['kernel', '6.1.0'], ['machine', 'i686'], ['mem_kb', '120000']]) }));
  }

  /** The guest's event loop: read up to `n` buffers, credit, handle frames. */
  step(n = 4): number {
    const got = this.filled.splice(0, n);
    this.posted += got.length;
    if (got.length === 0) return 0;
    for (const b of got) {
      this.readTotal += b.length;
      for (const f of this.decoder.push(b)) {
        const m = this.asm.push(f);
        if (m) this.handle(m.type, m.id, m.payload);
      }
    }
    if (this.creditsEnabled) {
      const p = new Uint8Array(4);
      new DataView(p.buffer).setUint32(0, this.readTotal >>> 0, true);
      this.toHost(encodeFrame({ type: FrameType.CREDIT, flags: 0, stream: 0, id: 0, payload: p }));
    }
    return got.length;
  }

  /** stdin bytes received (STREAM stream 0), in order */
  stdinBytes = 0;
  stdinEof = false;

  /** The process took every stdin byte so far: STREAM_CREDIT for request id. */
  creditStdin(id: number): void {
    const p = new Uint8Array(4);
    new DataView(p.buffer).setUint32(0, this.stdinBytes >>> 0, true);
    this.toHost(encodeFrame({ type: FrameType.STREAM_CREDIT, flags: 0, stream: 0, id, payload: p }));
  }

  private handle(type: number, id: number, payload: Uint8Array): void {
    if (type === FrameType.STREAM) {
      this.stdinBytes += payload.length;
      if (payload.length === 0) this.stdinEof = true;
      return;
    }
    if (type === FrameType.PING) {
      for (const w of encodeMessage(FrameType.PONG, id, payload)) this.toHost(w);
      return;
    }
    const a = Attrs.decode(payload);
    if (a.get('op') === Op.TaskRun.name) return; // answered at "exit"
    const reply = a.get('op') === Op.Echo.name
      ? encodeMessage(FrameType.RESPONSE, id, encodeAttrs([['data', a.bytes('data')!]]))
      : encodeMessage(FrameType.ERROR, id, encodeAttrs([['message', `unknown op "${a.get('op')}"`], ['errno', '22']]));
    for (const w of reply) this.toHost(w);
  }

  async drain(): Promise<void> {
    for (let i = 0; i < 100000; i++) {
      await Promise.resolve();
      if (this.step() === 0 && this.filled.length === 0) {
        await new Promise((r) => setTimeout(r, 0));
        if (this.filled.length === 0 && this.channel.stats().queuedBytes === 0) return;
      }
    }
  }
}

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = 99;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('host channel over a lossy virtio port', () => {
  it('sends nothing before HELLO, then delivers the queued request', async () => {
    const g = new FakeGuest();
    const p = g.channel.request(request(Op.Echo, { data: 'early' }).fields);
    expect(g.filled.length).toBe(0);
    g.hello();
    await g.drain();
    expect((await p).get('data')).toBe('early');
  });

  it('moves 1 MiB each way byte-exact without a single dropped or truncated send', async () => {
    const g = new FakeGuest();
    g.hello();
    const data = random(1 << 20);
    const p = g.channel.request(request(Op.Echo, { data }).fields);
    await g.drain();
    const back = (await p).bytes('data');
    expect(back?.length).toBe(data.length);
    expect(Buffer.compare(Buffer.from(back!), Buffer.from(data))).toBe(0);
    expect(g.dropped).toBe(0);
    expect(g.truncated).toBe(0);
    expect(g.maxFilled).toBeLessThanOrEqual(WINDOW);
  });

  it('stalls at the window instead of overrunning a guest that stops reading', () => {
    const g = new FakeGuest();
    g.hello();
    void g.channel.request(request(Op.Echo, { data: random(200_000) }).fields);
    expect(g.filled.length).toBe(WINDOW);
    expect(g.dropped).toBe(0);
    expect(g.channel.stats().queuedBytes).toBeGreaterThan(0);
  });

  it('does not advance on credits without acknowledgement of whole sends', async () => {
    const g = new FakeGuest();
    g.creditsEnabled = false;
    g.hello();
    void g.channel.request(request(Op.Echo, { data: random(100_000) }).fields);
    g.step(WINDOW);
    expect(g.filled.length).toBe(0); // read, but never credited: nothing more sent
    expect(g.channel.stats().inflightSends).toBe(WINDOW);
  });

  it('ignores garbage from the guest and still answers', async () => {
    const g = new FakeGuest();
    g.toHost(new TextEncoder().encode('[    0.000000] Linux version ... DYK1 junk'));
    g.hello();
    const p = g.channel.ping(new TextEncoder().encode('ping!'));
    await g.drain();
    expect(new TextDecoder().decode(await p)).toBe('ping!');
    expect(g.channel.stats().skipped).toBeGreaterThan(0);
  });

  it('turns an ERROR frame into a GuestError', async () => {
    const g = new FakeGuest();
    g.hello();
    const p = g.channel.request([['op', 'nope']]) /* not an op: raw attrs */;
    const settled = p.then(() => undefined, (e: unknown) => e);
    await g.drain();
    const e = await settled;
    expect(e).toBeInstanceOf(GuestError);
    expect((e as GuestError).message).toBe('unknown op "nope"');
    expect((e as GuestError).errno).toBe(22);
  });

  it('fails outstanding requests when the daemon says HELLO again, then works from zero', async () => {
    const g = new FakeGuest();
    g.hello();
    const p = g.channel.request(request(Op.Echo, { data: 'x' }).fields);
    const settled = p.then(() => undefined, (e: unknown) => e);
    // the daemon died with our request half-read: its buffers are gone too
    g.filled = [];
    g.posted = 16;
    g.hello();
    expect(await settled).toBeInstanceOf(ChannelClosedError);
    const q = g.channel.request(request(Op.Echo, { data: 'y' }).fields);
    await g.drain();
    expect((await q).get('data')).toBe('y');
  });

  it('times out a request the guest never answers', async () => {
    const g = new FakeGuest();
    g.hello();
    await expect(g.channel.request(request(Op.Echo, { data: 'x' }).fields, { timeoutMs: 20 })).rejects.toThrow(/within 20 ms/);
  });
});

describe('stdin flow control (STREAM_CREDIT)', () => {
  it('holds a writer to the request window while the process does not read; requests pass meanwhile; the exit ends the write', async () => {
    const g = new FakeGuest();
    g.hello();
    const { id, done } = g.channel.open(request(Op.TaskRun, { id: 'c' }).fields, () => {});
    const chunk = new Uint8Array(64 * 1024);
    let accepted = 0;
    const writer = (async () => {
      for (let i = 0; i < 32; i++) {
        await g.channel.sendStream(id, 0, chunk);
        accepted += chunk.length;
      }
    })();
    await g.drain();
    // the channel itself is drained, the writer held at the window
    expect(accepted).toBe(STREAM_WINDOW);
    expect(g.stdinBytes).toBe(STREAM_WINDOW);
    const echo = g.channel.request(request(Op.Echo, { data: 'still here' }).fields);
    await g.drain();
    expect((await echo).get('data')).toBe('still here');
    expect(accepted).toBe(STREAM_WINDOW);
    // the process reads: the writer moves a window further
    g.creditStdin(id);
    await g.drain();
    expect(accepted).toBe(2 * STREAM_WINDOW);
    // the process exits: the waiting write fails, clearly, and so do later ones
    for (const w of encodeMessage(FrameType.RESPONSE, id, encodeAttrs([['exit_code', '137']]))) g.toHost(w);
    await done;
    await expect(writer).rejects.toThrow(new StreamClosedError('input not delivered: the process exited (status 137) before reading it'));
    // a writer that comes back after the end learns why, not only that it ended
    await expect(g.channel.sendStream(id, 0, chunk)).rejects.toThrow(new StreamClosedError('input not delivered: the process exited (status 137) before reading it'));
  });

  it('sends EOF after the data it follows, once the window lets the data through', async () => {
    const g = new FakeGuest();
    g.hello();
    const { id } = g.channel.open(request(Op.TaskRun, { id: 'c' }).fields, () => {});
    const data = g.channel.sendStream(id, 0, new Uint8Array(STREAM_WINDOW + 10));
    const eof = g.channel.sendStream(id, 0, new Uint8Array(0));
    await g.drain();
    expect(g.stdinEof).toBe(false);
    g.creditStdin(id);
    await g.drain();
    await data;
    await eof;
    expect(g.stdinBytes).toBe(STREAM_WINDOW + 10);
    expect(g.stdinEof).toBe(true);
  });
});

describe('host channel on a restored VM (no HELLO)', () => {
  const info = { version: '0.1.0', kernel: '6.1.0', machine: 'i686', memKb: 120000 };

  it('takes the stored HELLO and then talks to the idle daemon, counting from zero', async () => {
    const g = new FakeGuest(); // the guest as saved: HELLO sent long ago, 0 bytes read since
    const early = g.channel.request(request(Op.Echo, { data: 'queued before' }).fields);
    expect(g.filled.length).toBe(0);
    g.channel.assumeHello(info);
    expect(g.channel.ready).toEqual(info);
    expect(await g.channel.waitHello()).toEqual(info);
    await g.drain();
    expect((await early).get('data')).toBe('queued before');
    const data = random(300_000); // many windows: every credit must be understood
    const p = g.channel.request(request(Op.Echo, { data }).fields);
    await g.drain();
    expect((await p).bytes('data')?.length).toBe(data.length);
    expect(g.dropped).toBe(0);
  });

  it('stalls if the daemon had read bytes before the save (why the snapshot is taken at 0)', async () => {
    const g = new FakeGuest();
    g.readTotal = 4096; // credits run ahead of what this host sent: ignored
    g.channel.assumeHello(info);
    void g.channel.request(request(Op.Echo, { data: random(100_000) }).fields);
    g.step(WINDOW);
    expect(g.channel.stats().inflightSends).toBe(WINDOW);
  });
});
