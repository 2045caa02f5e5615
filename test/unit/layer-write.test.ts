// The tar writer against the layer reader (what the store applies), and
// docker diff's rules over a layer's entries.
import { describe, expect, it } from 'vitest';
import { readLayer } from '../../src/common/store/layer.js';
import { Rootfs, type Node } from '../../src/common/store/rootfs.js';
import { TarBuilder, treeItems, writeLayer, type TarItem } from '../../src/common/store/layer-write.js';
import { changesOf } from '../../src/runtime/commit.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

describe('writeLayer', () => {
  it('writes what readLayer reads back: kinds, modes, owners, mtimes, long names, links', () => {
    const long = `d/${'n'.repeat(150)}`;
    const tar = writeLayer([
      { path: 'd', kind: 'dir', mode: 0o1777, uid: 5, gid: 6, mtime: 1_700_000_000 },
      { path: long, kind: 'file', mode: 0o4755, uid: 70_000_000, gid: 2, mtime: 12, data: enc.encode('hello') },
      { path: 'd/hl', kind: 'hardlink', mode: 0o644, uid: 0, gid: 0, mtime: 0, link: long },
      { path: 'd/sl', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 0, link: `/${'t'.repeat(120)}` },
      { path: 'd/null', kind: 'char', mode: 0o666, uid: 0, gid: 0, mtime: 0, major: 1, minor: 3 },
    ]);
    const e = readLayer(tar);
    expect(e.map((x) => [x.path, x.kind])).toEqual([
      ['d', 'dir'],
      [long, 'file'],
      ['d/hl', 'hardlink'],
      ['d/sl', 'symlink'],
      ['d/null', 'char'],
    ]);
    expect(e[0]).toMatchObject({ mode: 0o1777, uid: 5, gid: 6, mtime: 1_700_000_000 });
    expect(e[1]).toMatchObject({ mode: 0o4755, uid: 70_000_000, gid: 2, mtime: 12, size: 5 });
    expect(dec.decode(tar.subarray(e[1]!.data, e[1]!.data + 5))).toBe('hello');
    expect(e[2]!.link).toBe(long);
    expect(e[3]!.link).toBe(`/${'t'.repeat(120)}`);
    expect(e[4]).toMatchObject({ major: 1, minor: 3 });
  });

  it('turns a tree back into items: a second name of one node is a hard link', async () => {
    const t = new Rootfs();
    const tar = writeLayer([
      { path: 'a', kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: 0 },
      { path: 'a/f', kind: 'file', mode: 0o600, uid: 1, gid: 1, mtime: 3, data: enc.encode('x') },
      { path: 'a/g', kind: 'hardlink', mode: 0o600, uid: 1, gid: 1, mtime: 3, link: 'a/f' },
    ]);
    t.apply(readLayer(tar), 'L');
    const items = await treeItems(t.lookup('a')!, 'a', async (n) => tar.slice(n.offset, n.offset + n.size));
    expect(items.map((i) => [i.path, i.kind, i.link ?? ''])).toEqual([
      ['a', 'dir', ''],
      ['a/f', 'file', ''],
      ['a/g', 'hardlink', 'a/f'],
    ]);
    expect(dec.decode(items[1]!.data)).toBe('x');
  });
});

describe('writeLayer, byte by byte', () => {
  const item = (path: string, kind: TarItem['kind'], more: Partial<TarItem> = {}): TarItem => ({ path, kind, mode: 0o644, uid: 0, gid: 0, mtime: 0, ...more });
  const field = (h: Uint8Array, at: number, len: number) => dec.decode(h.subarray(at, at + len));
  const headers = (tar: Uint8Array) => readLayer(tar).map((e) => tar.subarray(e.off, e.off + 512));

  it('ustar headers: each field, NUL-terminated octal, the magic, the checksum, devices only for devices', () => {
    const tar = writeLayer([
      item('f', 'file', { mode: 0o4755, uid: 0o7777777, gid: 0o7777777, mtime: 0o77777777777, data: enc.encode('x') }),
      item('d', 'dir', { mode: 0o755 }),
      item('h', 'hardlink', { link: 'f' }),
      item('s', 'symlink', { link: 't', data: enc.encode('ignored') }),
      item('c', 'char', { major: 1, minor: 3 }),
      item('b', 'block', { major: 8, minor: 0o1234567 }),
      item('p', 'fifo'),
    ]);
    const [f, d, h, s, c, b, p] = headers(tar);
    expect([field(f!, 0, 100), field(f!, 100, 8), field(f!, 108, 8), field(f!, 116, 8), field(f!, 124, 12), field(f!, 136, 12)]).toEqual([
      `f${'\0'.repeat(99)}`,
      '0004755\0',
      '7777777\0',
      '7777777\0',
      '00000000001\0',
      '77777777777\0',
    ]);
    expect(field(f!, 148, 8)).toMatch(/^[0-7]{6}\0 $/);
    expect(field(f!, 257, 8)).toBe('ustar\u000000');
    expect([f, d, h, s, c, b, p].map((x) => String.fromCharCode(x![156]!)).join('')).toBe('0512346');
    expect([field(d!, 0, 3), field(h!, 157, 2), field(s!, 157, 2), field(f!, 157, 100)]).toEqual(['d/\0', 'f\0', 't\0', '\0'.repeat(100)]);
    expect([field(c!, 329, 16), field(b!, 329, 16)]).toEqual(['0000001\u00000000003\0', '0000010\u00001234567\0']);
    for (const x of [f, d, h, s, p]) expect(field(x!, 329, 16)).toBe('\0'.repeat(16));
    // no pax header, data only for the file, every header on a block, two zero blocks at the end
    expect(readLayer(tar).map((e) => e.off)).toEqual([0, 1024, 1536, 2048, 2560, 3072, 3584]);
    expect(tar.length).toBe(4096 + 1024);
    expect(tar.subarray(4096).every((x) => x === 0)).toBe(true);
  });

  it('a pax header only for what does not fit: names and targets over 100 bytes, ids over 0o7777777', () => {
    const n100 = 'n'.repeat(100);
    expect(readLayer(writeLayer([item(n100, 'symlink', { link: n100 })])).map((e) => e.off)).toEqual([0]);
    const big = writeLayer([item('u', 'file', { uid: 0o10000005 }), item('g', 'file', { gid: 0o10000005 }), item(`${n100}x`, 'file'), item('l', 'symlink', { link: `${n100}y` })]);
    const es = readLayer(big);
    expect(es.map((e) => [e.path, e.off, e.uid, e.gid, e.link])).toEqual([
      ['u', 1024, 0o10000005, 0, ''],
      ['g', 2560, 0, 0o10000005, ''],
      [`${n100}x`, 4096, 0, 0, ''],
      ['l', 5632, 0, 0, `${n100}y`],
    ]);
    const [u, g] = headers(big);
    expect([field(u!, 108, 8), field(g!, 116, 8)]).toEqual(['0000000\0', '0000000\0']);
    const x = big.subarray(0, 512);
    expect([field(x, 0, 15), String.fromCharCode(x[156]!), field(x, 157, 100)]).toEqual(['././@PaxHeader\0', 'x', '\0'.repeat(100)]);
  });

  it('an mtime before 1970 or past eleven octal digits goes in a pax header; the field holds the nearest it can', () => {
    const tar = writeLayer([item('old', 'file', { mtime: -86400 }), item('far', 'file', { mtime: 0o100000000005 }), item('max', 'file', { mtime: 0o77777777777 })]);
    expect(readLayer(tar).map((e) => [e.path, e.off, e.mtime])).toEqual([['old', 1024, -86400], ['far', 2560, 0o100000000005], ['max', 3072, 0o77777777777]]);
    const [old, far] = headers(tar);
    expect([field(old!, 136, 12), field(far!, 136, 12)]).toEqual(['00000000000\0', '77777777777\0']);
  });

  it('pads data to 512 bytes, and a builder can write a second archive', () => {
    const t = new TarBuilder();
    t.add(item('a', 'file', { data: new Uint8Array(512).fill(1) }));
    t.add(item('b', 'file', { data: new Uint8Array(513).fill(2) }));
    t.add(item('c', 'file'));
    const one = t.finish();
    expect(readLayer(one).map((e) => [e.path, e.off, e.size])).toEqual([['a', 0, 512], ['b', 1024, 513], ['c', 2560, 0]]);
    expect(one.length).toBe(3072 + 1024);
    t.add(item('z', 'file', { data: enc.encode('z') }));
    const two = t.finish();
    expect(two.length).toBe(2048);
    expect(readLayer(two).map((e) => e.path)).toEqual(['z']);
  });
});

describe('treeItems', () => {
  it('every kind of node, named under a prefix or (docker export) from the root; an empty file is not read', async () => {
    const tar = writeLayer([
      { path: 'd', kind: 'dir', mode: 0o750, uid: 1, gid: 2, mtime: 3 },
      { path: 'd/e', kind: 'file', mode: 0o600, uid: 0, gid: 0, mtime: 0 },
      { path: 'd/f', kind: 'file', mode: 0o600, uid: 0, gid: 0, mtime: 0, data: enc.encode('f') },
      { path: 'd/s', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: 0, link: '../t' },
      { path: 'd/c', kind: 'char', mode: 0o666, uid: 0, gid: 0, mtime: 0, major: 1, minor: 3 },
      { path: 'd/b', kind: 'block', mode: 0o660, uid: 0, gid: 0, mtime: 0, major: 8, minor: 1 },
      { path: 'd/p', kind: 'fifo', mode: 0o600, uid: 0, gid: 0, mtime: 0 },
    ]);
    const t = new Rootfs();
    t.apply(readLayer(tar), 'L');
    const read = async (n: Node) => {
      if (n.size === 0) throw new Error('read of an empty file');
      return tar.slice(n.offset, n.offset + n.size);
    };
    const show = (items: TarItem[]) => items.map((i) => [i.path, i.kind, i.mode.toString(8), i.link ?? '', `${i.major ?? ''}:${i.minor ?? ''}`, i.data ? dec.decode(i.data) : '-']);
    expect(show(await treeItems(t.lookup('d')!, 'x', read))).toEqual([
      ['x', 'dir', '750', '', ':', '-'],
      ['x/b', 'block', '660', '', '8:1', '-'],
      ['x/c', 'char', '666', '', '1:3', '-'],
      ['x/e', 'file', '600', '', ':', ''],
      ['x/f', 'file', '600', '', ':', 'f'],
      ['x/p', 'fifo', '600', '', ':', '-'],
      ['x/s', 'symlink', '777', '../t', ':', '-'],
    ]);
    expect((await treeItems(t.root, '', read)).map((i) => i.path)).toEqual(['d', 'd/b', 'd/c', 'd/e', 'd/f', 'd/p', 'd/s']);
  });
});

describe('changesOf (docker diff)', () => {
  const layer = (paths: Array<[string, 'dir' | 'file']>) =>
    readLayer(writeLayer(paths.map(([path, kind]) => ({ path, kind, mode: 0o755, uid: 0, gid: 0, mtime: 0 }))));
  const dir = { kind: 'dir' as const, mode: 0o755, mtime: 0, uid: 0, gid: 0 };

  it('A for new, C for what was below, D for whiteouts and opaque directories that were below', () => {
    const entries = layer([
      ['bin', 'dir'],
      ['bin/.wh.ls', 'file'],
      ['home', 'dir'],
      ['home/.wh..wh..opq', 'file'],
      ['home/x', 'file'],
      ['srv', 'dir'],
      ['srv/a', 'file'],
    ]);
    const lower = new Map([
      ['bin', dir],
      ['home', dir],
      ['srv', undefined],
      ['home/x', undefined],
      ['srv/a', undefined],
    ]);
    expect(changesOf(entries, lower).map((c) => `${c.kind} ${c.path}`)).toEqual(['C /bin', 'D /bin/ls', 'D /home', 'A /home/x', 'A /srv', 'A /srv/a']);
  });

  it('lists the parent of an addition as C when the layer has no entry for it', () => {
    const entries = layer([['etc/new', 'file']]);
    expect(changesOf(entries, new Map()).map((c) => `${c.kind} ${c.path}`)).toEqual(['C /etc', 'A /etc/new']);
  });
});
