// The tar writer against the layer reader (what the store applies), and
// docker diff's rules over a layer's entries.
import { describe, expect, it } from 'vitest';
import { readLayer } from '../../src/common/store/layer.js';
import { Rootfs } from '../../src/common/store/rootfs.js';
import { treeItems, writeLayer } from '../../src/common/store/layer-write.js';
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
