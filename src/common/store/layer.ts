// An OCI image layer (an uncompressed tar) read into a list of entries, each
// checked before anything uses it. Formats: ustar (with its name prefix), pax
// extended headers ('x': path, linkpath, size, uid, gid, mtime; 'g' skipped),
// GNU long name/link ('L'/'K'), base-256 numbers, old V7 headers. Types:
// regular file ('0', '\0', '7'), hard link ('1'), symlink ('2'), char/block
// device ('3'/'4'), directory ('5'), FIFO ('6'); anything else is refused.
// As in Go's archive/tar, types 1-6 carry no data whatever their size says.
// File data is not copied: an entry records where its bytes start in the
// tar, which the store keeps as it is (the guest reads files from it).
//
// Every refusal is a LayerError "tar entry `NAME` at offset N: WHY" (or
// "tar: WHY" where no entry can be named), the wording the guest's C applier
// used, so a user sees which entry of which layer was refused.

export class LayerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LayerError';
  }
}

export interface LayerLimits {
  /** data of one entry */
  maxEntrySize: number;
  /** data of one pax or GNU long name/link header */
  maxHeaderSize: number;
  /** file data of the whole layer */
  maxTotalSize: number;
  /** entries, not counting pax/GNU headers */
  maxEntries: number;
  /** bytes of a name or link target */
  maxPath: number;
}

export const DEFAULT_LIMITS: LayerLimits = {
  maxEntrySize: 2 ** 32,
  maxHeaderSize: 64 << 10,
  maxTotalSize: 2 ** 34,
  maxEntries: 500_000,
  maxPath: 4096,
};

export type EntryKind = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

export interface LayerEntry {
  /** normalised: no leading `/` or `.` components, no trailing `/`; '' is the root */
  path: string;
  /** the name as the archive gave it (for messages) */
  name: string;
  /** offset of the entry's header in the tar (for messages) */
  off: number;
  kind: EntryKind;
  /** permission bits, setuid/setgid/sticky included (mode & 07777) */
  mode: number;
  uid: number;
  gid: number;
  /** seconds since the epoch */
  mtime: number;
  /** file: bytes of data, which start at `data` in the tar */
  size: number;
  data: number;
  /** symlink target, or a hard link's target path (normalised like `path`) */
  link: string;
  major: number;
  minor: number;
}

const BLOCK = 512;
const KINDS: Record<string, EntryKind> = { '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo' };
const dec = new TextDecoder('utf-8', { fatal: false });
const enc = new TextEncoder();

function fail(e: { name: string; off: number }, why: string): never {
  throw new LayerError(`tar entry \`${shown(e.name)}\` at offset ${e.off}: ${why}`);
}

/** A name as a message may show it: at most 200 characters. */
function shown(name: string): string {
  return name.length > 200 ? `${name.slice(0, 100)}...${name.slice(-97)}` : name;
}

function cstr(b: Uint8Array, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const nul = s.indexOf(0);
  return dec.decode(nul >= 0 ? s.subarray(0, nul) : s);
}

/** An octal field (spaces/NULs around it), or GNU base-256; undefined if neither. */
function parseNum(b: Uint8Array, off: number, len: number): number | undefined {
  if (b[off]! & 0x80) {
    if (b[off]! & 0x40) return undefined; // negative
    let v = b[off]! & 0x3f;
    for (let i = 1; i < len; i++) v = v * 256 + b[off + i]!;
    return Number.isSafeInteger(v) ? v : undefined;
  }
  let i = off;
  const end = off + len;
  while (i < end && (b[i] === 0x20 || b[i] === 0)) i++;
  if (i === end) return 0;
  let v = 0;
  let digits = 0;
  for (; i < end && b[i]! >= 0x30 && b[i]! <= 0x37; i++, digits++) v = v * 8 + (b[i]! - 0x30);
  for (; i < end; i++) if (b[i] !== 0x20 && b[i] !== 0) return undefined;
  return digits > 0 && Number.isSafeInteger(v) ? v : undefined;
}

function checksumOk(h: Uint8Array): boolean {
  const want = parseNum(h, 148, 8);
  if (want === undefined) return false;
  let u = 0;
  let s = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : h[i]!;
    u += b;
    s += b > 127 ? b - 256 : b;
  }
  return want === u || want === s;
}

/**
 * `name` without leading `/` and `.` components and trailing `/`; undefined
 * when a component is `..`.
 */
export function normalise(name: string): string | undefined {
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') return undefined;
    out.push(c);
  }
  return out.join('/');
}

interface Pending {
  any: boolean;
  path?: string;
  link?: string;
  gnuName?: string;
  gnuLink?: string;
  size?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
}

function parsePax(e: { name: string; off: number }, d: Uint8Array, p: Pending): void {
  let pos = 0;
  while (pos < d.length) {
    if (d[pos] === 0) {
      while (pos < d.length && d[pos] === 0) pos++; // NUL padding
      if (pos < d.length) fail(e, `bad pax record at byte ${pos}`);
      break;
    }
    let i = 0;
    let len = 0;
    for (; pos + i < d.length && d[pos + i]! >= 0x30 && d[pos + i]! <= 0x39; i++) {
      len = len * 10 + (d[pos + i]! - 0x30);
      if (len > d.length - pos) break;
    }
    if (i === 0 || len > d.length - pos || pos + i >= d.length || d[pos + i] !== 0x20 || len < i + 3 || d[pos + len - 1] !== 0x0a) {
      fail(e, `bad pax record at byte ${pos}`);
    }
    const rec = d.subarray(pos + i + 1, pos + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) fail(e, `bad pax record at byte ${pos}`);
    const key = dec.decode(rec.subarray(0, eq));
    const raw = rec.subarray(eq + 1);
    const val = dec.decode(raw);
    pos += len;
    if (key === 'path' || key === 'linkpath') {
      if (raw.includes(0)) fail(e, `pax ${key} has a NUL byte`);
      if (key === 'path') p.path = val || undefined;
      else p.link = val || undefined;
    } else if (key === 'size') {
      if (!/^\d+$/.test(val) || !Number.isSafeInteger(Number(val))) fail(e, `bad pax size \`${val}\``);
      p.size = Number(val);
    } else if (key === 'uid' || key === 'gid') {
      if (!/^\d+$/.test(val) || Number(val) >= 0xffffffff) fail(e, `bad pax ${key} \`${val}\``);
      p[key] = Number(val);
    } else if (key === 'mtime') {
      // refused past 2^53 as Go refuses past int64: a time of Infinity would reach the guest and `docker commit`
      if (!/^-?\d+(\.\d*)?$/.test(val) || !Number.isSafeInteger(Math.floor(Number(val)))) fail(e, `bad pax mtime \`${val}\``);
      p.mtime = Math.floor(Number(val));
    } else if (key.startsWith('GNU.sparse.')) {
      fail(e, 'sparse files are not supported');
    }
    // anything else (atime, uname, SCHILY.xattr.*, ...) is ignored
  }
}

/** A whiteout is a leaf: a directory component starting with `.wh.` is malformed or hostile. */
function whiteoutInDir(path: string): boolean {
  const parts = path.split('/');
  return parts.slice(0, -1).some((c) => c.startsWith('.wh.'));
}

/** Reads and checks every entry of an uncompressed layer. */
export function readLayer(tar: Uint8Array, limits: LayerLimits = DEFAULT_LIMITS): LayerEntry[] {
  const out: LayerEntry[] = [];
  let off = 0;
  let total = 0;
  let p: Pending = { any: false };
  for (;;) {
    if (off === tar.length && !p.any) return out;
    if (off + BLOCK > tar.length) throw new LayerError(`tar: truncated archive: EOF inside the header at offset ${off}`);
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((x) => x === 0)) {
      // end marker: a second zero block, or EOF right after the first
      const next = tar.subarray(off + BLOCK, off + 2 * BLOCK);
      if ((next.length !== 0 && next.length !== BLOCK) || !next.every((x) => x === 0)) throw new LayerError(`tar: lone zero block at offset ${off}`);
      if (p.any) throw new LayerError('tar: archive ends after a pax/GNU header, without its entry');
      return out;
    }
    const posix = cstr(h, 257, 6) === 'ustar' && h[262] === 0;
    const hname = posix && h[345] ? `${cstr(h, 345, 155)}/${cstr(h, 0, 100)}` : cstr(h, 0, 100);
    const type = String.fromCharCode(h[156]!);
    const e = { name: p.path ?? p.gnuName ?? hname, off };
    const link = p.link ?? p.gnuLink ?? cstr(h, 157, 100);
    if (!checksumOk(h)) fail(e, 'bad header checksum');
    const field = (at: number, len: number, what: string, max: number) => {
      const v = parseNum(h, at, len);
      if (v === undefined) fail(e, `${what} field is not a number`);
      if (v > max) fail(e, `${what} ${v} out of range`);
      return v;
    };
    const mode = field(100, 8, 'mode', Number.MAX_SAFE_INTEGER) % 0o10000;
    const uid = p.uid ?? field(108, 8, 'uid', 0xfffffffe);
    const gid = p.gid ?? field(116, 8, 'gid', 0xfffffffe);
    const hsize = field(124, 12, 'size', Number.MAX_SAFE_INTEGER);
    const mtime = p.mtime ?? field(136, 12, 'mtime', Number.MAX_SAFE_INTEGER);
    let major = 0;
    let minor = 0;
    if (type === '3' || type === '4') {
      major = field(329, 8, 'devmajor', 0xfff);
      minor = field(337, 8, 'devminor', 0xfffff);
    }
    const dataStart = off + BLOCK;
    const skip = (n: number) => {
      const end = dataStart + n + ((BLOCK - (n % BLOCK)) % BLOCK);
      if (dataStart + n > tar.length) fail(e, `truncated archive: EOF at offset ${tar.length} inside the entry`);
      off = Math.min(end, tar.length);
    };
    if (type === 'x' || type === 'L' || type === 'K') {
      if (hsize > limits.maxHeaderSize) fail(e, `${hsize}-byte '${type}' header over the limit of ${limits.maxHeaderSize} bytes`);
      skip(hsize);
      const d = tar.subarray(dataStart, dataStart + hsize);
      p.any = true;
      if (type === 'x') parsePax(e, d, p);
      else if (type === 'L') p.gnuName = cstr(d, 0, d.length);
      else p.gnuLink = cstr(d, 0, d.length);
      continue;
    }
    if (type === 'g') {
      if (hsize > limits.maxHeaderSize) fail(e, `${hsize}-byte 'g' header over the limit of ${limits.maxHeaderSize} bytes`);
      skip(hsize);
      continue;
    }
    if (!(type === '\0' || (type >= '0' && type <= '7'))) {
      const c = h[156]!;
      fail(e, `unsupported entry type '${c > 0x20 && c < 0x7f ? type : '?'}' (0x${c.toString(16).padStart(2, '0')})`);
    }
    if (out.length + 1 > limits.maxEntries) fail(e, `more than ${limits.maxEntries} entries`);
    const headerOnly = type >= '1' && type <= '6';
    const size = headerOnly ? 0 : (p.size ?? hsize);
    if (size > limits.maxEntrySize) fail(e, `${size} bytes over the entry limit of ${limits.maxEntrySize}`);
    let kind: EntryKind;
    if (type === '\0' || type === '0' || type === '7') {
      // pre-POSIX archives mark directories with a trailing slash
      kind = e.name.endsWith('/') ? 'dir' : 'file';
      if (kind === 'file' && size > limits.maxTotalSize - total) fail(e, `layer over the limit of ${limits.maxTotalSize} bytes`);
    } else {
      kind = KINDS[type]!;
    }
    // bytes, as the guest's PATH_MAX counts them (a UTF-16 length lets 4096 'é' through as 8192 bytes)
    const nameBytes = enc.encode(e.name).length;
    if (nameBytes > limits.maxPath) fail(e, `name of ${nameBytes} bytes over the limit of ${limits.maxPath}`);
    const linkBytes = enc.encode(link).length;
    if (linkBytes > limits.maxPath) fail(e, `link target of ${linkBytes} bytes over the limit of ${limits.maxPath}`);
    const path = normalise(e.name);
    if (path === undefined) fail(e, 'name has a `..` component');
    let target = link;
    if (kind === 'hardlink') {
      const t = normalise(link);
      if (t === undefined) fail(e, `hard link target \`${link}\` has a \`..\` component`);
      if (t === '') fail(e, 'hard link to the root');
      target = t;
    }
    if (kind === 'symlink' && link === '') fail(e, 'symlink with an empty target');
    if (path === '' && kind !== 'dir') fail(e, 'entry resolves to the root');
    if (whiteoutInDir(path)) fail(e, 'whiteout name used as a directory');
    const base = path.slice(path.lastIndexOf('/') + 1);
    if (base.startsWith('.wh.') && !base.startsWith('.wh..wh.')) {
      const victim = base.slice(4);
      if (victim === '' || victim === '.' || victim === '..') fail(e, `whiteout of \`${victim}\``);
    }
    skip(size);
    if (kind === 'file') total += size;
    if (path !== '') {
      out.push({ path, name: e.name, off: e.off, kind, mode, uid, gid, mtime, size, data: dataStart, link: target, major, minor });
    }
    p = { any: false };
  }
}
