// Puts a snapshot's tree (src/common/store/rootfs.ts) into v86's 9p
// filesystem at `snapshots/<chain hex>`, where the guest mounts it read-only
// as a container's overlayfs lower directory. Only metadata is made here:
// every file is an inode "on storage" whose bytes v86 asks for when the
// guest reads them, and this module's storage answers from the image store
// (a byte range of the layer's tar) — so a file enters the guest's memory
// only when a process reads it.
import type { Blobs } from '../src/common/store/blobs.js';
import { walkTree, type Node, type Rootfs } from '../src/common/store/rootfs.js';

/** The parts of v86's FS (lib/filesystem.js) used here; the names survive its minified build. */
interface FsInode {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  atime: number;
  ctime: number;
  size: number;
  status: number;
  sha256sum: string;
  symlink: string;
}

interface FileStorage {
  read(key: string, offset: number, count: number, size: number): Promise<Uint8Array | null>;
  cache(key: string, data: Uint8Array): Promise<void>;
  uncache(key: string): void;
}

export interface Fs9p {
  storage: FileStorage;
  inodes: FsInode[];
  SearchPath(path: string): { id: number; parentid: number };
  CreateDirectory(name: string, parentid: number): number;
  CreateFile(name: string, parentid: number): number;
  CreateSymlink(name: string, parentid: number, target: string): number;
  CreateNode(name: string, parentid: number, major: number, minor: number): number;
  Link(parentid: number, targetid: number, name: string): number;
  RecursiveDelete(path: string): void;
  Unlink(parentid: number, name: string): number;
}

/** lib/filesystem.js: the inode's data is read through `storage` */
const STATUS_ON_STORAGE = 2;
const S_IF: Record<Node['kind'], number> = { dir: 0o040000, file: 0o100000, symlink: 0o120000, char: 0o020000, block: 0o060000, fifo: 0o010000 };

export const SNAPSHOTS_DIR = 'snapshots';

/** The storage key of a file: where its bytes start in which blob. */
function storageKey(n: Node): string {
  return `${n.offset}:${n.source}`;
}

/**
 * Serves file bytes of mounted trees from the image store; anything else
 * (files the host wrote with create_file live in v86's own memory, not on
 * storage) still goes to v86's original storage.
 */
export function useStoreForFiles(fs: Fs9p, blobs: Blobs): void {
  const original = fs.storage;
  fs.storage = {
    async read(key, offset, count, size) {
      const colon = key.indexOf(':');
      if (colon < 0 || !/^\d+$/.test(key.slice(0, colon))) return original.read(key, offset, count, size);
      const base = Number(key.slice(0, colon));
      const n = Math.max(0, Math.min(count, size - offset));
      return (await blobs.read(key.slice(colon + 1), base + offset, n)) ?? new Uint8Array(0);
    },
    cache: (key, data) => original.cache(key, data),
    uncache: (key) => original.uncache(key),
  };
}

/** Whether `snapshots/<hex>` of `key` is in the 9p filesystem already. */
export function isMounted(fs: Fs9p, key: string): boolean {
  return fs.SearchPath(`${SNAPSHOTS_DIR}/${key.replace(/^sha256:/, '')}`).id >= 0;
}

/** Makes `snapshots/<hex>` from `tree` unless it is there already. */
export function mountTree(fs: Fs9p, key: string, tree: Rootfs): void {
  const hex = key.replace(/^sha256:/, '');
  let top = fs.SearchPath(SNAPSHOTS_DIR).id;
  if (top < 0) {
    top = fs.CreateDirectory(SNAPSHOTS_DIR, 0);
    Object.assign(fs.inodes[top]!, { mode: S_IF.dir | 0o700, uid: 0, gid: 0 });
  }
  if (fs.SearchPath(`${SNAPSHOTS_DIR}/${hex}`).id >= 0) return;
  const ids = new Map<Node, number>();
  try {
    walkTree(tree.root, (path, n, parent) => {
      const name = path === '' ? hex : path.slice(path.lastIndexOf('/') + 1);
      const parentId = parent ? ids.get(parent)! : top;
      const linked = ids.get(n);
      if (linked !== undefined) {
        if (fs.Link(parentId, linked, name) < 0) throw new Error(`hard link \`${path}\``);
        return;
      }
      let id: number;
      switch (n.kind) {
        case 'dir':
          id = fs.CreateDirectory(name, parentId);
          break;
        case 'file':
          id = fs.CreateFile(name, parentId);
          break;
        case 'symlink':
          id = fs.CreateSymlink(name, parentId, n.target);
          break;
        default:
          id = fs.CreateNode(name, parentId, n.major, n.minor);
      }
      const inode = fs.inodes[id]!;
      inode.mode = S_IF[n.kind] | n.mode;
      inode.uid = n.uid;
      inode.gid = n.gid;
      inode.mtime = inode.atime = inode.ctime = n.mtime;
      if (n.kind === 'file') {
        inode.size = n.size;
        if (n.size > 0) {
          inode.status = STATUS_ON_STORAGE;
          inode.sha256sum = storageKey(n);
        }
      } else if (n.kind === 'symlink') {
        inode.mode = S_IF.symlink | 0o777;
        inode.size = new TextEncoder().encode(n.target).length;
      }
      ids.set(n, id);
    });
  } catch (e) {
    fs.RecursiveDelete(`${SNAPSHOTS_DIR}/${hex}`);
    fs.Unlink(top, hex);
    throw e;
  }
}
