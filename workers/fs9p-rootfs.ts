// Puts a snapshot's tree (src/common/store/rootfs.ts) into v86's 9p
// filesystem at `snapshots/<chain hex>`, where the guest mounts it read-only
// as a container's overlayfs lower directory. Only metadata is made here:
// every file is an inode "on storage" whose bytes v86 asks for when the
// guest reads them, and this module's storage answers from the image store
// (a byte range of the layer's tar) — so a file enters the guest's memory
// only when a process reads it.
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

/** v86's virtio-9p device (lib/9p.js), the parts used to answer a read with an error. */
export interface Virtio9pDevice {
  fids: Array<{ inodeid: number } | undefined>;
  virtqueue: { pop_request(): BufChain };
  SendError(tag: number, message: string, errno: number): void;
  SendReply(chain: BufChain): void;
}

interface BufChain {
  get_next_blob(into: Uint8Array): number;
}

/** Where file bytes come from, and who hears of a read that failed. */
export interface FileReads {
  /** `fileEnd`: where the file read ends in `source` */
  read(source: string, offset: number, length: number, fileEnd: number): Promise<Uint8Array | undefined>;
  /** a read of `path` (in the image's tree) failed: the process gets EIO */
  failed(path: string, error: Error): void;
}

/** 9P2000.L Tread, and the errno a failed read gives the guest */
const TREAD = 116;
const EIO = 5;

/** mounted trees' file paths by storage key, for messages */
const paths = new WeakMap<Fs9p, Map<string, string>>();

/**
 * Serves file bytes of mounted trees from the image store; anything else
 * (files the host wrote with create_file live in v86's own memory, not on
 * storage) still goes to v86's original storage.
 *
 * A read that fails (a lazily pulled piece refused or unreachable) must
 * reach the process as EIO. v86 has no way to say so — an exception in
 * its storage leaves the 9p request unanswered, and the reader hangs — so,
 * given the device, each Tread of a tree's file is noted as it is popped
 * (its tag, by storage key and offset), and a failed read answers that
 * request itself with Rlerror(EIO) and leaves v86's own handling waiting
 * for ever (it would otherwise reply a second time).
 */
export function useStoreForFiles(fs: Fs9p, reads: FileReads, device?: Virtio9pDevice): void {
  const original = fs.storage;
  const pending = new Map<string, Array<{ tag: number; chain: BufChain }>>();
  if (device) {
    const pop = device.virtqueue.pop_request;
    device.virtqueue.pop_request = function (this: unknown) {
      const chain = pop.call(this);
      const get = chain.get_next_blob;
      // v86 reads the whole request first thing, synchronously, when it takes it
      chain.get_next_blob = function (this: unknown, into: Uint8Array) {
        const n = get.call(this, into);
        chain.get_next_blob = get;
        if (into.length >= 23 && into[4] === TREAD) {
          const v = new DataView(into.buffer, into.byteOffset, into.length);
          const inode = fs.inodes[device.fids[v.getUint32(7, true)]?.inodeid ?? -1];
          if (inode?.status === STATUS_ON_STORAGE && isTreeKey(inode.sha256sum)) {
            const at = `${inode.sha256sum}@${v.getUint32(11, true) + v.getUint32(15, true) * 2 ** 32}`;
            pending.set(at, [...(pending.get(at) ?? []), { tag: v.getUint16(5, true), chain }]);
            // a read v86 answers without the storage (none known, but cheap to bound) must not pile up
            if (pending.size > 4096) pending.delete(pending.keys().next().value!);
          }
        }
        return n;
      };
      return chain;
    };
  }
  const take = (at: string) => {
    const list = pending.get(at);
    const first = list?.shift();
    if (list?.length === 0) pending.delete(at);
    return first;
  };
  fs.storage = {
    async read(key, offset, count, size) {
      if (!isTreeKey(key)) return original.read(key, offset, count, size);
      const colon = key.indexOf(':');
      const base = Number(key.slice(0, colon));
      const n = Math.max(0, Math.min(count, size - offset));
      const at = `${key}@${offset}`;
      try {
        const bytes = (await reads.read(key.slice(colon + 1), base + offset, n, base + size)) ?? new Uint8Array(0);
        take(at);
        return bytes;
      } catch (e) {
        reads.failed(paths.get(fs)?.get(key) ?? `(a file of ${key.slice(colon + 1)})`, e as Error);
        const req = take(at);
        if (!req || !device) throw e;
        device.SendError(req.tag, 'Input/output error', EIO);
        device.SendReply(req.chain);
        return new Promise<Uint8Array>(() => {});
      }
    },
    cache: (key, data) => original.cache(key, data),
    uncache: (key) => original.uncache(key),
  };
}

/** Storage keys of tree files: `<offset>:<source>`. */
function isTreeKey(key: string): boolean {
  const colon = key.indexOf(':');
  return colon > 0 && /^\d+$/.test(key.slice(0, colon));
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
  let names = paths.get(fs);
  if (!names) paths.set(fs, (names = new Map()));
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
          names.set(inode.sha256sum, `/${path}`);
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
