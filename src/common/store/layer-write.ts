// Writes image layers and file archives (`docker cp`, `docker export`, a
// build's COPY) as tar: ustar headers with each entry's own mode, owner,
// mtime and type, a pax header where a name, link target or id does not
// fit. What readLayer (layer.ts) reads back, and what Docker writes: a
// directory's name ends in `/`, a hard link names the first path of its
// inode, devices carry major/minor.
import type { EntryKind } from './layer.js';
import { walkTree, type Node } from './rootfs.js';

export interface TarItem {
  /** no leading `/`; a directory's without its trailing `/` */
  path: string;
  kind: EntryKind;
  mode: number;
  uid: number;
  gid: number;
  /** seconds since the epoch */
  mtime: number;
  /** a file's bytes */
  data?: Uint8Array;
  /** symlink target, or a hard link's first path */
  link?: string;
  major?: number;
  minor?: number;
}

const enc = new TextEncoder();
const BLOCK = 512;
/** the largest mtime eleven octal digits hold */
const MAX_MTIME = 0o77777777777;
const TYPE: Record<EntryKind, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

function putOctal(h: Uint8Array, off: number, len: number, v: number): void {
  h.set(enc.encode(Math.max(0, Math.floor(v)).toString(8).padStart(len - 1, '0').slice(-(len - 1))), off);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bl = enc.encode(body).length;
  let len = bl + 1;
  while (String(len).length + bl !== len) len = String(len).length + bl;
  return `${len}${body}`;
}

function header(name: string, type: string, mode: number, uid: number, gid: number, mtime: number, size: number, link: string, major: number, minor: number): Uint8Array {
  const h = new Uint8Array(BLOCK);
  h.set(enc.encode(name).subarray(0, 100), 0);
  putOctal(h, 100, 8, mode & 0o7777);
  putOctal(h, 108, 8, uid > 0o7777777 ? 0 : uid);
  putOctal(h, 116, 8, gid > 0o7777777 ? 0 : gid);
  putOctal(h, 124, 12, size);
  putOctal(h, 136, 12, Math.min(Math.max(mtime, 0), MAX_MTIME));
  h[156] = type.charCodeAt(0);
  h.set(enc.encode(link).subarray(0, 100), 157);
  h.set(enc.encode('ustar\u000000'), 257);
  if (type === '3' || type === '4') {
    putOctal(h, 329, 8, major);
    putOctal(h, 337, 8, minor);
  }
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of h) sum += x;
  h.set(enc.encode(sum.toString(8).padStart(6, '0') + '\u0000 '), 148);
  return h;
}

/** Collects tar blocks; `finish()` adds the end marker and returns the archive. */
export class TarBuilder {
  private parts: Uint8Array[] = [];
  private length = 0;

  private push(b: Uint8Array): void {
    this.parts.push(b);
    this.length += b.length;
  }

  add(e: TarItem): void {
    const name = e.kind === 'dir' ? `${e.path}/` : e.path;
    const link = e.link ?? '';
    const data = e.kind === 'file' ? (e.data ?? new Uint8Array(0)) : new Uint8Array(0);
    let pax = '';
    if (enc.encode(name).length > 100) pax += paxRecord('path', name);
    if (enc.encode(link).length > 100) pax += paxRecord('linkpath', link);
    if (e.uid > 0o7777777 || e.gid > 0o7777777) pax += paxRecord('uid', String(e.uid)) + paxRecord('gid', String(e.gid));
    // before 1970 or after 2242: the octal field cannot hold it (it wrapped or became 0)
    if (e.mtime < 0 || e.mtime > MAX_MTIME) pax += paxRecord('mtime', String(Math.floor(e.mtime)));
    if (pax) {
      const p = enc.encode(pax);
      this.push(header('././@PaxHeader', 'x', 0o644, 0, 0, 0, p.length, '', 0, 0));
      this.pad(p);
    }
    this.push(header(name, TYPE[e.kind], e.mode, e.uid, e.gid, e.mtime, data.length, link, e.major ?? 0, e.minor ?? 0));
    if (data.length) this.pad(data);
  }

  private pad(data: Uint8Array): void {
    this.push(data);
    if (data.length % BLOCK) this.push(new Uint8Array(BLOCK - (data.length % BLOCK)));
  }

  finish(): Uint8Array {
    this.push(new Uint8Array(2 * BLOCK));
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const b of this.parts) {
      out.set(b, off);
      off += b.length;
    }
    // ready for another archive
    this.parts = [];
    this.length = 0;
    return out;
  }
}

export function writeLayer(items: Iterable<TarItem>): Uint8Array {
  const t = new TarBuilder();
  for (const i of items) t.add(i);
  return t.finish();
}

/** Reads a file node's bytes (from the layer tar that holds them). */
export type ReadNode = (n: Node) => Promise<Uint8Array>;

/**
 * The tree under `node` as tar items named from `name` (a path prefix, ''
 * for the node's children only: `docker export`), parents first, names in
 * order; a node met again under another name is a hard link to the first.
 */
export async function treeItems(node: Node, name: string, read: ReadNode): Promise<TarItem[]> {
  const out: TarItem[] = [];
  const seen = new Map<Node, string>();
  const nodes: Array<[string, Node]> = [];
  walkTree(node, (p, n) => {
    const path = name === '' ? p : p === '' ? name : `${name}/${p}`;
    if (path !== '') nodes.push([path, n]);
  });
  for (const [path, n] of nodes) {
    const base = { path, mode: n.mode, uid: n.uid, gid: n.gid, mtime: n.mtime };
    const first = seen.get(n);
    if (first !== undefined && n.kind !== 'dir') {
      out.push({ ...base, kind: 'hardlink', link: first });
      continue;
    }
    seen.set(n, path);
    if (n.kind === 'file') out.push({ ...base, kind: 'file', data: n.size > 0 ? await read(n) : new Uint8Array(0) });
    else if (n.kind === 'symlink') out.push({ ...base, kind: 'symlink', link: n.target });
    else if (n.kind === 'char' || n.kind === 'block') out.push({ ...base, kind: n.kind, major: n.major, minor: n.minor });
    else out.push({ ...base, kind: n.kind });
  }
  return out;
}
