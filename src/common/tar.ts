// Just enough tar for OCI-layout archives (`docker save` / `docker load`):
// a reader for ustar with pax and GNU long names, and a ustar writer with
// fixed metadata so the same image always gives the same archive.

export interface TarEntry {
  name: string;
  type: 'file' | 'dir' | 'other';
  data: Uint8Array;
}

export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarError';
  }
}

const dec = new TextDecoder();
const enc = new TextEncoder();

function field(b: Uint8Array, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const nul = s.indexOf(0);
  return dec.decode(nul >= 0 ? s.subarray(0, nul) : s);
}

function octal(b: Uint8Array, off: number, len: number, what: string): number {
  if (b[off]! & 0x80) throw new TarError(`tar: base-256 ${what} not supported`);
  const s = field(b, off, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarError(`tar: bad ${what} field ${JSON.stringify(s)}`);
  return parseInt(s, 8);
}

function checksumOk(h: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum === octal(h, 148, 8, 'checksum');
}

function paxRecords(data: Uint8Array): Map<string, string> {
  const out = new Map<string, string>();
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp < 0) throw new TarError('tar: bad pax header');
    const len = Number(dec.decode(data.subarray(off, sp)));
    if (!Number.isSafeInteger(len) || len <= sp - off || off + len > data.length) throw new TarError('tar: bad pax record length');
    const rec = dec.decode(data.subarray(sp + 1, off + len - 1));
    const eq = rec.indexOf('=');
    if (eq > 0) out.set(rec.slice(0, eq), rec.slice(eq + 1));
    off += len;
  }
  return out;
}

/** Parses a whole archive. Names are normalised (no leading ./ or /). */
export function readTar(archive: Uint8Array, limits: { maxEntries?: number } = {}): TarEntry[] {
  const maxEntries = limits.maxEntries ?? 100_000;
  const entries: TarEntry[] = [];
  let off = 0;
  let longName: string | undefined;
  let pax: Map<string, string> | undefined;
  while (off + 512 <= archive.length) {
    const h = archive.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break; // end of archive
    if (!checksumOk(h)) throw new TarError(`tar: bad header checksum at offset ${off}`);
    const size = octal(h, 124, 12, 'size');
    const typeflag = String.fromCharCode(h[156]!);
    const dataStart = off + 512;
    if (dataStart + size > archive.length) throw new TarError(`tar: archive truncated in the data of entry at offset ${off}`);
    const data = archive.subarray(dataStart, dataStart + size);
    off = dataStart + Math.ceil(size / 512) * 512;
    if (typeflag === 'x') {
      pax = paxRecords(data);
      continue;
    }
    if (typeflag === 'g') continue;
    if (typeflag === 'L') {
      longName = field(data, 0, data.length);
      continue;
    }
    const magic = field(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? field(h, 345, 155) : '';
    let name = pax?.get('path') ?? longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    pax = undefined;
    longName = undefined;
    name = name.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
    const type = typeflag === '0' || typeflag === '\0' || typeflag === '7' ? 'file' : typeflag === '5' ? 'dir' : 'other';
    entries.push({ name, type, data });
    if (entries.length > maxEntries) throw new TarError(`tar: more than ${maxEntries} entries`);
  }
  return entries;
}

function putOctal(h: Uint8Array, off: number, len: number, v: number): void {
  const s = v.toString(8).padStart(len - 1, '0');
  if (s.length > len - 1) throw new TarError(`tar: value ${v} does not fit`);
  h.set(enc.encode(s), off);
}

/** Writes a ustar archive of files and directories, all owned by root, mtime `mtime`. */
export function writeTar(entries: ReadonlyArray<{ name: string; data?: Uint8Array }>, mtime = 0): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const e of entries) {
    const isDir = e.data === undefined;
    const data = e.data ?? new Uint8Array(0);
    const h = new Uint8Array(512);
    let name = e.name + (isDir ? '/' : '');
    let prefix = '';
    if (enc.encode(name).length > 100) {
      const cut = name.lastIndexOf('/', name.length - 2);
      prefix = name.slice(0, cut);
      name = name.slice(cut + 1);
      if (cut < 0 || enc.encode(name).length > 100 || enc.encode(prefix).length > 155) throw new TarError(`tar: name too long: ${e.name}`);
    }
    h.set(enc.encode(name), 0);
    putOctal(h, 100, 8, isDir ? 0o755 : 0o644);
    putOctal(h, 108, 8, 0);
    putOctal(h, 116, 8, 0);
    putOctal(h, 124, 12, data.length);
    putOctal(h, 136, 12, mtime);
    h[156] = isDir ? 0x35 : 0x30;
    h.set(enc.encode('ustar\u000000'), 257);
    h.set(enc.encode(prefix), 345);
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const x of h) sum += x;
    h.set(enc.encode(sum.toString(8).padStart(6, '0') + '\u0000 '), 148);
    blocks.push(h, data);
    if (data.length % 512) blocks.push(new Uint8Array(512 - (data.length % 512)));
  }
  blocks.push(new Uint8Array(1024));
  const total = blocks.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const b of blocks) {
    out.set(b, off);
    off += b.length;
  }
  return out;
}
