// One TCP connection from a container, terminated by the host's relay: the
// relay is the passive end (it answers the SYN once the far end accepted,
// so a refusal is a reset: "Connection refused" at once). Guest → relay
// frames are never lost (v86 hands each one over); relay → guest frames are
// dropped when the guest has no receive buffer posted, so what the relay
// sends is kept until acknowledged and sent again on a timer.
import type { Outbound } from './dialer.js';
import { ACK, FIN, PSH, RST, SYN, type Tcp } from './wire.js';

const MSS = 1460;
const WINDOW = 65535;
/** far-end bytes held for a container that reads slowly before the far end is paused */
const MAX_UNSENT = 256 * 1024;
const RTO_MS = 200;
const MAX_RETRIES = 10;

/** Bytes waiting to be sent or acknowledged, in order. */
class ByteQueue {
  private chunks: Uint8Array[] = [];
  private head = 0;
  length = 0;

  push(b: Uint8Array): void {
    if (b.length === 0) return;
    this.chunks.push(b);
    this.length += b.length;
  }

  /** n bytes from offset `from`, copied */
  read(from: number, n: number): Uint8Array {
    const out = new Uint8Array(n);
    let skip = this.head + from;
    let o = 0;
    for (const c of this.chunks) {
      if (o === n) break;
      if (skip >= c.length) {
        skip -= c.length;
        continue;
      }
      const part = c.subarray(skip, skip + (n - o));
      out.set(part, o);
      o += part.length;
      skip = 0;
    }
    return out;
  }

  drop(n: number): void {
    this.length -= n;
    let left = this.head + n;
    while (this.chunks.length && left >= this.chunks[0]!.length) left -= this.chunks.shift()!.length;
    this.head = left;
  }
}

/** A segment to send: the connection fills in the ports, the stack the addresses. */
export type Segment = Omit<Tcp, 'sport' | 'dport' | 'data'> & { data?: Uint8Array };

const after = (a: number, b: number) => ((a - b) | 0) > 0;

export class TcpConnection {
  private outbound: Outbound | undefined;
  private readonly iss = (Math.random() * 0x100000000) >>> 0;
  private sndUna = this.iss;
  private sndNxt = this.iss;
  private sndMax = this.iss;
  private sndWnd: number;
  private rcvNxt: number;
  private readonly mss: number;
  private readonly out = new ByteQueue();
  private synAcked = false;
  private finQueued = false;
  private finSent = false;
  private finAcked = false;
  private peerFin = false;
  private paused = false;
  private lastWindow = WINDOW;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private retries = 0;
  closed = false;

  constructor(
    syn: Tcp,
    private readonly emit: (s: Segment) => void,
    private readonly onClosed: () => void,
  ) {
    this.rcvNxt = (syn.seq + 1) >>> 0;
    this.sndWnd = syn.window;
    this.mss = Math.min(MSS, syn.mss ?? 536);
  }

  /** The far end accepted: answer the SYN. */
  accepted(o: Outbound): void {
    if (this.closed) return o.close();
    this.outbound = o;
    this.sendSyn();
  }

  /** The far end refused (or the relay will not dial): "Connection refused". */
  refuse(): void {
    this.emit({ seq: 0, ack: this.rcvNxt, flags: RST | ACK, window: 0 });
    this.finish();
  }

  // --- the far end -----------------------------------------------------------

  fromFar(bytes: Uint8Array): void {
    if (this.closed || this.finQueued) return;
    this.out.push(bytes);
    if (this.out.length > MAX_UNSENT && !this.paused) {
      this.paused = true;
      this.outbound?.pause();
    }
    this.pump();
  }

  farEnded(): void {
    if (this.closed) return;
    this.finQueued = true;
    this.pump();
  }

  /** The far end broke the connection, or the relay is closing. */
  reset(): void {
    if (this.closed) return;
    this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: RST | ACK, window: 0 });
    this.finish();
  }

  farDrained(): void {
    if (!this.closed && this.window() > this.lastWindow + 2 * this.mss) this.ack();
  }

  // --- the container -----------------------------------------------------------

  segment(t: Tcp): void {
    if (this.closed) return;
    if (t.flags & RST) {
      this.finish();
      return;
    }
    if (t.flags & SYN) {
      // the SYN again: ours was lost (or not sent yet: still dialing)
      if (this.outbound && !this.synAcked) this.sendSyn();
      return;
    }
    if (!(t.flags & ACK) || !this.outbound) return;
    this.onAck(t);
    if (this.closed) return;
    if (t.data.length > 0 || t.flags & FIN) this.onData(t);
    if (this.peerFin && this.finAcked) this.finish(true);
  }

  private onAck(t: Tcp): void {
    const n = (t.ack - this.sndUna) | 0;
    this.sndWnd = t.window;
    if (n > 0 && !after(t.ack, this.sndMax)) {
      let data = n;
      this.sndUna = t.ack;
      if (after(t.ack, this.sndNxt)) this.sndNxt = t.ack;
      if (!this.synAcked) {
        this.synAcked = true;
        data--;
      }
      const dropped = Math.min(data, this.out.length);
      this.out.drop(dropped);
      if (data > dropped) this.finAcked = true;
      this.retries = 0;
      if (this.paused && this.out.length < MAX_UNSENT / 2) {
        this.paused = false;
        this.outbound?.resume();
      }
    }
    this.pump();
  }

  private onData(t: Tcp): void {
    const skip = (this.rcvNxt - t.seq) | 0;
    // out of order (an earlier segment of ours was answered by a lost one): acknowledge what we have
    if (skip < 0 || skip > t.data.length || (skip === t.data.length && !(t.flags & FIN))) return this.ack();
    const data = t.data.subarray(skip);
    if (data.length > 0 && !this.peerFin) {
      this.outbound!.write(data);
      this.rcvNxt = (this.rcvNxt + data.length) >>> 0;
    }
    if (t.flags & FIN && !this.peerFin) {
      this.peerFin = true;
      this.rcvNxt = (this.rcvNxt + 1) >>> 0;
      this.outbound!.end();
    }
    this.ack();
  }

  // --- sending -------------------------------------------------------------------

  private window(): number {
    return Math.max(0, WINDOW - (this.outbound?.backlog ?? 0));
  }

  private ack(): void {
    this.lastWindow = this.window();
    this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: ACK, window: this.lastWindow });
  }

  private sendSyn(): void {
    this.emit({ seq: this.iss, ack: this.rcvNxt, flags: SYN | ACK, window: WINDOW, mss: MSS });
    this.sndNxt = (this.iss + 1) >>> 0;
    if (after(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
    this.arm();
  }

  private pump(): void {
    if (!this.synAcked || this.closed) return;
    for (;;) {
      const inFlight = (this.sndNxt - this.sndUna) | 0;
      const unsent = this.finSent ? 0 : this.out.length - inFlight;
      const room = this.sndWnd - inFlight;
      if (unsent > 0 && room > 0) {
        const n = Math.min(unsent, room, this.mss);
        this.lastWindow = this.window();
        this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: ACK | PSH, window: this.lastWindow, data: this.out.read(inFlight, n) });
        this.sndNxt = (this.sndNxt + n) >>> 0;
      } else if (this.finQueued && !this.finSent && unsent === 0) {
        this.emit({ seq: this.sndNxt, ack: this.rcvNxt, flags: FIN | ACK, window: this.window() });
        this.sndNxt = (this.sndNxt + 1) >>> 0;
        this.finSent = true;
      } else break;
      if (after(this.sndNxt, this.sndMax)) this.sndMax = this.sndNxt;
    }
    if (this.sndNxt !== this.sndUna) this.arm();
    else this.disarm();
  }

  private arm(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed || this.sndNxt === this.sndUna) return;
      if (++this.retries > MAX_RETRIES) return this.reset();
      // go back to the first unacknowledged byte
      this.sndNxt = this.sndUna;
      if (!this.finAcked) this.finSent = false;
      if (!this.synAcked) this.sendSyn();
      else this.pump();
    }, RTO_MS * 2 ** Math.min(this.retries, 5));
  }

  private disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** graceful: both ends said FIN (the far end's connection closes by itself); else it is cut */
  private finish(graceful = false): void {
    if (this.closed) return;
    this.closed = true;
    this.disarm();
    if (!graceful) this.outbound?.close();
    this.onClosed();
  }
}
