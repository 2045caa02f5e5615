// readLayer (src/common/store/layer.ts) byte by byte: the tar it accepts and
// the hostile tar it refuses, each refusal with its exact message. Headers are
// hand-made with test/vm/hostile-layers.ts's builder: numeric fields with
// spaces, NULs and base-256, signed checksums, ustar prefixes, V7 and GNU
// headers, raw pax records, GNU long names, and every limit at its boundary.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, LayerError, normalise, readLayer, type LayerEntry, type LayerLimits } from '../../src/common/store/layer.js';
import { base256, buildTar, checksum, paxRecords, type Entry, type TarOptions } from '../vm/hostile-layers.js';

const enc = new TextEncoder();
const cat = (...parts: (string | Uint8Array)[]) => {
  const bs = parts.map((p) => (typeof p === 'string' ? enc.encode(p) : p));
  const out = new Uint8Array(bs.reduce((n, b) => n + b.length, 0));
  bs.reduce((at, b) => (out.set(b, at), at + b.length), 0);
  return out;
};

function read(entries: Entry[], limits?: Partial<LayerLimits>, opts?: TarOptions): LayerEntry[] {
  const tar = buildTar(entries, opts);
  return limits ? readLayer(tar, { ...DEFAULT_LIMITS, ...limits }) : readLayer(tar);
}

/** The message readLayer refuses `tar` with (it must refuse, with a LayerError). */
function refusal(tar: Uint8Array, limits?: Partial<LayerLimits>): string {
  try {
    if (limits) readLayer(tar, { ...DEFAULT_LIMITS, ...limits });
    else readLayer(tar);
  } catch (e) {
    expect(e).toBeInstanceOf(LayerError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

const refused = (entries: Entry[], limits?: Partial<LayerLimits>, opts?: TarOptions) => refusal(buildTar(entries, opts), limits);
const pick = (es: LayerEntry[], ...keys: (keyof LayerEntry)[]) => es.map((e) => Object.fromEntries(keys.map((k) => [k, e[k]])));
/** A raw pax header ('x') of these bytes. */
const paxHeader = (data: string | Uint8Array): Entry => ({ name: 'PaxHeaders/x', type: 'raw', typeflag: 'x', data });
describe('numeric header fields', () => {
  it('octal with spaces and NULs before and after; a blank field is 0; a field may fill all its bytes', () => {
    // mode, uid, gid, size (116-123 blank, then a size field that starts with spaces)
    const [e, next] = read([{ name: 'f', data: 'hello', patch: { at: 100, bytes: '  755 \0 ' + '\0\0 1234\0' + '        ' + '          5 ' } }, { name: 'g', data: 'x' }]);
    expect(pick([e!], 'mode', 'uid', 'gid', 'size', 'mtime')).toEqual([{ mode: 0o755, uid: 0o1234, gid: 0, size: 5, mtime: 1600000000 }]);
    expect(next!.path).toBe('g');
    // 12 digits, no terminator at all
    expect(read([{ name: 'f', data: 'hello', patch: { at: 124, bytes: '000000000005' } }])[0]!.size).toBe(5);
    expect(read([{ name: 'f', data: '', patch: { at: 108, bytes: '\0\0\0\0\0\0\0\0' } }])[0]!.uid).toBe(0);
  });

  it('refuses a number with a space, a non-octal digit or junk inside, naming the field', () => {
    expect(refused([{ name: 'f', patch: { at: 100, bytes: '07 55\0\0\0' } }])).toBe('tar entry `f` at offset 0: mode field is not a number');
    expect(refused([{ name: 'f', patch: { at: 100, bytes: '0000648\0' } }])).toBe('tar entry `f` at offset 0: mode field is not a number');
    expect(refused([{ name: 'f', patch: { at: 108, bytes: '000007x\0' } }])).toBe('tar entry `f` at offset 0: uid field is not a number');
    expect(refused([{ name: 'f', patch: { at: 116, bytes: ' x      ' } }])).toBe('tar entry `f` at offset 0: gid field is not a number');
    expect(refused([{ name: 'f', patch: { at: 124, bytes: '-1         ' } }])).toBe('tar entry `f` at offset 0: size field is not a number');
    expect(refused([{ name: 'f', patch: { at: 136, bytes: '1e10       ' } }])).toBe('tar entry `f` at offset 0: mtime field is not a number');
  });

  it('reads GNU base-256 numbers; refuses negative ones and ones past 2^53', () => {
    const [e, next] = read([{ name: 'f', data: 'hello', patch: [{ at: 124, bytes: base256(5n, 12) }, { at: 108, bytes: base256(0xfffffffen, 8) }] }, { name: 'g' }]);
    expect(pick([e!, next!], 'path', 'size', 'uid')).toEqual([{ path: 'f', size: 5, uid: 0xfffffffe }, { path: 'g', size: 0, uid: 0 }]);
    expect(refused([{ name: 'f', patch: { at: 108, bytes: base256(0xffffffffn, 8) } }])).toBe('tar entry `f` at offset 0: uid 4294967295 out of range');
    expect(refused([{ name: 'f', patch: { at: 116, bytes: base256(0xffffffffn, 8) } }])).toBe('tar entry `f` at offset 0: gid 4294967295 out of range');
    expect(refused([{ name: 'f', patch: { at: 108, bytes: base256(1n, 8, 0xff) } }])).toBe('tar entry `f` at offset 0: uid field is not a number');
    expect(refused([{ name: 'f', patch: { at: 136, bytes: base256(0n, 12, 0xc0) } }])).toBe('tar entry `f` at offset 0: mtime field is not a number');
    expect(refused([{ name: 'f', patch: { at: 124, bytes: base256(1n << 53n, 12) } }])).toBe('tar entry `f` at offset 0: size field is not a number');
    expect(refused([{ name: 'f', patch: { at: 124, bytes: base256((1n << 53n) - 1n, 12) } }])).toBe('tar entry `f` at offset 0: 9007199254740991 bytes over the entry limit of 4294967296');
  });

  it('takes permission bits (setuid, setgid, sticky) from the mode and drops file-type bits', () => {
    expect(read([{ name: 'f', mode: 0o106755 }, { name: 'd', type: 'dir', mode: 0o41777 }]).map((e) => e.mode)).toEqual([0o6755, 0o1777]);
  });

  it('reads device numbers of char and block devices at their limits, and refuses bigger ones', () => {
    const es = read([
      { name: 'c', type: 'char', major: 0xfff, minor: 0xfffff },
      { name: 'b', type: 'block', major: 8, minor: 1 },
      // other types never read the fields: junk there is ignored
      { name: 'f', data: 'x', patch: { at: 329, bytes: 'junk\0junk\0' } },
      { name: 'p', type: 'fifo', patch: { at: 329, bytes: 'junk\0junk\0' } },
    ]);
    expect(pick(es, 'path', 'kind', 'major', 'minor')).toEqual([
      { path: 'c', kind: 'char', major: 0xfff, minor: 0xfffff },
      { path: 'b', kind: 'block', major: 8, minor: 1 },
      { path: 'f', kind: 'file', major: 0, minor: 0 },
      { path: 'p', kind: 'fifo', major: 0, minor: 0 },
    ]);
    expect(refused([{ name: 'c', type: 'char', major: 0x1000 }])).toBe('tar entry `c` at offset 0: devmajor 4096 out of range');
    expect(refused([{ name: 'b', type: 'block', minor: 0x100000 }])).toBe('tar entry `b` at offset 0: devminor 1048576 out of range');
    expect(refused([{ name: 'b', type: 'block', patch: { at: 329, bytes: 'junk\0' } }])).toBe('tar entry `b` at offset 0: devmajor field is not a number');
  });
});

describe('the header checksum', () => {
  it('accepts the sum of the bytes as unsigned or as signed chars', () => {
    // a UTF-8 name puts bytes over 127 in the header; 0x7f is still positive when signed
    const name = 'caf\u00e9\u007f';
    expect(read([{ name, data: 'x' }])[0]!.name).toBe(name);
    expect(read([{ name, data: 'x', signedChecksum: true }, { name: 'next', signedChecksum: true }]).map((e) => e.name)).toEqual([name, 'next']);
  });

  it('refuses any other sum, a blank one and one that is not a number', () => {
    const tar = buildTar([{ name: 'ok' }, { name: 'f', data: 'x' }]);
    const at = (bytes: string) => {
      const t = tar.slice();
      t.set(enc.encode(bytes), 512 + 148);
      return refusal(t);
    };
    expect(at('        ')).toBe('tar entry `f` at offset 512: bad header checksum');
    expect(at('zzzzzz\0 ')).toBe('tar entry `f` at offset 512: bad header checksum');
    // the field itself counts as eight spaces: its digits are not in the sum
    const t = tar.slice();
    t[512 + 106] = 0x37; // mode 0000647
    expect(refusal(t)).toBe('tar entry `f` at offset 512: bad header checksum');
    checksum(t.subarray(512, 1024));
    expect(readLayer(t)[1]!.mode).toBe(0o647);
    // a signed sum off by one (the last octal digit's low bit flipped)
    const s = buildTar([{ name: '\u00e9', signedChecksum: true }]);
    s[148 + 5] = s[148 + 5]! ^ 1;
    expect(refusal(s)).toBe('tar entry `\u00e9` at offset 0: bad header checksum');
  });
});

describe('names', () => {
  it('joins a ustar prefix; ignores byte 345 on in GNU and V7 headers', () => {
    expect(read([{ name: 'name', patch: { at: 345, bytes: 'pre/fix' } }])[0]!.name).toBe('pre/fix/name');
    const gnu = read([{ name: 'name', patch: { at: 257, bytes: `ustar  \0${'\0'.repeat(80)}atime\0` } }]);
    expect(pick(gnu, 'name', 'path')).toEqual([{ name: 'name', path: 'name' }]);
    const v7 = read([{ name: 'name', patch: { at: 257, bytes: `${'\0'.repeat(88)}junk\0` } }]);
    expect(pick(v7, 'name', 'path')).toEqual([{ name: 'name', path: 'name' }]);
  });

  it('reads a 100-byte name that fills its field; keeps the name as given and normalises the path', () => {
    const long = 'n'.repeat(100);
    const es = read([{ name: long }, { name: '/abs' }, { name: './a//b/./c/' , type: 'dir' }, { name: '.', type: 'dir' }, { name: 'l', type: 'symlink', link: 'x'.repeat(100) }]);
    expect(pick(es, 'name', 'path', 'off')).toEqual([
      { name: long, path: long, off: 0 },
      { name: '/abs', path: 'abs', off: 512 },
      { name: './a//b/./c/', path: 'a/b/c', off: 1024 },
      { name: 'l', path: 'l', off: 2048 },
    ]);
    expect(es[3]!.link).toBe('x'.repeat(100));
    expect([normalise('/a/./b//c/'), normalise('./'), normalise('a/../b'), normalise('..'), normalise('a/..b')]).toEqual(['a/b/c', '', undefined, undefined, 'a/..b']);
  });

  it('decodes a name that is not UTF-8 without failing', () => {
    expect(read([{ name: 'x', patch: { at: 0, bytes: new Uint8Array([0x61, 0xff, 0x62, 0]) } }])[0]!.name).toBe('a\ufffdb');
  });

  it('shows at most 200 characters of a name in a message', () => {
    const name = (n: number) => `../${'a'.repeat(n - 4)}z`;
    expect(refused([{ name: 'x', pax: { path: name(200) } }])).toBe(`tar entry \`${name(200)}\` at offset 1024: name has a \`..\` component`);
    expect(refused([{ name: 'x', pax: { path: name(201) } }])).toBe(`tar entry \`../${'a'.repeat(97)}...${'a'.repeat(96)}z\` at offset 1024: name has a \`..\` component`);
  });

  it('refuses `..` in a name or a hard link target, a hard link to the root, a root that is not a directory', () => {
    expect(refused([{ name: 'a/../../b' }])).toBe('tar entry `a/../../b` at offset 0: name has a `..` component');
    expect(refused([{ name: 'h', type: 'hardlink', link: 'a/../x' }])).toBe('tar entry `h` at offset 0: hard link target `a/../x` has a `..` component');
    expect(refused([{ name: 'h', type: 'hardlink', link: './/.' }])).toBe('tar entry `h` at offset 0: hard link to the root');
    expect(refused([{ name: './', type: 'symlink', link: 'x' }])).toBe('tar entry `./` at offset 0: entry resolves to the root');
    expect(refused([{ name: '.', data: 'x' }])).toBe('tar entry `.` at offset 0: entry resolves to the root');
    expect(read([{ name: '/', data: 'x' }])).toEqual([]); // a pre-POSIX directory: the root
    expect(refused([{ name: 's', type: 'symlink', link: '' }])).toBe('tar entry `s` at offset 0: symlink with an empty target');
  });

  it('normalises a hard link target, keeps a symlink target as it is, leaves the root directory out', () => {
    const es = read([{ name: './', type: 'dir' }, { name: 'a/b', data: 'x' }, { name: 'h', type: 'hardlink', link: '/a/./b' }, { name: 's', type: 'symlink', link: '../../a/./b' }, { name: 'f', data: '' }]);
    expect(pick(es, 'path', 'kind', 'link')).toEqual([
      { path: 'a/b', kind: 'file', link: '' },
      { path: 'h', kind: 'hardlink', link: 'a/b' },
      { path: 's', kind: 'symlink', link: '../../a/./b' },
      { path: 'f', kind: 'file', link: '' },
    ]);
  });
});

describe('whiteouts', () => {
  it('refuses whiteouts of nothing, of the directory, of its parent, and one used as a directory', () => {
    expect(refused([{ name: 'd/.wh.' }])).toBe('tar entry `d/.wh.` at offset 0: whiteout of ``');
    expect(refused([{ name: '.wh..' }])).toBe('tar entry `.wh..` at offset 0: whiteout of `.`');
    expect(refused([{ name: 'd/.wh...' }])).toBe('tar entry `d/.wh...` at offset 0: whiteout of `..`');
    expect(refused([{ name: 'a/.wh.b/c' }])).toBe('tar entry `a/.wh.b/c` at offset 0: whiteout name used as a directory');
    expect(refused([{ name: '.wh.a/b/c' }])).toBe('tar entry `.wh.a/b/c` at offset 0: whiteout name used as a directory');
  });

  it('accepts whiteouts, opaque markers and short names that are not whiteouts', () => {
    expect(read([{ name: 'd/.wh.x' }, { name: 'd/.wh..wh..opq' }, { name: 'abcd' }, { name: 'x.wh.' }, { name: 'a.wh./b' }]).map((e) => e.path)).toEqual(['d/.wh.x', 'd/.wh..wh..opq', 'abcd', 'x.wh.', 'a.wh./b']);
  });
});

describe('entry types', () => {
  it("reads '\\0' and '7' as files, a '0' name ending in / as a directory (pre-POSIX)", () => {
    const es = read([
      { name: 'old', type: 'raw', typeflag: '\0', data: 'abc' },
      { name: 'contig', type: 'raw', typeflag: '7', data: 'de' },
      { name: 'olddir/', type: 'raw', typeflag: '0' },
      { name: '/abs', type: 'raw', typeflag: '0', data: 'f' },
    ]);
    expect(pick(es, 'path', 'kind', 'size')).toEqual([
      { path: 'old', kind: 'file', size: 3 },
      { path: 'contig', kind: 'file', size: 2 },
      { path: 'olddir', kind: 'dir', size: 0 },
      { path: 'abs', kind: 'file', size: 1 },
    ]);
  });

  it('skips no data after link, device, directory and FIFO headers whatever size they claim', () => {
    const es = read([
      { name: 'a', data: 'x' },
      { name: 'h', type: 'hardlink', link: 'a', size: 700 },
      { name: 'p', type: 'fifo', size: 5 },
      { name: 'f', data: 'after' },
    ]);
    expect(pick(es, 'path', 'kind', 'size', 'data')).toEqual([
      { path: 'a', kind: 'file', size: 1, data: 512 },
      { path: 'h', kind: 'hardlink', size: 0, data: 1536 },
      { path: 'p', kind: 'fifo', size: 0, data: 2048 },
      { path: 'f', kind: 'file', size: 5, data: 2560 },
    ]);
  });

  it('refuses every other type, showing it when it is printable', () => {
    const t = (c: number) => refused([{ name: 'e', type: 'raw', typeflag: String.fromCharCode(c) }]);
    expect([0x38, 0x2f, 0x21, 0x7e].map(t)).toEqual(["'8' (0x38)", "'/' (0x2f)", "'!' (0x21)", "'~' (0x7e)"].map((s) => `tar entry \`e\` at offset 0: unsupported entry type ${s}`));
    expect([0x20, 0x7f, 0x01].map(t)).toEqual(['0x20', '0x7f', '0x01'].map((s) => `tar entry \`e\` at offset 0: unsupported entry type '?' (${s})`));
  });

  it("skips a global pax header ('g') with its data", () => {
    expect(read([{ name: 'g', type: 'raw', typeflag: 'g', data: paxRecords({ path: 'ignored' }) }, { name: 'f', data: 'x' }]).map((e) => e.path)).toEqual(['f']);
  });
});

describe('pax extended headers', () => {
  it('apply path, linkpath, size, uid, gid and mtime to the next entry only', () => {
    const es = read([
      { name: 'hdr', data: 'hello', size: 0, uid: 1, gid: 2, pax: { path: 'dir/file90', size: '5', uid: '4294967294', gid: '7', mtime: '1700000000.75', atime: '1', uname: 'u', 'SCHILY.xattr.user.x': 'y' } },
      { name: 'next', data: '' },
      { name: 'l', type: 'symlink', link: 'short', pax: { linkpath: `/${'t'.repeat(150)}` } },
      { name: 'h', type: 'hardlink', link: 'short', pax: { linkpath: '/dir/./file90' } },
    ]);
    expect(pick(es, 'name', 'size', 'uid', 'gid', 'mtime', 'link')).toEqual([
      { name: 'dir/file90', size: 5, uid: 4294967294, gid: 7, mtime: 1700000000, link: '' },
      { name: 'next', size: 0, uid: 0, gid: 0, mtime: 1600000000, link: '' },
      { name: 'l', size: 0, uid: 0, gid: 0, mtime: 1600000000, link: `/${'t'.repeat(150)}` },
      { name: 'h', size: 0, uid: 0, gid: 0, mtime: 1600000000, link: 'dir/file90' },
    ]);
  });

  it('a pax uid, gid or mtime stands in for a header field that is not a number', () => {
    const e = read([{ name: 'f', pax: { uid: '9', gid: '8', mtime: '-1.5' }, patch: { at: 108, bytes: `${'z'.repeat(16)}\0\0\0\0\0\0\0\0\0\0\0\0zzzzzzzzzzz\0` } }]);
    expect(pick(e, 'uid', 'gid', 'mtime', 'size')).toEqual([{ uid: 9, gid: 8, mtime: -2, size: 0 }]);
  });

  it('reads record lengths of any digits, NUL padding after the last record, and empty values', () => {
    const recs = cat('10 path=a\n', '9 k=long\n', '30 comment=0123456789abcdefgh\n', '5 a=\n', '\0'.repeat(20));
    expect(recs.length).toBe(74);
    expect(read([paxHeader(recs), { name: 'x', data: 'y' }]).map((e) => e.path)).toEqual(['a']);
    // an empty path or linkpath is no override
    expect(pick(read([{ name: 'hdr', type: 'symlink', link: 'tgt', pax: { path: '', linkpath: '' } }]), 'path', 'link')).toEqual([{ path: 'hdr', link: 'tgt' }]);
  });

  it('refuses a malformed record, naming its byte', () => {
    const bad = (data: string) => refused([paxHeader(data), { name: 'x' }]);
    expect(bad('10_path=a\n')).toBe('tar entry `PaxHeaders/x` at offset 0: bad pax record at byte 0');
    expect(bad('10 path=ab')).toBe('tar entry `PaxHeaders/x` at offset 0: bad pax record at byte 0');
    expect(bad('9 pathab\n')).toBe('tar entry `PaxHeaders/x` at offset 0: bad pax record at byte 0');
    expect(bad('6 =ab\n')).toBe('tar entry `PaxHeaders/x` at offset 0: bad pax record at byte 0');
    expect(bad('99 path=a\n')).toBe('tar entry `PaxHeaders/x` at offset 0: bad pax record at byte 0');
    expect(bad(' path=ab\n')).toBe('tar entry `PaxHeaders/x` at offset 0: bad pax record at byte 0');
    expect(bad('3 \n')).toBe('tar entry `PaxHeaders/x` at offset 0: bad pax record at byte 0');
    expect(bad('4 x\n')).toBe('tar entry `PaxHeaders/x` at offset 0: bad pax record at byte 0');
    expect(bad('12')).toBe('tar entry `PaxHeaders/x` at offset 0: bad pax record at byte 0');
    expect(bad(`${'9'.repeat(30)} path=a\n`)).toBe('tar entry `PaxHeaders/x` at offset 0: bad pax record at byte 0');
    expect(bad('10 path=a\nxx')).toBe('tar entry `PaxHeaders/x` at offset 0: bad pax record at byte 10');
    expect(bad('10 path=a\n\0\0' + '10 path=b\n')).toBe('tar entry `PaxHeaders/x` at offset 0: bad pax record at byte 12');
    // a length with a character past '9' (':' would count as 10: "1:" as 20)
    expect(bad(`1: comment=${'c'.repeat(8)}\n`)).toBe('tar entry `PaxHeaders/x` at offset 0: bad pax record at byte 0');
  });

  it('refuses a NUL byte in a path or link target', () => {
    expect(refused([{ name: 'x', pax: { path: 'a\0/../../b' } }])).toBe('tar entry `PaxHeaders/x` at offset 0: pax path has a NUL byte');
    expect(refused([{ name: 'x', type: 'symlink', link: 'y', pax: { linkpath: '/etc\0' } }])).toBe('tar entry `PaxHeaders/x` at offset 0: pax linkpath has a NUL byte');
  });

  it('refuses sizes, ids and mtimes that are not numbers or out of range', () => {
    const bad = (pax: Record<string, string>) => refused([{ name: 'x', pax }]).replace('tar entry `PaxHeaders/x` at offset 0: ', '');
    expect(['12x', 'x12', '-1', '', '1e3', '99999999999999999999'].map((size) => bad({ size }))).toEqual(['12x', 'x12', '-1', '', '1e3', '99999999999999999999'].map((v) => `bad pax size \`${v}\``));
    expect(['4294967295', 'x', '12x', 'x12', '', '-1'].map((uid) => bad({ uid }))).toEqual(['4294967295', 'x', '12x', 'x12', '', '-1'].map((v) => `bad pax uid \`${v}\``));
    expect(bad({ gid: '4294967295' })).toBe('bad pax gid `4294967295`');
    const mtimes = ['1e5', '.5', '1.2.3', 'x1', '1x', '', '--1', '1,5', '1x5', `1${'0'.repeat(400)}`, '9007199254740993'];
    expect(mtimes.map((mtime) => bad({ mtime }))).toEqual(mtimes.map((v) => `bad pax mtime \`${v}\``));
    expect(['5.', '12', '0.999', '-7'].map((mtime) => read([{ name: 'f', pax: { mtime } }])[0]!.mtime)).toEqual([5, 12, 0, -7]);
  });

  it('refuses GNU sparse files', () => {
    expect(refused([{ name: 'x', pax: { 'GNU.sparse.major': '1' } }])).toBe('tar entry `PaxHeaders/x` at offset 0: sparse files are not supported');
    expect(refused([{ name: 'x', pax: { 'GNU.sparse.size': '1' } }])).toBe('tar entry `PaxHeaders/x` at offset 0: sparse files are not supported');
  });

  it('a pax path wins over a GNU long name; both name the entry in its messages', () => {
    expect(read([{ name: 'hdr', pax: { path: 'pax' }, gnuLongName: 'gnu' }])[0]!.path).toBe('pax');
    expect(refused([{ name: 'hdr', data: 'x', gnuLongName: 'gnu', badChecksum: true }])).toBe('tar entry `gnu` at offset 1024: bad header checksum');
    expect(refused([{ name: 'hdr', data: 'x', pax: { path: 'pax' }, badChecksum: true }])).toBe('tar entry `pax` at offset 1024: bad header checksum');
  });
});

describe('GNU long names and link targets', () => {
  it("reads 'L' and 'K' data, with or without a NUL at its end", () => {
    const es = read([
      { name: 'x', gnuLongName: `long/${'n'.repeat(300)}` },
      { name: 'L', type: 'raw', typeflag: 'L', data: 'no-nul' },
      { name: 'x', type: 'symlink', link: 'short' },
      { name: 'K', type: 'raw', typeflag: 'K', data: `/${'k'.repeat(200)}\0junk` },
      { name: 's', type: 'symlink', link: 'short' },
      { name: 'K', type: 'raw', typeflag: 'K', data: '/a/./b' },
      { name: 'h', type: 'hardlink', link: 'short' },
    ]);
    expect(pick(es, 'path', 'link')).toEqual([
      { path: `long/${'n'.repeat(300)}`, link: '' },
      { path: 'no-nul', link: 'short' },
      { path: 's', link: `/${'k'.repeat(200)}` },
      { path: 'h', link: 'a/b' },
    ]);
  });

  it('refuses an archive that ends after one', () => {
    expect(refused([{ name: 'L', type: 'raw', typeflag: 'L', data: 'name' }])).toBe('tar: archive ends after a pax/GNU header, without its entry');
    expect(refused([{ name: 'K', type: 'raw', typeflag: 'K', data: 'name' }], undefined, { end: false })).toBe('tar: truncated archive: EOF inside the header at offset 1024');
  });
});

describe('limits, each at its boundary', () => {
  it('entries: pax, GNU and root entries do not count', () => {
    const two: Entry[] = [{ name: './', type: 'dir' }, { name: 'a', pax: { uid: '1' } }, { name: 'b', gnuLongName: 'bb' }];
    expect(read(two, { maxEntries: 2 }).map((e) => e.path)).toEqual(['a', 'bb']);
    expect(refused([...two, { name: 'c' }], { maxEntries: 2 })).toBe('tar entry `c` at offset 3584: more than 2 entries');
  });

  it('one entry, by its header size or its pax size', () => {
    expect(read([{ name: 'f', data: 'x'.repeat(10) }], { maxEntrySize: 10 })[0]!.size).toBe(10);
    expect(refused([{ name: 'f', data: 'x'.repeat(11) }], { maxEntrySize: 10 })).toBe('tar entry `f` at offset 0: 11 bytes over the entry limit of 10');
    expect(refused([{ name: 'f', size: 0, pax: { size: '11' } }], { maxEntrySize: 10 })).toBe('tar entry `f` at offset 1024: 11 bytes over the entry limit of 10');
    // the default: 4 GiB is allowed (and then missing), a byte more is not
    expect(refused([{ name: 'f', size: 2 ** 32 }], undefined, { end: false })).toBe('tar entry `f` at offset 0: truncated archive: EOF at offset 512 inside the entry');
    expect(refused([{ name: 'f', size: 2 ** 32 + 1 }], undefined, { end: false })).toBe('tar entry `f` at offset 0: 4294967297 bytes over the entry limit of 4294967296');
  });

  it('the layer: file data only, directories and links not counted', () => {
    const files = (n: number): Entry[] => [{ name: 'd/', type: 'raw', typeflag: '0', data: 'x'.repeat(8) }, { name: 'a', data: 'x'.repeat(4) }, { name: 'h', type: 'hardlink', link: 'a', size: 9 }, { name: 'b', data: 'x'.repeat(n) }];
    expect(read(files(6), { maxTotalSize: 10 }).map((e) => e.size)).toEqual([8, 4, 0, 6]);
    expect(refused(files(7), { maxTotalSize: 10 })).toBe('tar entry `b` at offset 2560: layer over the limit of 10 bytes');
    expect(read([{ name: 'd/', type: 'raw', typeflag: '0', data: 'x'.repeat(11) }], { maxTotalSize: 10 })[0]!.kind).toBe('dir');
  });

  it('names and link targets, in bytes', () => {
    expect(read([{ name: 'abcde' }, { name: '\u00e9\u00e9', type: 'symlink', link: 'vwxyz' }], { maxPath: 5 }).map((e) => e.path)).toEqual(['abcde', '\u00e9\u00e9']);
    expect(refused([{ name: 'abcdef' }], { maxPath: 5 })).toBe('tar entry `abcdef` at offset 0: name of 6 bytes over the limit of 5');
    expect(refused([{ name: '\u00e9\u00e9\u00e9' }], { maxPath: 5 })).toBe('tar entry `\u00e9\u00e9\u00e9` at offset 0: name of 6 bytes over the limit of 5');
    expect(refused([{ name: 's', type: 'symlink', link: 'uvwxyz' }], { maxPath: 5 })).toBe('tar entry `s` at offset 0: link target of 6 bytes over the limit of 5');
    expect(refused([{ name: 's', type: 'symlink', link: '\u00e9\u00e9\u00e9' }], { maxPath: 5 })).toBe('tar entry `s` at offset 0: link target of 6 bytes over the limit of 5');
    // the default: 4096
    const p = (n: number) => 'p/'.repeat(n / 2 - 1) + 'pp';
    expect(read([{ name: 'x', type: 'symlink', link: 'y', pax: { path: p(4096), linkpath: p(4096) } }])[0]!.path).toBe(p(4096));
    expect(refused([{ name: 'x', pax: { path: `${p(4096)}p` } }])).toMatch(/: name of 4097 bytes over the limit of 4096$/);
    expect(refused([{ name: 'x', type: 'symlink', link: 'y', pax: { linkpath: `${p(4096)}p` } }])).toMatch(/^tar entry `x` at offset \d+: link target of 4097 bytes over the limit of 4096$/);
  });

  it("pax, GNU and 'g' headers", () => {
    const rec = (n: number) => paxRecords({ path: 'p'.repeat(n - 9) });
    expect(rec(20).length).toBe(20);
    expect(read([paxHeader(rec(20)), { name: 'x' }], { maxHeaderSize: 20 })[0]!.path).toBe('p'.repeat(11));
    expect(refused([paxHeader(rec(21)), { name: 'x' }], { maxHeaderSize: 20 })).toBe("tar entry `PaxHeaders/x` at offset 0: 21-byte 'x' header over the limit of 20 bytes");
    expect(refused([{ name: 'L', type: 'raw', typeflag: 'L', data: 'x'.repeat(21) }, { name: 'x' }], { maxHeaderSize: 20 })).toBe("tar entry `L` at offset 0: 21-byte 'L' header over the limit of 20 bytes");
    expect(refused([{ name: 'K', type: 'raw', typeflag: 'K', data: 'x'.repeat(21) }, { name: 'x' }], { maxHeaderSize: 20 })).toBe("tar entry `K` at offset 0: 21-byte 'K' header over the limit of 20 bytes");
    expect(read([{ name: 'g', type: 'raw', typeflag: 'g', data: 'x'.repeat(20) }, { name: 'x' }], { maxHeaderSize: 20 })[0]!.path).toBe('x');
    expect(refused([{ name: 'g', type: 'raw', typeflag: 'g', data: 'x'.repeat(21) }, { name: 'x' }], { maxHeaderSize: 20 })).toBe("tar entry `g` at offset 0: 21-byte 'g' header over the limit of 20 bytes");
    // the default: 64 KiB
    const big = (n: number) => paxRecords({ comment: 'c'.repeat(n - 15) });
    expect(big(64 << 10).length).toBe(64 << 10);
    expect(read([paxHeader(big(64 << 10)), { name: 'x' }])[0]!.path).toBe('x');
    expect(refused([paxHeader(big((64 << 10) + 1)), { name: 'x' }])).toBe("tar entry `PaxHeaders/x` at offset 0: 65537-byte 'x' header over the limit of 65536 bytes");
  });
});

describe('where the archive ends', () => {
  it('at EOF without an end marker, even inside the padding of the last data or right after a header', () => {
    expect(read([{ name: 'a', data: 'x' }, { name: 's', type: 'symlink', link: 'a' }], undefined, { end: false }).map((e) => e.path)).toEqual(['a', 's']);
    const cut = buildTar([{ name: 'a', data: 'abc' }], { end: false, truncate: 515 });
    expect(pick(readLayer(cut), 'path', 'size', 'data')).toEqual([{ path: 'a', size: 3, data: 512 }]);
    expect(read([{ name: 'a', data: 'x'.repeat(512) }], undefined, { end: false })[0]!.size).toBe(512);
  });

  it('at one zero block at EOF or two; whatever follows two is not read', () => {
    expect(read([{ name: 'a' }], undefined, { end: false, trailer: new Uint8Array(512) }).map((e) => e.path)).toEqual(['a']);
    expect(read([{ name: 'a' }], undefined, { trailer: enc.encode('junk after the end') }).map((e) => e.path)).toEqual(['a']);
    expect(readLayer(new Uint8Array(0))).toEqual([]);
  });

  it('refuses a zero block followed by anything but a zero block, and EOF inside a header or data', () => {
    expect(refused([{ name: 'a' }], undefined, { end: false, trailer: new Uint8Array(612) })).toBe('tar: lone zero block at offset 512');
    expect(refused([{ name: 'a' }], undefined, { end: false, trailer: cat(new Uint8Array(512), 'x') })).toBe('tar: lone zero block at offset 512');
    expect(refused([{ name: 'a' }], undefined, { end: false, trailer: new Uint8Array(100) })).toBe('tar: truncated archive: EOF inside the header at offset 512');
    expect(refused([{ name: 'a', data: 'x'.repeat(600) }], undefined, { truncate: 1111 })).toBe('tar entry `a` at offset 0: truncated archive: EOF at offset 1111 inside the entry');
    expect(refused([{ name: 'x', pax: { path: 'p'.repeat(600) } }], undefined, { truncate: 1000 })).toBe('tar entry `PaxHeaders/x` at offset 0: truncated archive: EOF at offset 1000 inside the entry');
  });

  it('finds each header after data of any length, padded to 512 bytes', () => {
    const sizes = [0, 1, 511, 512, 513, 1024, 256];
    const es = read(sizes.map((n, i) => ({ name: `f${i}`, data: String(i).repeat(n) })));
    const tar = buildTar(sizes.map((n, i) => ({ name: `f${i}`, data: String(i).repeat(n) })));
    expect(pick(es, 'size', 'off', 'data')).toEqual([
      { size: 0, off: 0, data: 512 },
      { size: 1, off: 512, data: 1024 },
      { size: 511, off: 1536, data: 2048 },
      { size: 512, off: 2560, data: 3072 },
      { size: 513, off: 3584, data: 4096 },
      { size: 1024, off: 5120, data: 5632 },
      { size: 256, off: 6656, data: 7168 },
    ]);
    for (const [i, e] of es.entries()) expect(new TextDecoder().decode(tar.subarray(e.data, e.data + e.size))).toBe(String(i).repeat(sizes[i]!));
  });
});

it('refusals are LayerErrors by name as well', () => {
  const e = (() => {
    try {
      readLayer(buildTar([{ name: '../x' }]));
    } catch (x) {
      return x as Error;
    }
  })();
  expect(e?.name).toBe('LayerError');
});
