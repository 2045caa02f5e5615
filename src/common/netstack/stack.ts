// The host's end of the VM's uplink: a small TCP/IP stack that answers the
// frames the guest routes out of eth0 (images/containerd-lite/uplink.h).
// It owns the host's address (ARP, ping), and terminates every TCP
// connection a container opens, to whatever address: the source is the
// container's own 172.x address (the VM routes, it does not translate), the
// far end is dialed through the realm's Dialer. DNS to the host is answered
// through the realm's resolver; other UDP is answered "port unreachable"
// (there is no UDP relay), so it fails at once.
import { DialRefused, type Dialer } from './dialer.js';
import { TcpConnection, type Segment } from './tcp-connection.js';
import { ETH_ARP, ETH_IPV4, HOST_IP, PROTO_ICMP, PROTO_TCP, PROTO_UDP, RST, SYN, ACK, arpReply, icmp, ipText, ipv4Frame, parseFrame, parseIpv4, parseTcp, tcpSegment, udpDatagram, type Ipv4, type Tcp } from './wire.js';
import { answer, parseQuery } from './dns.js';

/** Connections relayed at once; a SYN beyond them is refused (and said so). */
export const MAX_CONNECTIONS = 64;

export interface NetStackOptions {
  /** a frame for the guest (v86: bus.send('net0-receive', frame)) */
  send(frame: Uint8Array): void;
  dial: Dialer;
  /** a line for the user: why a connection was refused */
  notice(text: string): void;
  /** a name's IPv4 addresses (undefined: unknown), for DNS queries to the host; absent: every name is unknown */
  resolve?(name: string): Promise<number[] | undefined>;
}

/** a lookup the realm has not answered by then is answered "unknown" */
const RESOLVE_TIMEOUT_MS = 3000;

export class NetStack {
  private readonly conns = new Map<string, TcpConnection>();
  private readonly noticed = new Map<string, number>();

  constructor(private readonly o: NetStackOptions) {}

  get connections(): number {
    return this.conns.size;
  }

  receive(frame: Uint8Array): void {
    const f = parseFrame(frame);
    if (!f) return;
    if (f.type === ETH_ARP) {
      const r = arpReply(f.payload);
      if (r) this.o.send(r);
      return;
    }
    if (f.type !== ETH_IPV4) return;
    const ip = parseIpv4(f.payload);
    if (!ip) return;
    const mac = f.srcMac.slice();
    if (ip.proto === PROTO_TCP) this.tcp(mac, ip);
    else if (ip.proto === PROTO_ICMP && ip.dst === HOST_IP && ip.payload[0] === 8) {
      // ping host.docker.internal
      const v = new DataView(ip.payload.buffer, ip.payload.byteOffset, ip.payload.byteLength);
      this.o.send(ipv4Frame(mac, HOST_IP, ip.src, PROTO_ICMP, icmp(0, 0, v.getUint32(4), ip.payload.subarray(8))));
    } else if (ip.proto === PROTO_UDP && ip.dst === HOST_IP && ip.payload.length >= 8 && ((ip.payload[2]! << 8) | ip.payload[3]!) === 53) {
      void this.dns(mac, ip);
    } else if (ip.proto === PROTO_UDP) {
      // port unreachable, quoting the header and 8 bytes as ICMP errors do
      const quoted = ip.packet.length - ip.payload.length + 8;
      this.o.send(ipv4Frame(mac, ip.dst, ip.src, PROTO_ICMP, icmp(3, 3, 0, ip.packet.subarray(0, quoted))));
    }
  }

  private async dns(mac: Uint8Array, ip: Ipv4): Promise<void> {
    const q = parseQuery(ip.payload.subarray(8));
    if (!q) return;
    let ips: number[] | undefined;
    // another type of a known name is an empty NOERROR (answer() gives A records only), of an unknown one NXDOMAIN
    if (this.o.resolve && q.name !== '') {
      let timer: ReturnType<typeof setTimeout> | undefined;
      ips = await Promise.race([
        this.o.resolve(q.name).catch(() => undefined),
        new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), RESOLVE_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
    }
    const sport = (ip.payload[0]! << 8) | ip.payload[1]!;
    this.o.send(ipv4Frame(mac, HOST_IP, ip.src, PROTO_UDP, udpDatagram(HOST_IP, ip.src, 53, sport, answer(q, ips))));
  }

  /** Every connection reset (the VM stops). */
  close(): void {
    for (const c of [...this.conns.values()]) c.reset();
  }

  private tcp(mac: Uint8Array, ip: Ipv4): void {
    const t = parseTcp(ip.payload);
    if (!t) return;
    const key = `${ip.src}:${t.sport}>${ip.dst}:${t.dport}`;
    const emit = (s: Segment) =>
      this.o.send(ipv4Frame(mac, ip.dst, ip.src, PROTO_TCP, tcpSegment(ip.dst, ip.src, { ...s, sport: t.dport, dport: t.sport })));
    const known = this.conns.get(key);
    if (known) return known.segment(t);
    if ((t.flags & (SYN | ACK | RST)) !== SYN) {
      // not a connection of ours (one that ended, or a relay restarted): reset it
      if (!(t.flags & RST)) emit({ seq: t.flags & ACK ? t.ack : 0, ack: (t.seq + t.data.length) >>> 0, flags: RST | ACK, window: 0 });
      return;
    }
    const conn = new TcpConnection(t, emit, () => this.conns.delete(key));
    const where = `${ip.dst === HOST_IP ? 'host.docker.internal' : ipText(ip.dst)}:${t.dport}`;
    if (this.conns.size >= MAX_CONNECTIONS) {
      this.notice(`outbound connection to ${where} refused: ${MAX_CONNECTIONS} are open already`);
      return conn.refuse();
    }
    this.conns.set(key, conn);
    this.dial(conn, t, ip, where);
  }

  private dial(conn: TcpConnection, t: Tcp, ip: Ipv4, where: string): void {
    this.o
      .dial(
        { ip: ip.dst, port: t.dport },
        {
          data: (b) => conn.fromFar(b),
          end: () => conn.farEnded(),
          reset: () => conn.reset(),
          drain: () => conn.farDrained(),
        },
      )
      .then(
        (out) => conn.accepted(out),
        (e: Error) => {
          if (e instanceof DialRefused) this.notice(`outbound connection to ${where} refused: ${e.message}`);
          conn.refuse();
        },
      );
  }

  /** Each distinct notice at most once every 10 s: a retrying client does not flood the terminal. */
  private notice(text: string): void {
    const now = Date.now();
    if ((this.noticed.get(text) ?? -Infinity) > now - 10_000) return;
    this.noticed.set(text, now);
    if (this.noticed.size > 100) this.noticed.clear();
    this.o.notice(text);
  }
}
