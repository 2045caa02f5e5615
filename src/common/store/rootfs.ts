// A container's read-only root filesystem as one tree: the image's layers
// applied in order, as Docker applies them onto the snapshot of their parent
// (containerd's apply over an overlay). The guest then sees one lower
// directory per image, so no overlayfs whiteout or opaque xattr is needed
// below it (v86's 9p has no xattrs).
//
// Rules, after containerd and moby's archive code:
// - names are resolved inside the tree: a symlink met on the way is followed
//   from the tree's root (absolute targets) or its directory, `..` stops at
//   the root, at most 40 links; the last component is never followed (a
//   symlink there is replaced, never written, chmodded or chowned through);
// - missing parent directories are made (0755, root);
// - an entry replaces what its name held, unless both are directories (then
//   mode, owner and mtime are updated: a merge); a directory this same layer
//   made and filled is never replaced by a non-directory (CVE-2025-47290: a
//   path swapped for a symlink mid-layer);
// - `d/.wh.n` removes `d/n` (whatever it is); `d/.wh..wh..opq` hides
//   everything under `d` that this layer does not itself put there (an
//   entry puts its name and every directory on its way), wherever in the
//   layer the marker stands; other `.wh..wh.` names (AUFS metadata) are
//   skipped;
// - a hard link shares its target's inode; the target must resolve to
//   something that is not a directory.
import { LayerError, type LayerEntry } from './layer.js';

export type NodeKind = 'dir' | 'file' | 'symlink' | 'char' | 'block' | 'fifo';

export interface Node {
  kind: NodeKind;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  /** file: where its bytes are (`source` names the layer's tar in the store) */
  size: number;
  source: string;
  offset: number;
  /** symlink target */
  target: string;
  major: number;
  minor: number;
  /** dir: its entries */
  children?: Map<string, Node>;
}

const MAX_LINKS = 40;

function dirNode(mtime = 0): Node {
  return { kind: 'dir', mode: 0o755, uid: 0, gid: 0, mtime, size: 0, source: '', offset: 0, target: '', major: 0, minor: 0, children: new Map() };
}

function fail(e: LayerEntry, why: string): never {
  throw new LayerError(`tar entry \`${e.name}\` at offset ${e.off}: ${why}`);
}

export class Rootfs {
  readonly root: Node = dirNode();
  /** while a layer is applied: the names it put in each directory (an opaque directory keeps only those) */
  private declared = new Map<Node, Set<string>>();

  private declare(dir: Node, name: string): void {
    let names = this.declared.get(dir);
    if (!names) this.declared.set(dir, (names = new Set()));
    names.add(name);
  }

  /**
   * Resolves `path` (normalised) to its parent directory and last name,
   * following symlinks in the directories on the way, making missing ones
   * when `make`. Undefined when a component is missing (and not made) or is
   * not a directory.
   */
  private parentOf(path: string, make: boolean): { dir: Node; name: string } | undefined {
    const parts = path.split('/');
    const name = parts.pop()!;
    const dir = this.walk(parts, make);
    return dir && { dir, name };
  }

  /** The directory at `parts` (symlinks followed, `..` clamped at the root). */
  private walk(parts: string[], make: boolean): Node | undefined {
    const stack: Node[] = [this.root];
    const todo = [...parts].reverse();
    let links = 0;
    while (todo.length > 0) {
      const c = todo.pop()!;
      const cur = stack[stack.length - 1]!;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        if (stack.length > 1) stack.pop();
        continue;
      }
      let next = cur.children!.get(c);
      if (!next) {
        if (!make) return undefined;
        next = dirNode();
        cur.children!.set(c, next);
      }
      // the layer puts something under this name: an opaque parent keeps
      // it (as Docker's applier makes the parent again after the marker)
      if (make) this.declare(cur, c);
      if (next.kind === 'symlink') {
        if (++links > MAX_LINKS) return undefined;
        const t = next.target.split('/');
        if (next.target.startsWith('/')) stack.length = 1;
        for (let i = t.length - 1; i >= 0; i--) todo.push(t[i]!);
        continue;
      }
      if (next.kind !== 'dir') return undefined;
      stack.push(next);
    }
    return stack[stack.length - 1];
  }

  /** The node at `path`, its last component not followed. */
  lookup(path: string): Node | undefined {
    if (path === '') return this.root;
    const p = this.parentOf(path, false);
    return p?.dir.children!.get(p.name);
  }

  /** Applies one layer's entries (checked by readLayer) whose file bytes are in `source`. */
  apply(entries: LayerEntry[], source: string): void {
    this.declared = new Map();
    // nodes this layer put in place, and the directories it made opaque
    const mine = new Set<Node>();
    const opaque: LayerEntry[] = [];
    for (const e of entries) {
      const slash = e.path.lastIndexOf('/');
      const base = e.path.slice(slash + 1);
      if (base.startsWith('.wh.')) {
        // the marker's directory is in this layer (it holds the marker): an opaque parent keeps it
        const dirPath = e.path.slice(0, Math.max(slash, 0));
        const at = dirPath === '' ? undefined : this.parentOf(dirPath, false);
        if (at) this.declare(at.dir, at.name);
        if (base === '.wh..wh..opq') opaque.push(e);
        else if (!base.startsWith('.wh..wh.')) this.whiteout(e.path.slice(0, Math.max(slash, 0)), base.slice(4));
        continue;
      }
      const at = this.parentOf(e.path, true);
      if (!at) fail(e, 'parent directory does not resolve to a directory inside the layer');
      const { dir, name } = at;
      this.declare(dir, name);
      const old = dir.children!.get(name);
      if (e.kind === 'dir') {
        if (old?.kind === 'dir') {
          Object.assign(old, { mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime });
          mine.add(old);
          continue;
        }
        const n = { ...dirNode(e.mtime), mode: e.mode, uid: e.uid, gid: e.gid };
        dir.children!.set(name, n);
        mine.add(n);
        continue;
      }
      if (old?.kind === 'dir' && old.children!.size > 0 && mine.has(old)) {
        fail(e, 'replace the existing directory: it is not empty');
      }
      let n: Node;
      if (e.kind === 'hardlink') {
        const t = this.lookup(e.link);
        if (!t) fail(e, `hard link target \`${e.link}\`: no such file in the layer or below it`);
        if (t === this.root) fail(e, 'hard link to the root');
        if (t.kind === 'dir') fail(e, `hard link to directory \`${e.link}\``);
        n = t;
      } else {
        n = {
          kind: e.kind,
          mode: e.mode,
          uid: e.uid,
          gid: e.gid,
          mtime: e.mtime,
          size: e.kind === 'file' ? e.size : 0,
          source: e.kind === 'file' ? source : '',
          offset: e.kind === 'file' ? e.data : 0,
          target: e.kind === 'symlink' ? e.link : '',
          major: e.major,
          minor: e.minor,
        };
      }
      dir.children!.set(name, n);
      mine.add(n);
    }
    for (const e of opaque) {
      const d = this.walk(e.path.split('/').slice(0, -1), true);
      if (!d) fail(e, 'opaque marker in something that is not a directory');
      prune(d, this.declared);
    }
    this.declared = new Map();
  }

  private whiteout(dirPath: string, victim: string): void {
    const d = this.walk(dirPath === '' ? [] : dirPath.split('/'), false);
    // nothing there to hide (a dangling parent): nothing to do, as Docker
    d?.children!.delete(victim);
  }
}

/** Keeps under `d` only the names this layer put there (by name: a hard link elsewhere does not keep a hidden one). */
function prune(d: Node, declared: Map<Node, Set<string>>): void {
  const names = declared.get(d);
  for (const [name, c] of d.children!) {
    if (!names?.has(name)) d.children!.delete(name);
    else if (c.kind === 'dir') prune(c, declared);
  }
}

/** Calls `f` for every node, parents before children; hard links are met once per name. */
export function walkTree(root: Node, f: (path: string, n: Node, parent: Node | undefined) => void, path = '', parent?: Node): void {
  f(path, root, parent);
  if (root.kind !== 'dir') return;
  for (const [name, c] of [...root.children!].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    walkTree(c, f, path === '' ? name : `${path}/${name}`, root);
  }
}
