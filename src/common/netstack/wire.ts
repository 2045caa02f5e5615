// The frames the host's TCP/IP relay reads and writes on the VM's uplink
// (virtio-net, v86's bus events `net0-send` / `net0-receive`): Ethernet II,
// ARP, IPv4 without options or fragments, ICMP echo/unreachable, TCP. v86's
// virtio-net offers no checksum offload: the guest checks every checksum.

/** The host on the uplink: Docker Desktop's host.docker.internal (images/containerd-lite/uplink.h). */
export const HOST_IP = 0xc0a841fe; // 192.168.65.254
export const HOST_MAC = new Uint8Array([0x02, 0x42, 0xc0, 0xa8, 0x41, 0xfe]);

export const ETH_ARP = 0x0806;
export const ETH_IPV4 = 0x0800;
export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export function ipText(ip: number): string {
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
}

/** The Internet checksum (RFC 1071) of b, starting from `sum`. */
export function checksum(b: Uint8Array, sum = 0): number {
  let s = sum;
  for (let i = 0; i + 1 < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (b.length % 2) s += b[b.length - 1]! << 8;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

export interface Ipv4 {
  src: number;
  dst: number;
  proto: number;
  ttl: number;
  /** the IP header and payload (for ICMP errors quoting it) */
  packet: Uint8Array;
  payload: Uint8Array;
}

export interface Tcp {
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  /** the MSS option of a SYN, if any */
  mss?: number;
  data: Uint8Array;
}

export interface Frame {
  dstMac: Uint8Array;
  srcMac: Uint8Array;
  type: number;
  payload: Uint8Array;
}

export function parseFrame(f: Uint8Array): Frame | undefined {
  if (f.length < 14) return undefined;
  return { dstMac: f.subarray(0, 6), srcMac: f.subarray(6, 12), type: (f[12]! << 8) | f[13]!, payload: f.subarray(14) };
}

export function parseIpv4(p: Uint8Array): Ipv4 | undefined {
  if (p.length < 20 || p[0]! >> 4 !== 4) return undefined;
  const ihl = (p[0]! & 15) * 4;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const total = v.getUint16(2);
  // fragments are not reassembled: the guest's MTU keeps TCP whole
  if (ihl < 20 || total < ihl || total > p.length || (v.getUint16(6) & 0x3fff) !== 0) return undefined;
  return { src: v.getUint32(12), dst: v.getUint32(16), proto: p[9]!, ttl: p[8]!, packet: p.subarray(0, total), payload: p.subarray(ihl, total) };
}

export function parseTcp(p: Uint8Array): Tcp | undefined {
  if (p.length < 20) return undefined;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const off = (p[12]! >> 4) * 4;
  if (off < 20 || off > p.length) return undefined;
  const t: Tcp = { sport: v.getUint16(0), dport: v.getUint16(2), seq: v.getUint32(4), ack: v.getUint32(8), flags: p[13]!, window: v.getUint16(14), data: p.subarray(off) };
  for (let i = 20; i < off; ) {
    const kind = p[i]!;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const len = p[i + 1] ?? 0;
    if (len < 2) break;
    if (kind === 2 && len === 4 && i + 4 <= off) t.mss = v.getUint16(i + 2);
    i += len;
  }
  return t;
}

function ethernet(dstMac: Uint8Array, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(dstMac, 0);
  f.set(HOST_MAC, 6);
  f[12] = type >> 8;
  f[13] = type & 255;
  f.set(payload, 14);
  return f;
}

let ipId = 0;

/** An Ethernet frame to dstMac holding an IPv4 packet src → dst. */
export function ipv4Frame(dstMac: Uint8Array, src: number, dst: number, proto: number, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(20 + payload.length);
  const v = new DataView(p.buffer);
  p[0] = 0x45;
  v.setUint16(2, p.length);
  v.setUint16(4, (ipId = (ipId + 1) & 0xffff));
  v.setUint16(6, 0x4000); // DF
  p[8] = 64;
  p[9] = proto;
  v.setUint32(12, src);
  v.setUint32(16, dst);
  v.setUint16(10, checksum(p.subarray(0, 20)));
  p.set(payload, 20);
  return ethernet(dstMac, ETH_IPV4, p);
}

/** A TCP segment (with the MSS option when `mss` is given), checksummed for src → dst. */
export function tcpSegment(src: number, dst: number, t: Omit<Tcp, 'data'> & { data?: Uint8Array }): Uint8Array {
  const opt = t.mss !== undefined ? 4 : 0;
  const data = t.data ?? new Uint8Array(0);
  const s = new Uint8Array(20 + opt + data.length);
  const v = new DataView(s.buffer);
  v.setUint16(0, t.sport);
  v.setUint16(2, t.dport);
  v.setUint32(4, t.seq >>> 0);
  v.setUint32(8, t.ack >>> 0);
  s[12] = ((20 + opt) / 4) << 4;
  s[13] = t.flags;
  v.setUint16(14, t.window);
  if (t.mss !== undefined) {
    s[20] = 2;
    s[21] = 4;
    v.setUint16(22, t.mss);
  }
  s.set(data, 20 + opt);
  v.setUint16(16, checksum(s, pseudoSum(src, dst, PROTO_TCP, s.length)));
  return s;
}

function pseudoSum(src: number, dst: number, proto: number, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
}

/** The ARP reply to a request for HOST_IP, or undefined. */
export function arpReply(p: Uint8Array): Uint8Array | undefined {
  if (p.length < 28) return undefined;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  if (v.getUint16(0) !== 1 || v.getUint16(2) !== ETH_IPV4 || v.getUint16(6) !== 1 || v.getUint32(24) !== HOST_IP) return undefined;
  const r = new Uint8Array(28);
  r.set(p.subarray(0, 6));
  r[7] = 2; // reply
  r.set(HOST_MAC, 8);
  r.set(p.subarray(24, 28), 14);
  r.set(p.subarray(8, 18), 18); // the asker's MAC and IP
  return ethernet(p.subarray(8, 14), ETH_ARP, r);
}

/** ICMP of `type`/`code` with `body` (an echo's rest, or the quoted packet of an error). */
export function icmp(type: number, code: number, head: number, body: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + body.length);
  const v = new DataView(m.buffer);
  m[0] = type;
  m[1] = code;
  v.setUint32(4, head);
  m.set(body, 8);
  v.setUint16(2, checksum(m));
  return m;
}

/** A UDP datagram src:sport → dst:dport, checksummed. */
export function udpDatagram(src: number, dst: number, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const u = new Uint8Array(8 + data.length);
  const v = new DataView(u.buffer);
  v.setUint16(0, sport);
  v.setUint16(2, dport);
  v.setUint16(4, u.length);
  u.set(data, 8);
  v.setUint16(6, checksum(u, pseudoSum(src, dst, PROTO_UDP, u.length)) || 0xffff);
  return u;
}
