// The host's DNS answers on the uplink (192.168.65.254:53): the daemon's
// embedded server passes on the names it does not know, and the realm
// resolves them — A records only; another type of a known name gets an
// empty NOERROR, so that a resolver asking A and AAAA at once takes the A
// answer.

export interface DnsQuery {
  id: number;
  /** lower case, no trailing dot */
  name: string;
  type: number;
  /** the header's flags and the question, copied into the answer */
  rd: boolean;
  question: Uint8Array;
}

const T_A = 1;
const TTL = 60;

/** The single question of a query, or undefined for anything else. */
export function parseQuery(p: Uint8Array): DnsQuery | undefined {
  if (p.length < 12 || p[2]! & 0x80 || ((p[4]! << 8) | p[5]!) !== 1) return undefined;
  const labels: string[] = [];
  let o = 12;
  for (;;) {
    const len = p[o];
    if (len === undefined || len > 63) return undefined;
    o++;
    if (len === 0) break;
    if (o + len > p.length) return undefined;
    labels.push(String.fromCharCode(...p.subarray(o, o + len)).toLowerCase());
    o += len;
  }
  if (o + 4 > p.length) return undefined;
  return { id: (p[0]! << 8) | p[1]!, name: labels.join('.'), type: (p[o]! << 8) | p[o + 1]!, rd: (p[2]! & 1) === 1, question: p.subarray(12, o + 4) };
}

/** The answer: `ips` as A records (NXDOMAIN when undefined: the name is unknown). */
export function answer(q: DnsQuery, ips: readonly number[] | undefined): Uint8Array {
  const records = q.type === T_A && ips ? ips.slice(0, 16) : [];
  const out = new Uint8Array(12 + q.question.length + 16 * records.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, q.id);
  v.setUint16(2, 0x8080 | (q.rd ? 0x100 : 0) | (ips ? 0 : 3)); // QR, RA; NXDOMAIN
  v.setUint16(4, 1);
  v.setUint16(6, records.length);
  out.set(q.question, 12);
  let o = 12 + q.question.length;
  for (const ip of records) {
    v.setUint16(o, 0xc00c); // the question's name
    v.setUint16(o + 2, T_A);
    v.setUint16(o + 4, 1);
    v.setUint32(o + 6, TTL);
    v.setUint16(o + 10, 4);
    v.setUint32(o + 12, ip);
    o += 16;
  }
  return out;
}
