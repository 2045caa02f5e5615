// How the host-side applier (src/common/store/rootfs.ts) resolves names and
// merges layers, rule by rule, with exact trees: where an entry under a
// symlinked directory lands, how `..`, `.` and link chains resolve, what a
// whiteout or an opaque marker hides, what each kind of node holds. The
// hostile corpus (layer-apply.test.ts) checks that nothing escapes; these
// check that everything lands where Docker puts it.
import { describe, expect, it } from 'vitest';
import { LayerError, readLayer, type LayerEntry } from '../../src/common/store/layer.js';
import { Rootfs, walkTree } from '../../src/common/store/rootfs.js';
import { buildTar, type Entry } from '../vm/hostile-layers.js';

const SOURCE = 'snapshots/x/layer.tar';

function tree(...layers: Entry[][]): Rootfs {
  const t = new Rootfs();
  for (const l of layers) t.apply(readLayer(buildTar(l)), SOURCE);
  return t;
}

/** Every path in the tree, in walk order, with its kind. */
function paths(t: Rootfs): string[] {
  const out: string[] = [];
  walkTree(t.root, (p, n) => p && out.push(`${p} ${n.kind}${n.kind === 'symlink' ? ` -> ${n.target}` : ''}`));
  return out;
}

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(LayerError);
    return (e as Error).message;
  }
  throw new Error('applied, not refused');
};

describe('names under a symlinked directory land where the link points', () => {
  it('a relative link is followed from its own directory', () => {
    const t = tree([{ name: 'p/d', type: 'dir' }, { name: 'p/l', type: 'symlink', link: 'd' }], [{ name: 'p/l/f', data: 'x' }]);
    expect(paths(t)).toEqual(['p dir', 'p/d dir', 'p/d/f file', 'p/l symlink -> d']);
  });

  it('an absolute link is followed from the root of the tree', () => {
    const t = tree([{ name: 'a/b', type: 'dir' }, { name: 'x', type: 'dir' }, { name: 'a/b/l', type: 'symlink', link: '/x' }], [{ name: 'a/b/l/f', data: 'x' }]);
    expect(t.lookup('x/f')?.kind).toBe('file');
    expect(t.lookup('a/b/x')).toBeUndefined();
  });

  it('`..` in a target climbs, and stops at the root', () => {
    const t = tree(
      [{ name: 'p/q', type: 'dir' }, { name: 'q', type: 'dir' }, { name: 'p/up', type: 'symlink', link: '../q' }, { name: 'p/way-up', type: 'symlink', link: '../../../../q' }],
      [{ name: 'p/up/f', data: 'x' }, { name: 'p/way-up/g', data: 'y' }],
    );
    expect(t.lookup('q/f')?.kind).toBe('file');
    expect(t.lookup('q/g')?.kind).toBe('file');
    expect(t.lookup('p/q/f')).toBeUndefined();
    expect(t.lookup('p/q/g')).toBeUndefined();
  });

  it('`.` and empty components in a target are nothing: no directory named `.` or `` is made', () => {
    const t = tree([{ name: 'd', type: 'dir' }, { name: 'l', type: 'symlink', link: './d//.' }], [{ name: 'l/f', data: 'x' }]);
    expect(paths(t)).toEqual(['d dir', 'd/f file', 'l symlink -> ./d//.']);
  });

  it('follows a chain of 40 links, and refuses the 41st', () => {
    const chain = (n: number): Entry[] => [
      { name: 'end', type: 'dir' },
      ...Array.from({ length: n }, (_, i): Entry => ({ name: `l${i}`, type: 'symlink', link: i === n - 1 ? 'end' : `l${i + 1}` })),
    ];
    expect(tree(chain(40), [{ name: 'l0/f', data: 'x' }]).lookup('end/f')?.kind).toBe('file');
    expect(refusal(() => tree(chain(41), [{ name: 'l0/f', data: 'x' }]))).toMatch(/`l0\/f`.*parent directory does not resolve to a directory inside the layer/);
  });

  it('a link that points at itself is refused, not followed forever', () => {
    expect(refusal(() => tree([{ name: 'loop', type: 'symlink', link: 'loop' }], [{ name: 'loop/f', data: 'x' }]))).toMatch(/parent directory does not resolve/);
  });

  it('an entry under a file is refused', () => {
    expect(refusal(() => tree([{ name: 'f', data: 'x' }], [{ name: 'f/g', data: 'y' }]))).toMatch(/`f\/g` at offset \d+: parent directory does not resolve/);
  });

  it('a hard link through a symlinked directory shares the file it names', () => {
    const t = tree([{ name: 'd/f', data: 'x' }, { name: 'l', type: 'symlink', link: 'd' }], [{ name: 'h', type: 'hardlink', link: 'l/f' }]);
    expect(t.lookup('h')).toBe(t.lookup('d/f'));
  });
});

describe('layers merge as Docker merges them', () => {
  it('a directory in a later layer keeps what is below it and takes the new mode and owner', () => {
    const t = tree([{ name: 'd/old', data: 'x' }], [{ name: 'd', type: 'dir', mode: 0o700, uid: 5, gid: 6 }, { name: 'd/new', data: 'y' }]);
    expect(paths(t)).toEqual(['d dir', 'd/new file', 'd/old file']);
    expect(t.lookup('d')).toMatchObject({ mode: 0o700, uid: 5, gid: 6 });
  });

  it('an opaque directory keeps every name this layer put in it, and hides the lower ones below its subdirectories too', () => {
    const t = tree(
      [{ name: 'p/a', data: 'a' }, { name: 'p/sub/old', data: 'o' }],
      [{ name: 'p/.wh..wh..opq' }, { name: 'p/one', data: '1' }, { name: 'p/two', data: '2' }, { name: 'p/sub/new', data: 'n' }],
    );
    expect(paths(t)).toEqual(['p dir', 'p/one file', 'p/sub dir', 'p/sub/new file', 'p/two file']);
  });

  it("a whiteout's directory in an opaque one is this layer's: kept, the whiteout applied in it", () => {
    const t = tree([{ name: 'p/other', data: 'o' }, { name: 'p/sub/x', data: 'x' }, { name: 'p/sub/y', data: 'y' }], [{ name: 'p/.wh..wh..opq' }, { name: 'p/sub/.wh.x' }]);
    expect(paths(t)).toEqual(['p dir', 'p/sub dir']);
  });

  it('a whiteout under a symlinked directory removes the name where the link points', () => {
    const t = tree([{ name: 'd/a', data: 'a' }, { name: 'd/b', data: 'b' }, { name: 'l', type: 'symlink', link: 'd' }], [{ name: 'l/.wh.a' }]);
    expect(paths(t)).toEqual(['d dir', 'd/b file', 'l symlink -> d']);
  });

  it('a whiteout at the top removes a top-level name', () => {
    expect(paths(tree([{ name: 'top', data: 'x' }, { name: 'keep', data: 'y' }], [{ name: '.wh.top' }]))).toEqual(['keep file']);
  });

  it('a whiteout in a directory that does not exist is nothing: no directory is made for it', () => {
    expect(paths(tree([{ name: 'keep', data: 'y' }], [{ name: 'gone/deeper/.wh.x' }]))).toEqual(['keep file']);
  });

  it('an opaque marker deeper down hides only its own directory', () => {
    const t = tree([{ name: 'a/p/x', data: 'x' }, { name: 'a/q', data: 'q' }], [{ name: 'a/p/.wh..wh..opq' }]);
    expect(paths(t)).toEqual(['a dir', 'a/p dir', 'a/q file']);
  });

  it('an opaque marker in a directory nothing made yet makes it, empty', () => {
    expect(paths(tree([{ name: 'keep', data: 'y' }], [{ name: 'new/.wh..wh..opq' }]))).toEqual(['keep file', 'new dir']);
  });

  it('a hard link to a file an opaque directory hides keeps the file, not the hidden directory', () => {
    const t = tree([{ name: 'p/sub/f', data: 'f' }], [{ name: 'x', type: 'hardlink', link: 'p/sub/f' }, { name: 'p/.wh..wh..opq' }]);
    expect(paths(t)).toEqual(['p dir', 'x file']);
  });

  it('an opaque marker in something that is not a directory is refused', () => {
    expect(refusal(() => tree([{ name: 'f', data: 'x' }], [{ name: 'f/.wh..wh..opq' }]))).toMatch(/opaque marker in something that is not a directory/);
  });
});

describe('what each node holds', () => {
  it("a file names its bytes in the layer's tar; other nodes name none", () => {
    const tar = buildTar([
      { name: 'f', data: 'hello', link: 'junk-linkname' },
      { name: 'd', type: 'dir' },
      { name: 's', type: 'symlink', link: 'f' },
      { name: 'c', type: 'char', major: 1, minor: 3 },
      { name: 'p', type: 'fifo' },
    ]);
    const t = new Rootfs();
    t.apply(readLayer(tar), SOURCE);
    const f = t.lookup('f')!;
    expect(f).toMatchObject({ kind: 'file', size: 5, source: SOURCE, target: '' });
    expect(new TextDecoder().decode(tar.subarray(f.offset, f.offset + f.size))).toBe('hello');
    expect(t.lookup('s')).toMatchObject({ kind: 'symlink', target: 'f', size: 0, source: '', offset: 0 });
    expect(t.lookup('d')).toMatchObject({ kind: 'dir', size: 0, source: '', offset: 0, target: '' });
    expect(t.lookup('c')).toMatchObject({ kind: 'char', major: 1, minor: 3, size: 0, source: '', offset: 0, target: '' });
    expect(t.lookup('p')).toMatchObject({ kind: 'fifo', size: 0, source: '', offset: 0, target: '' });
  });

  it('the root is the tree\'s top; a hard link to it is refused even from entries readLayer did not check', () => {
    const t = new Rootfs();
    expect(t.lookup('')).toBe(t.root);
    // a lookup makes nothing on its way
    expect(t.lookup('no/such/name')).toBeUndefined();
    expect(t.root.children!.size).toBe(0);
    const entry: LayerEntry = { path: 'h', name: 'h', off: 0, kind: 'hardlink', mode: 0o644, uid: 0, gid: 0, mtime: 0, size: 0, data: 0, link: '', major: 0, minor: 0 };
    expect(refusal(() => t.apply([entry], SOURCE))).toMatch(/hard link to the root/);
  });

  it('walks names in byte order, whatever order the layer gave them', () => {
    const t = tree([{ name: 'b', data: '' }, { name: 'a/z', data: '' }, { name: 'a/Z', data: '' }, { name: '_', data: '' }, { name: 'B', data: '' }]);
    expect(paths(t).map((l) => l.split(' ')[0])).toEqual(['B', '_', 'a', 'a/Z', 'a/z', 'b']);
  });
});
