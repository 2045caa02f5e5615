// Hostile image layers, built in memory, for test/vm/hostile.test.ts: each
// case is a layer tar (stacked on busybox's layer) and what the guest must
// do with it: refuse it at `docker load` naming the entry, or unpack it with
// every effect confined to the image's own rootfs (checked from inside a
// container of it). Modelled on containerd's TestBreakouts
// (pkg/archive/tar_test.go), moby's pkg/archive tests and CVE-2021-32760
// (chmod through a symlink), CVE-2025-47290 (a path swapped for a symlink
// mid-unpack), CVE-2021-29136 (umoci: the root itself a symlink) and
// CVE-2024-21626 (runc: a working directory through /proc/self/fd).
//
// The tar builder here writes what src/common/tar.ts's writer cannot:
// symlinks, hard links, devices, FIFOs, pax and GNU long-name headers, odd
// modes and owners, and deliberately broken headers.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeTar } from '../../src/common/tar.js';

const enc = new TextEncoder();

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'raw';

export interface Entry {
  name: string;
  type?: EntryType;
  /** the type byte, for `raw` */
  typeflag?: string;
  data?: string | Uint8Array;
  link?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  major?: number;
  minor?: number;
  /** header size field, when it must lie about the data that follows */
  size?: number | bigint;
  /** records of a pax header ('x') put before this entry */
  pax?: Record<string, string>;
  /** a GNU long name ('L') header before this entry */
  gnuLongName?: string;
  /** corrupt the checksum field */
  badChecksum?: boolean;
  /** sum the header's bytes as signed chars, as some old tars did */
  signedChecksum?: boolean;
  /** raw bytes written over the header at an offset (the checksum is summed after) */
  patch?: Patch | Patch[];
}

export interface Patch {
  at: number;
  bytes: string | Uint8Array;
}

function octal(h: Uint8Array, off: number, len: number, v: number | bigint): void {
  const s = v.toString(8);
  if (s.length <= len - 1) {
    h.set(enc.encode(s.padStart(len - 1, '0')), off);
    return;
  }
  // GNU base-256 for what octal cannot hold (the size of a bomb)
  h.set(base256(BigInt(v), len), off);
}

/** A `len`-byte numeric field in GNU base-256; a `first` byte of 0xff or 0xc0 makes it negative. */
export function base256(v: bigint, len: number, first = 0x80): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = len - 1; i > 0; i--, v >>= 8n) b[i] = Number(v & 0xffn);
  b[0] = first;
  return b;
}

/** Sums a header block into its checksum field (bytes as unsigned chars, or signed). */
export function checksum(h: Uint8Array, signed = false): void {
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += signed && b > 127 ? b - 256 : b;
  h.set(enc.encode(sum.toString(8).padStart(6, '0') + '\0 '), 148);
}

function bytesOf(d: string | Uint8Array | undefined): Uint8Array {
  return d === undefined ? new Uint8Array(0) : typeof d === 'string' ? enc.encode(d) : d;
}

const TYPEFLAG: Record<EntryType, string> = { file: '0', dir: '5', symlink: '2', hardlink: '1', char: '3', block: '4', fifo: '6', raw: '0' };

function header(name: string, typeflag: string, o: { mode: number; uid: number; gid: number; size: number | bigint; link?: string; major?: number; minor?: number }): Uint8Array {
  const h = new Uint8Array(512);
  const n = enc.encode(name);
  // ustar's 100-byte name field; longer names go in pax/GNU headers (the
  // field then holds a truncated copy, as GNU tar does)
  h.set(n.subarray(0, 100), 0);
  octal(h, 100, 8, o.mode);
  octal(h, 108, 8, o.uid);
  octal(h, 116, 8, o.gid);
  octal(h, 124, 12, o.size);
  octal(h, 136, 12, 1600000000);
  h[156] = typeflag.charCodeAt(0);
  if (o.link !== undefined) h.set(enc.encode(o.link).subarray(0, 100), 157);
  h.set(enc.encode('ustar\u000000'), 257);
  h.set(enc.encode('root'), 265);
  h.set(enc.encode('root'), 297);
  octal(h, 329, 8, o.major ?? 0);
  octal(h, 337, 8, o.minor ?? 0);
  checksum(h);
  return h;
}

function padded(data: Uint8Array): Uint8Array[] {
  const out = [data];
  if (data.length % 512) out.push(new Uint8Array(512 - (data.length % 512)));
  return out;
}

/** pax records (`LEN key=value` and a newline) of ASCII keys and values. */
export function paxRecords(rec: Record<string, string>): Uint8Array {
  let s = '';
  for (const [k, v] of Object.entries(rec)) {
    const body = ` ${k}=${v}\n`;
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    s += `${len}${body}`;
  }
  return enc.encode(s);
}

export interface TarOptions {
  /** end-of-archive marker (two zero blocks); default true */
  end?: boolean;
  /** cut the archive to this many bytes */
  truncate?: number;
  /** bytes appended after everything */
  trailer?: Uint8Array;
}

/** A tar archive of entries, in order, as given (no sorting, no checks). */
export function buildTar(entries: Entry[], opts: TarOptions = {}): Uint8Array {
  const blocks: Uint8Array[] = [];
  for (const e of entries) {
    const type = e.type ?? 'file';
    const data = bytesOf(e.data);
    if (e.pax) {
      const recs = paxRecords(e.pax);
      blocks.push(header('PaxHeaders/x', 'x', { mode: 0o644, uid: 0, gid: 0, size: recs.length }), ...padded(recs));
    }
    if (e.gnuLongName !== undefined) {
      const ln = enc.encode(`${e.gnuLongName}\0`);
      blocks.push(header('././@LongLink', 'L', { mode: 0o644, uid: 0, gid: 0, size: ln.length }), ...padded(ln));
    }
    const mode = e.mode ?? (type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644);
    const name = type === 'dir' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
    const h = header(name, type === 'raw' ? (e.typeflag ?? '0') : TYPEFLAG[type], {
      mode,
      uid: e.uid ?? 0,
      gid: e.gid ?? 0,
      size: e.size ?? (type === 'file' || type === 'raw' ? data.length : 0),
      link: e.link,
      major: e.major,
      minor: e.minor,
    });
    for (const p of [e.patch ?? []].flat()) h.set(bytesOf(p.bytes), p.at);
    if (e.patch || e.signedChecksum) checksum(h, e.signedChecksum);
    if (e.badChecksum) h[150] = h[150] === 0x31 ? 0x32 : 0x31;
    blocks.push(h, ...padded(data));
  }
  if (opts.end ?? true) blocks.push(new Uint8Array(1024));
  if (opts.trailer) blocks.push(opts.trailer);
  let out = concat(blocks);
  if (opts.truncate !== undefined) out = out.subarray(0, opts.truncate);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** What a case must lead to. */
export type Expect =
  /** `docker load` fails; the message matches (it names the entry) */
  | { refused: RegExp }
  /**
   * it loads; `run --rm IMAGE sh -c script` prints `out` (confined: the
   * effect is in the image's rootfs, never the VM's), or with `runError`
   * the run fails with that message
   */
  | { script: string; out: string | RegExp; runArgs?: string; runError?: RegExp };

export interface HostileCase {
  name: string;
  /** what it tries */
  why: string;
  layer: Uint8Array;
  expect: Expect;
  /** image config's WorkingDir */
  workingDir?: string;
}

const MiB = 1 << 20;

/** The corpus. Escape targets are the VM's /etc, the sentinel files the test
 * plants in the VM's /tmp and in the volume `sentinel`, and the state dir
 * above the snapshot being unpacked (/var/lib/containerd-lite/snapshots/
 * .apply-<key>/fs). */
export function hostileCases(): HostileCase[] {
  const c: HostileCase[] = [];
  const refuse = (name: string, why: string, entries: Entry[], refused: RegExp, opts?: TarOptions) =>
    c.push({ name, why, layer: buildTar(entries, opts), expect: { refused } });
  const confine = (name: string, why: string, entries: Entry[], script: string, out: string | RegExp, more: Partial<HostileCase> & { runArgs?: string; runError?: RegExp } = {}) => {
    const { runArgs, runError, ...rest } = more;
    c.push({ name, why, layer: buildTar(entries), expect: { script, out, runArgs, runError }, ...rest });
  };

  // --- names that climb out: refused whole --------------------------------
  refuse('dotdot-name', 'a plain ../ path to the VM sentinel', [{ name: '../../../../../../tmp/sentinel/file', data: 'pwned' }], /`\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/tmp\/sentinel\/file`.*`\.\.` component/);
  refuse('dotdot-inner', 'a climb hidden after a real component', [{ name: 'ok', data: 'ok' }, { name: 'a/../../escaped', data: 'pwned' }], /`a\/\.\.\/\.\.\/escaped`/);
  refuse('dotdot-state', 'from the unpack dir up into the daemon state (volumes)', [{ name: '../../../volumes/sentinel/file', data: 'pwned' }], /`\.\.\/\.\.\/\.\.\/volumes\/sentinel\/file`/);
  refuse('pax-path-dotdot', 'a harmless ustar name overridden by a pax path that climbs', [{ name: 'harmless', data: 'pwned', pax: { path: '../../../../tmp/sentinel/pax' } }], /`\.\.\/\.\.\/\.\.\/\.\.\/tmp\/sentinel\/pax`/);
  refuse('gnu-longname-dotdot', 'a GNU long name that climbs', [{ name: 'harmless', data: 'pwned', gnuLongName: `${'../'.repeat(40)}tmp/sentinel/gnu` }], /`\.\.\/\.\.\/.*tmp\/sentinel\/gnu`/);
  refuse('root-as-symlink', 'CVE-2021-29136: the layer root itself a symlink, then files "in" it', [{ name: './', type: 'symlink', link: '/tmp/sentinel' }, { name: 'file', data: 'pwned' }], /`\.\/`.*resolves to the root/);
  refuse('name-too-long', 'a 5000-byte pax path', [{ name: 'x', data: 'x', pax: { path: `${'d/'.repeat(2500)}f` } }], /`d\/d\/d\/.*name of 5001 bytes/);

  // --- hard links out -------------------------------------------------------
  refuse('hardlink-dotdot', 'a hard link to ../../../../etc/passwd', [{ name: 'h', type: 'hardlink', link: '../../../../../../etc/passwd' }], /`h`.*`\.\.` component/);
  // a link target resolves inside the image, symlinks followed from its root (as containerd's hardlinkRootPath)
  confine('hardlink-absolute-via-symlink', 'a hard link through a symlink to /etc: the image\'s own passwd', [{ name: 'lnk', type: 'symlink', link: '/etc' }, { name: 'h', type: 'hardlink', link: 'lnk/passwd' }], 'head -c 5 /h; stat -c %h /etc/passwd', 'root:2\n');
  confine('hardlink-relative-via-symlink', 'a hard link through a ../.. symlink: stops at the image root', [{ name: 'up', type: 'symlink', link: '../../../../..' }, { name: 'h', type: 'hardlink', link: 'up/etc/passwd' }], 'head -c 5 /h; stat -c %h /etc/passwd', 'root:2\n');
  refuse('hardlink-dangling', 'a hard link to nothing', [{ name: 'h', type: 'hardlink', link: 'no/such/file' }], /`h`.*hard link target `no\/such\/file`/);
  refuse('hardlink-to-dir', 'a hard link to a directory', [{ name: 'd', type: 'dir' }, { name: 'h', type: 'hardlink', link: 'd' }], /`h`.*hard link to directory/);
  refuse('hardlink-to-root', 'a hard link to the root', [{ name: 'h', type: 'hardlink', link: '/' }], /`h`.*hard link to the root/);

  // --- whiteout abuse ---------------------------------------------------------
  refuse('whiteout-empty', 'a bare `.wh.`', [{ name: 'etc/.wh.', data: '' }], /`etc\/\.wh\.`/);
  refuse('whiteout-dot', '`.wh..`: a whiteout of the directory itself', [{ name: 'etc/.wh..', data: '' }], /`etc\/\.wh\.\.`/);
  refuse('whiteout-dotdot', '`.wh...`: a whiteout of the parent', [{ name: 'etc/.wh...', data: '' }], /`etc\/\.wh\.\.\.`/);
  refuse('whiteout-as-dir', 'a whiteout name used as a directory', [{ name: 'a/.wh.b/c', data: 'x' }], /`a\/\.wh\.b\/c`.*whiteout name used as a directory/);
  confine('whiteout-under-link', 'a whiteout under a symlink to /etc: removes the image\'s own /etc/passwd', [{ name: 'lnk', type: 'symlink', link: '/etc' }, { name: 'lnk/.wh.passwd', data: '' }], 'test -e /etc/passwd && echo present || echo gone; ls /etc | grep -c wh; true', 'gone\n0\n');

  // --- broken archives ----------------------------------------------------------
  refuse('bad-checksum', 'a header whose checksum does not match', [{ name: 'fine', data: 'ok' }, { name: 'badsum', data: 'x', badChecksum: true }], /`badsum` at offset 1024: bad header checksum/);
  refuse('truncated-data', 'a file cut short (EOF inside its data)', [{ name: 'cut', data: 'x'.repeat(3000) }], /`cut`.*truncated archive/, { end: false, truncate: 512 + 1000 });
  refuse('truncated-header', 'EOF in the middle of a header', [{ name: 'whole', data: 'ok' }], /truncated archive: EOF inside the header at offset 1024/, { end: false, trailer: enc.encode('partial header') });
  refuse('bad-octal', 'a mode field that is not a number', [{ name: 'nonoctal', data: 'x', patch: { at: 100, bytes: '0z44\0' } }], /`nonoctal`.*mode field is not a number/);
  refuse('sparse-type', 'an entry type the applier does not handle (GNU sparse)', [{ name: 'sparse', type: 'raw', typeflag: 'S', data: '' }], /`sparse`.*unsupported entry type 'S'/);
  refuse('lone-zero-block', 'a single zero block followed by junk', [{ name: 'ok', data: 'ok' }], /lone zero block/, { end: false, trailer: concat([new Uint8Array(512), enc.encode('junk'.repeat(128))]) });
  refuse('pax-without-entry', 'a pax header and then the end of the archive', [], /pax\/GNU header, without its entry/, {
    end: false,
    trailer: concat([buildTar([{ name: 'x', data: 'x', pax: { path: 'y' } }], { end: false }).subarray(0, 1024), new Uint8Array(1024)]),
  });
  refuse('symlink-empty-target', 'a symlink to nothing', [{ name: 's', type: 'symlink', link: '' }], /`s`.*empty target/);

  // --- decompression bombs --------------------------------------------------------
  refuse('bomb-header-size', 'a header claiming 1 TiB (base-256 size field) with no data', [{ name: 'bomb', size: 1n << 40n, data: '' }], /`bomb`.*1099511627776 bytes over the entry limit/, { end: false });
  {
    // 48 MiB of zeros, ~50 KiB gzipped: once more than the guest's store
    // could hold; now kept by the host and read only when read
    const zeros = new Uint8Array(16 * MiB);
    c.push({
      name: 'bomb-zeros',
      why: '48 MiB of zeros in three files: kept by the host, costing the guest nothing until read',
      layer: buildTar([1, 2, 3].map((i) => ({ name: `bomb/${i}`, data: zeros }))),
      expect: { script: 'wc -c < /bomb/3', out: '16777216\n' },
    });
  }

  // --- symlink escapes that must stay inside (containerd TestBreakouts) ----------
  confine('absolute-name', 'an absolute name is taken from the image root', [{ name: '/etc/escaped-abs', data: 'inside' }], 'cat /etc/escaped-abs', 'inside');
  confine('symlink-root-then-write', 'evil -> / then evil/etc/passwd', [{ name: 'evil', type: 'symlink', link: '/' }, { name: 'evil/etc/passwd', data: 'root:x:0:0:pwned:/root:/bin/sh\n' }], 'cat /etc/passwd', 'root:x:0:0:pwned:/root:/bin/sh\n');
  confine('symlink-relative-up', 'up -> ../../../../.. then up/tmp/sentinel/file', [{ name: 'up', type: 'symlink', link: '../../../../..' }, { name: 'up/tmp/sentinel/file', data: 'inside' }], 'cat /tmp/sentinel/file', 'inside');
  confine('symlink-chain', 'c1 -> c2 -> /c3/../.. , c3 -> / then c1/escaped', [
    { name: 'c1', type: 'symlink', link: 'c2' },
    { name: 'c2', type: 'symlink', link: '/c3/../..' },
    { name: 'c3', type: 'symlink', link: '/' },
    { name: 'c1/escaped-chain', data: 'inside' },
  ], 'cat /escaped-chain', 'inside');
  confine('symlink-state-dir', 'st -> ../../../ (the state dir, naively) then st/volumes/sentinel/file', [{ name: 'st', type: 'symlink', link: '../../../' }, { name: 'st/volumes/sentinel/file', data: 'inside' }], 'cat /volumes/sentinel/file', 'inside');
  refuse('dir-swapped-for-symlink', 'CVE-2025-47290: d/ with a child, then d -> /etc, then d/ reused', [
    { name: 'd', type: 'dir' },
    { name: 'd/a', data: 'a' },
    { name: 'd', type: 'symlink', link: '/etc' },
    { name: 'd/escaped-swap', data: 'pwned' },
  ], /`d`.*replace the existing directory/);
  confine('empty-dir-swapped-for-symlink', 'CVE-2025-47290: empty d/, then d -> /etc, then d/ reused', [
    { name: 'etc', type: 'dir' },
    { name: 'd', type: 'dir' },
    { name: 'd', type: 'symlink', link: '/etc' },
    { name: 'd/escaped-swap', data: 'inside' },
  ], 'cat /etc/escaped-swap; readlink /d', 'inside/etc\n');
  confine('chmod-through-symlink', 'CVE-2021-32760: x -> /etc, then x/ as a 0777 dir owned by 4242', [{ name: 'x', type: 'symlink', link: '/etc' }, { name: 'x', type: 'dir', mode: 0o777, uid: 4242, gid: 4242 }], 'stat -c "%a %u" /x /etc', '777 4242\n755 0\n');
  confine('chown-file-through-symlink', 'f -> /etc/passwd, then f as a setuid file owned by 4242', [{ name: 'f', type: 'symlink', link: '/etc/passwd' }, { name: 'f', data: 'replaced', mode: 0o4777, uid: 4242, gid: 4242 }], 'stat -c "%a %u" /f /etc/passwd; head -c 5 /etc/passwd', '4777 4242\n644 0\nroot:');
  confine('symlink-then-hardlink-to-link', 'a hard link to a symlink pointing out links the symlink itself', [{ name: 's', type: 'symlink', link: '/etc/passwd' }, { name: 'h', type: 'hardlink', link: 's' }], 'readlink /h; stat -c %h /s', '/etc/passwd\n2\n');
  confine('whiteout-under-symlinked-parent', 'lnk -> /etc, lnk/.wh.passwd: whites out the image\'s own /etc/passwd', [
    { name: 'etc', type: 'dir' },
    { name: 'lnk', type: 'symlink', link: '/etc' },
    { name: 'lnk/.wh.passwd', data: '' },
  ], 'test -e /etc/passwd && echo present || echo gone', 'gone\n');
  confine('opaque-ordering', 'etc/.wh..wh..opq before and after entries of the same dir', [
    { name: 'etc/.wh..wh..opq', data: '' },
    { name: 'etc/motd', data: 'hostile' },
    { name: 'etc/.wh..wh..opq', data: '' },
    // hostname, hosts and resolv.conf: Docker's own, bound over /etc by the runtime
  ], 'ls -A /etc; cat /etc/motd', 'hostname\nhosts\nmotd\nresolv.conf\nhostile');
  refuse('aufs-plnk-dir', 'an entry inside .wh..wh.plnk/ (a whiteout name as a directory)', [{ name: '.wh..wh.plnk/x', data: 'x' }], /`\.wh\.\.wh\.plnk\/x`.*whiteout name used as a directory/);
  confine('aufs-metadata', '.wh..wh.aufs and .wh..wh.orph are skipped as Docker does', [
    { name: '.wh..wh.aufs', data: '' },
    { name: 'etc/.wh..wh.orph', data: '' },
    { name: 'kept', data: 'kept' },
  ], 'cat /kept; ls -a / /etc | grep -c wh; true', 'kept0\n');
  confine('duplicates', 'the same name as file, file, dir, file, symlink', [
    { name: 'dup', data: 'one' },
    { name: 'dup', data: 'two' },
    { name: 'dupd', type: 'dir' },
    { name: 'dupd', data: 'now a file' },
    { name: 'dupl', data: 'file' },
    { name: 'dupl', type: 'symlink', link: '/etc/passwd' },
  ], 'cat /dup /dupd; readlink /dupl', 'twonow a file/etc/passwd\n');
  confine('device-nodes', 'char devices for /dev/mem (1,1) and the host channel hvc1 (229,1): inert (nodev)', [
    { name: 'devmem', type: 'char', major: 1, minor: 1, mode: 0o666 },
    { name: 'hvc1', type: 'char', major: 229, minor: 1, mode: 0o666 },
    { name: 'blk', type: 'block', major: 8, minor: 0, mode: 0o666 },
    { name: 'fifo', type: 'fifo', mode: 0o666 },
  ], 'ls -l /hvc1 | cut -c1; head -c1 /devmem 2>&1 | grep -c "Permission denied"; (echo x > /hvc1) 2>&1 | grep -c "Permission denied"; test -p /fifo && echo fifo', 'c\n1\n1\nfifo\n');
  confine('odd-modes', 'setuid/setgid/sticky, a 0000 dir with a child, a mode with file-type bits', [
    { name: 'suid', data: '#!/bin/sh\n', mode: 0o6755 },
    { name: 'sticky', type: 'dir', mode: 0o1777 },
    { name: 'locked', type: 'dir', mode: 0o000 },
    { name: 'locked/inner', data: 'in', mode: 0o000 },
    { name: 'typebits', data: 'x', mode: 0o100644 },
  ], 'stat -c %a /suid /sticky /locked /locked/inner /typebits; cat /locked/inner', '6755\n1777\n0\n0\n644\nin');

  // --- the rootfs's own mount points, and mounts aimed through symlinks -------------
  confine('proc-symlink', 'runc CVE-2019-16884/19921 style: /proc -> / in the image; run refused', [{ name: 'proc', type: 'symlink', link: '/' }], 'true', '', {
    runError: /mount target `\/proc` is a symlink in the image/,
  });
  confine('dev-symlink', '/dev -> /etc in the image: run refused rather than a tmpfs over /etc', [{ name: 'dev', type: 'symlink', link: '/etc' }], 'true', '', {
    runError: /mount target `\/dev` is a symlink in the image/,
  });
  confine('volume-through-symlink', '/data -> /etc in the image, run with -v hvol:/data: the volume covers the image\'s /etc', [{ name: 'data', type: 'symlink', link: '/etc' }], 'grep -c " /etc " /proc/mounts; test -e /etc/passwd && echo present || echo hidden; echo in-vol > /etc/from-container', '1\nhidden\n', {
    runArgs: '-v hvol:/data',
  });
  confine('volume-into-proc', '/data -> /proc/sys: a volume there could shadow the masks; refused', [{ name: 'data', type: 'symlink', link: '/proc/sys' }], 'true', '', {
    runArgs: '-v hvol:/data',
    runError: /mount target `\/data` is inside \/proc/,
  });
  confine('workdir-proc-fd', 'CVE-2024-21626: WorkingDir /proc/self/fd/3 (a daemon fd, if one leaked)', [{ name: 'marker', data: 'm' }], 'pwd', '', {
    workingDir: '/proc/self/fd/3',
    runError: /proc\/self\/fd\/3/,
  });
  return c;
}

// --- OCI layout around a layer -----------------------------------------------------

const BUSYBOX = join('images', 'dist', 'registry', 'docker.io', 'library', 'busybox');

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
}

function sha256(b: Uint8Array): string {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

/** busybox's layer (gzip blob) and its diff_id, from the bundled registry. */
export function busyboxBase(root: string): { layer: Desc; blob: Uint8Array; diffId: string; env: string[] } {
  const dir = join(root, BUSYBOX);
  const blob = (d: string) => new Uint8Array(readFileSync(join(dir, 'blobs', 'sha256', d.slice(7))));
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Desc[] };
  const manifest = JSON.parse(new TextDecoder().decode(blob(index.manifests[0]!.digest))) as { config: Desc; layers: Desc[] };
  const config = JSON.parse(new TextDecoder().decode(blob(manifest.config.digest))) as { config: { Env: string[] }; rootfs: { diff_ids: string[] } };
  const layer = manifest.layers[0]!;
  return { layer, blob: blob(layer.digest), diffId: config.rootfs.diff_ids[0]!, env: config.config.Env };
}

/**
 * An OCI-layout archive (what `docker save` writes) of one image named
 * `name`: busybox's layer, then `layer` (gzipped here).
 */
export function ociArchive(root: string, name: string, layer: Uint8Array, workingDir?: string): Uint8Array {
  const base = busyboxBase(root);
  const gz = new Uint8Array(gzipSync(layer, { level: 1 }));
  const top: Desc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(gz), size: gz.length };
  const config = enc.encode(
    JSON.stringify({
      created: '2026-01-01T00:00:00Z',
      architecture: '386',
      os: 'linux',
      config: { Env: base.env, Cmd: ['sh'], ...(workingDir ? { WorkingDir: workingDir } : {}) },
      rootfs: { type: 'layers', diff_ids: [base.diffId, sha256(layer)] },
    }),
  );
  const configDesc: Desc = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length };
  const manifest = enc.encode(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: configDesc, layers: [base.layer, top] }));
  const manifestDesc: Desc = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(manifest), size: manifest.length };
  const index = enc.encode(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ ...manifestDesc, annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': name.split(':').pop()! } }],
    }),
  );
  const blobs = new Map<string, Uint8Array>([
    [base.layer.digest, base.blob],
    [top.digest, gz],
    [configDesc.digest, config],
    [manifestDesc.digest, manifest],
  ]);
  return writeTar([
    { name: 'blobs' },
    { name: 'blobs/sha256' },
    ...[...blobs].sort(([a], [b]) => a.localeCompare(b)).map(([d, data]) => ({ name: `blobs/sha256/${d.slice(7)}`, data })),
    { name: 'index.json', data: index },
    { name: 'oci-layout', data: enc.encode('{"imageLayoutVersion":"1.0.0"}') },
  ]);
}
