// The host's TCP/IP relay on the VM's uplink (src/common/netstack): frames
// as the guest's kernel sends them, answers checked field by field (and by
// checksum, as the guest checks them), dialers faked.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NetStack, MAX_CONNECTIONS } from '../../src/common/netstack/stack.js';
import { DialRefused, type Dialer, type Outbound, type OutboundSink } from '../../src/common/netstack/dialer.js';
import { FetchNames, fetchDialer } from '../../src/common/netstack/fetch-dialer.js';
import { parseQuery } from '../../src/common/netstack/dns.js';
import { ACK, FIN, HOST_IP, HOST_MAC, PROTO_TCP, PROTO_UDP, PSH, RST, SYN, checksum, ipv4Frame, parseFrame, parseIpv4, parseTcp, tcpSegment, udpDatagram, type Tcp } from '../../src/common/netstack/wire.js';

const GUEST = 0xac110002; // 172.17.0.2
const enc = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A NetStack with its frames collected, and a dialer that records what it is given. */
function rig(dial?: Dialer) {
  const frames: Uint8Array[] = [];
  const notices: string[] = [];
  const far: { written: string[]; ended: boolean; closed: boolean; sink?: OutboundSink } = { written: [], ended: false, closed: false };
  const accept: Dialer = async (_to, sink) => {
    far.sink = sink;
    const o: Outbound = {
      write: (b) => void far.written.push(text(b)),
      backlog: 0,
      end: () => void (far.ended = true),
      close: () => void (far.closed = true),
      pause() {},
      resume() {},
    };
    return o;
  };
  const stack = new NetStack({ send: (f) => frames.push(f), dial: dial ?? accept, notice: (t) => notices.push(t) });
  /** the TCP segments sent to the guest since the last call, checksums verified */
  const sent = (): Tcp[] =>
    frames.splice(0).map((f) => {
      const ip = parseIpv4(parseFrame(f)!.payload)!;
      expect(checksum(ip.packet.subarray(0, 20))).toBe(0);
      expect(ip.dst).toBe(GUEST);
      const pseudo = (ip.src >>> 16) + (ip.src & 0xffff) + (ip.dst >>> 16) + (ip.dst & 0xffff) + PROTO_TCP + ip.payload.length;
      expect(checksum(ip.payload, pseudo)).toBe(0);
      return parseTcp(ip.payload)!;
    });
  const guest = (t: Partial<Tcp> & { flags: number; seq: number }, dst = HOST_IP) =>
    stack.receive(ipv4Frame(HOST_MAC, GUEST, dst, PROTO_TCP, tcpSegment(GUEST, dst, { sport: 40000, dport: 8080, ack: 0, window: 65535, ...t })));
  return { stack, frames, notices, far, sent, guest };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

afterEach(() => {
  vi.useRealTimers();
});

describe('NetStack', () => {
  it('answers ARP for the host’s address only', () => {
    const { stack, frames } = rig();
    const arp = (target: number) => {
      const p = new Uint8Array(28);
      const v = new DataView(p.buffer);
      v.setUint16(0, 1);
      v.setUint16(2, 0x0800);
      p[4] = 6;
      p[5] = 4;
      v.setUint16(6, 1);
      p.set([2, 0, 0, 0, 0, 9], 8);
      v.setUint32(14, 0xc0a84103);
      v.setUint32(24, target);
      const f = new Uint8Array(14 + 28);
      f.fill(255, 0, 6);
      f.set([2, 0, 0, 0, 0, 9], 6);
      f[12] = 8;
      f[13] = 6;
      f.set(p, 14);
      stack.receive(f);
    };
    arp(0xc0a84101);
    expect(frames).toHaveLength(0);
    arp(HOST_IP);
    const r = parseFrame(frames[0]!)!;
    expect([...r.dstMac]).toEqual([2, 0, 0, 0, 0, 9]);
    expect([...r.payload.subarray(8, 14)]).toEqual([...HOST_MAC]);
    expect(new DataView(r.payload.buffer, r.payload.byteOffset).getUint32(14)).toBe(HOST_IP);
    expect(new DataView(r.payload.buffer, r.payload.byteOffset).getUint32(24)).toBe(0xc0a84103);
  });

  it('answers a SYN once the far end accepted, relays both ways, closes on both FINs', async () => {
    const { stack, far, sent, guest } = rig();
    guest({ flags: SYN, seq: 1000, mss: 1460 });
    await tick();
    const [synAck] = sent();
    expect(synAck!.flags).toBe(SYN | ACK);
    expect(synAck!.ack).toBe(1001);
    expect(synAck!.mss).toBe(1460);
    const iss = synAck!.seq;
    guest({ flags: ACK, seq: 1001, ack: iss + 1, data: enc('GET / HTTP/1.0\r\n\r\n') });
    expect(far.written).toEqual(['GET / HTTP/1.0\r\n\r\n']);
    expect(sent().map((t) => [t.flags, t.ack])).toEqual([[ACK, 1019]]);
    far.sink!.data(enc('hello'));
    far.sink!.end();
    const out = sent();
    expect(out.map((t) => [t.flags, t.seq, text(t.data)])).toEqual([
      [ACK | PSH, iss + 1, 'hello'],
      [FIN | ACK, iss + 6, ''],
    ]);
    guest({ flags: FIN | ACK, seq: 1019, ack: iss + 7 });
    expect(far.ended).toBe(true);
    expect(sent().map((t) => [t.flags, t.ack])).toEqual([[ACK, 1020]]);
    expect(stack.connections).toBe(0);
    expect(far.closed).toBe(false); // ended both ways, not cut
  });

  it('a refused dial is a reset at once (Connection refused), with a notice', async () => {
    const { stack, notices, sent, guest } = rig(async () => {
      throw new DialRefused('127.0.0.1:8080: ECONNREFUSED');
    });
    guest({ flags: SYN, seq: 5 });
    await tick();
    expect(sent().map((t) => [t.flags, t.ack])).toEqual([[RST | ACK, 6]]);
    expect(notices).toEqual(['outbound connection to host.docker.internal:8080 refused: 127.0.0.1:8080: ECONNREFUSED']);
    expect(stack.connections).toBe(0);
  });

  it('sends again what the guest did not acknowledge (a frame the guest dropped)', async () => {
    const { far, sent, guest } = rig();
    guest({ flags: SYN, seq: 1 });
    await tick();
    vi.useFakeTimers();
    const iss = sent()[0]!.seq;
    guest({ flags: ACK, seq: 2, ack: iss + 1 });
    far.sink!.data(enc('lost'));
    expect(sent().map((t) => text(t.data))).toEqual(['lost']);
    vi.advanceTimersByTime(250);
    expect(sent().map((t) => [t.seq, text(t.data)])).toEqual([[iss + 1, 'lost']]);
    guest({ flags: ACK, seq: 2, ack: iss + 5 });
    vi.advanceTimersByTime(5000);
    expect(sent()).toEqual([]);
  });

  it('sends no more than the guest’s window, and the rest as it opens', async () => {
    const { far, sent, guest } = rig();
    guest({ flags: SYN, seq: 1, window: 3 });
    await tick();
    const iss = sent()[0]!.seq;
    guest({ flags: ACK, seq: 2, ack: iss + 1, window: 3 });
    far.sink!.data(enc('abcdef'));
    expect(sent().map((t) => text(t.data))).toEqual(['abc']);
    guest({ flags: ACK, seq: 2, ack: iss + 4, window: 100 });
    expect(sent().map((t) => text(t.data))).toEqual(['def']);
  });

  it('refuses connections beyond its bound; a guest reset closes the far end', async () => {
    const { stack, far, sent, guest, notices } = rig();
    for (let i = 0; i < MAX_CONNECTIONS + 1; i++) guest({ flags: SYN, seq: 1, sport: 1000 + i });
    await tick();
    const out = sent();
    expect(out.filter((t) => t.flags === (SYN | ACK))).toHaveLength(MAX_CONNECTIONS);
    expect(out.filter((t) => t.flags & RST)).toHaveLength(1);
    expect(notices[0]).toMatch(/64 are open already/);
    guest({ flags: RST, seq: 2, sport: 1000 });
    expect(stack.connections).toBe(MAX_CONNECTIONS - 1);
    expect(far.closed).toBe(true);
    stack.close();
    expect(stack.connections).toBe(0);
  });

  it('resets a segment of no connection it knows; answers UDP with port unreachable', () => {
    const { stack, frames, sent, guest } = rig();
    guest({ flags: ACK, seq: 9, ack: 77 });
    expect(sent().map((t) => [t.flags, t.seq])).toEqual([[RST | ACK, 77]]);
    stack.receive(ipv4Frame(HOST_MAC, GUEST, 0x08080808, PROTO_UDP, new Uint8Array(12)));
    const icmp = parseIpv4(parseFrame(frames[0]!)!.payload)!;
    expect([icmp.proto, icmp.payload[0], icmp.payload[1]]).toEqual([1, 3, 3]);
    expect(checksum(icmp.payload)).toBe(0);
  });
});

describe('DNS to the host', () => {
  /** a query for name/type as a resolver sends it */
  const query = (id: number, name: string, type: number) => {
    const labels = name.split('.').flatMap((l) => [l.length, ...enc(l)]);
    return new Uint8Array([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, type, 0, 1]);
  };
  const ask = async (stack: NetStack, frames: Uint8Array[], q: Uint8Array) => {
    stack.receive(ipv4Frame(HOST_MAC, GUEST, HOST_IP, PROTO_UDP, udpDatagram(GUEST, HOST_IP, 33333, 53, q)));
    await vi.waitFor(() => expect(frames.length).toBe(1));
    const ip = parseIpv4(parseFrame(frames.pop()!)!.payload)!;
    const pseudo = (ip.src >>> 16) + (ip.src & 0xffff) + (ip.dst >>> 16) + (ip.dst & 0xffff) + PROTO_UDP + ip.payload.length;
    expect(checksum(ip.payload, pseudo)).toBe(0);
    expect((ip.payload[2]! << 8) | ip.payload[3]!).toBe(33333);
    return ip.payload.subarray(8);
  };

  it('answers A queries through the realm’s resolver; NXDOMAIN for a name it does not know; empty for AAAA', async () => {
    const frames: Uint8Array[] = [];
    const stack = new NetStack({ send: (f) => frames.push(f), dial: async () => Promise.reject(new Error('x')), notice() {}, resolve: async (n) => (n === 'example.test' ? [0x0a000001, 0x0a000002] : undefined) });
    const a = await ask(stack, frames, query(0x1234, 'Example.TEST', 1));
    expect([a[0], a[1], a[3]! & 15, a[7]]).toEqual([0x12, 0x34, 0, 2]);
    expect([...a.subarray(a.length - 4)]).toEqual([10, 0, 0, 2]);
    expect(parseQuery(query(1, 'example.test', 1))!.name).toBe('example.test');
    const nx = await ask(stack, frames, query(7, 'nope.test', 1));
    expect([nx[3]! & 15, nx[7]]).toEqual([3, 0]);
    const aaaa = await ask(stack, frames, query(8, 'example.test', 28));
    expect([aaaa[3]! & 15, aaaa[7]]).toEqual([0, 0]);
    const nxAaaa = await ask(stack, frames, query(9, 'nope.test', 28));
    expect([nxAaaa[3]! & 15, nxAaaa[7]]).toEqual([3, 0]);
  });

  it('in a page, a name gets an address of its own that fetch dials by the name', async () => {
    const names = new FetchNames();
    const [ip] = names.resolve('api.example.test')!;
    expect(names.resolve('api.example.test')).toEqual([ip]);
    expect(ip! >>> 17).toBe(0xc612 >>> 1); // 198.18.0.0/15
    expect(names.resolve('bad name')).toBeUndefined();
    const urls: string[] = [];
    const dial = fetchDialer('h', () => {}, (async (url: string) => {
      urls.push(url);
      return new Response('ok');
    }) as unknown as typeof fetch, names);
    const got: string[] = [];
    const o = await dial({ ip: ip!, port: 8080 }, { data: (b) => void got.push(text(b)), end() {}, reset() {}, drain() {} });
    o.write(enc('GET /v1 HTTP/1.1\r\n\r\n'));
    await vi.waitFor(() => expect(urls).toEqual(['http://api.example.test:8080/v1']));
  });
});

describe('fetchDialer', () => {
  const sink = () => {
    const got = { data: [] as string[], ended: false, reset: false };
    const s: OutboundSink = { data: (b) => void got.data.push(text(b)), end: () => void (got.ended = true), reset: () => void (got.reset = true), drain() {} };
    return { got, s };
  };

  it('makes the container’s request with fetch and writes the answer back', async () => {
    const calls: Array<[string, unknown]> = [];
    const fake = (async (url: string, init: unknown) => {
      calls.push([url, init]);
      return new Response('hi from the host', { status: 200, headers: { 'Content-Type': 'text/plain' } });
    }) as unknown as typeof fetch;
    const dial = fetchDialer('pagehost', () => {}, fake);
    const { got, s } = sink();
    const o = await dial({ ip: HOST_IP, port: 8000 }, s);
    o.write(enc('GET /x?y=1 HTTP/1.1\r\nHost: host.docker.internal:8000\r\nUser-Agent: Wget\r\n'));
    o.write(enc('\r\n'));
    await vi.waitFor(() => expect(got.ended).toBe(true));
    expect(calls[0]![0]).toBe('http://pagehost:8000/x?y=1');
    expect(got.data.join('')).toBe('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 16\r\ncontent-type: text/plain\r\n\r\nhi from the host');
  });

  it('a fetch the browser refuses is a 502 saying why, and a notice', async () => {
    const notices: string[] = [];
    const dial = fetchDialer('pagehost', (t) => notices.push(t), (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch);
    const { got, s } = sink();
    const o = await dial({ ip: 0x0a000005, port: 80 }, s);
    o.write(enc('GET / HTTP/1.1\r\n\r\n'));
    await vi.waitFor(() => expect(got.ended).toBe(true));
    expect(got.data.join('')).toMatch(/^HTTP\/1\.1 502 Bad Gateway: the browser refused fetch http:\/\/10\.0\.0\.5\/ \(the origin sends no CORS headers/);
    expect(notices[0]).toMatch(/Failed to fetch/);
  });

  it('refuses port 443 and cuts TLS or anything not HTTP', async () => {
    const notices: string[] = [];
    const dial = fetchDialer('h', (t) => notices.push(t));
    await expect(dial({ ip: HOST_IP, port: 443 }, sink().s)).rejects.toThrow(/cannot relay TLS/);
    const tls = sink();
    (await dial({ ip: HOST_IP, port: 8443 }, tls.s)).write(new Uint8Array([0x16, 3, 1]));
    expect(tls.got.reset).toBe(true);
    const ssh = sink();
    (await dial({ ip: HOST_IP, port: 22 }, ssh.s)).write(enc('SSH-2.0-OpenSSH\r\n'));
    expect(ssh.got.reset).toBe(true);
    expect(notices).toHaveLength(2);
  });
});
