// The host-side image store: containerd's content, snapshots and images
// nouns, kept by the host (the VM worker) in a Blobs backend — on disk for
// the CLI, in origin storage in the page — so images cost the guest's RAM
// only for the files its containers read.
import type { Blobs } from './blobs.js';
import { Content } from './content.js';
import { ImageRecords } from './images.js';
import { SnapshotError, Snapshots, type ApplyRequest, type Inflate, type SnapshotInfo } from './snapshots.js';
import { normalise, type LayerLimits } from './layer.js';
import type { NodeKind } from './rootfs.js';
import { TarBuilder, treeItems } from './layer-write.js';
import { LazyTar, openToc, type LazyApplyRequest } from './lazy-layer.js';

/** GETs a URL's bytes (the platform's fetch); rejects on anything but 200. */
export type FetchBytes = (url: string) => Promise<Uint8Array>;

/** What the runtime asks of the store (across the worker boundary: plain data only). */
export interface StoreApi {
  contentPut(digest: string, bytes: Uint8Array): Promise<void>;
  contentGet(digest: string): Promise<Uint8Array | undefined>;
  contentRemove(digest: string): Promise<void>;
  contentList(): Promise<Array<{ digest: string; size: number }>>;
  snapshotApply(req: ApplyRequest): Promise<SnapshotInfo>;
  /** Mounts a layer before it has arrived (lazy-layer.ts); in memory only, never listed. */
  snapshotApplyLazy(req: LazyApplyRequest): Promise<SnapshotInfo>;
  /** Why reads of lazily mounted files failed since last asked (each names the file), oldest first. */
  lazyFailures(): Promise<string[]>;
  snapshotStat(key: string): Promise<SnapshotInfo | undefined>;
  snapshotList(): Promise<string[]>;
  snapshotRemove(key: string): Promise<void>;
  /**
   * A tar of what is at `path` in the tree of snapshot `key` (undefined: an
   * empty tree) with `top` (a container's writable layer) applied over it:
   * entries named from the path's last component, as `docker cp` writes
   * them, or with `path` '' every entry of the tree (`docker export`).
   * Symlinks in the path's directories are followed inside the tree, the
   * last component is not. Undefined when nothing is there.
   */
  snapshotArchive(key: string | undefined, path: string, top?: Uint8Array): Promise<Uint8Array | undefined>;
  /** What is at each path in the tree of `key` (kind, mode, mtime), or undefined where nothing is. */
  snapshotLookup(key: string, paths: string[]): Promise<Array<PathStat | undefined>>;
  imagePut(name: string, record: Uint8Array): Promise<void>;
  imageList(): Promise<Array<{ name: string; record: Uint8Array }>>;
  imageRemove(name: string): Promise<void>;
  /** Where the store is, for messages and `docker info`. */
  where(): Promise<string>;
}

export interface PathStat {
  kind: NodeKind;
  mode: number;
  mtime: number;
  uid: number;
  gid: number;
}

export class HostStore implements StoreApi {
  readonly content: Content;
  readonly snapshots: Snapshots;
  readonly images: ImageRecords;
  private failures: string[] = [];

  constructor(
    readonly blobs: Blobs,
    private readonly inflate: Inflate,
    limits?: LayerLimits,
    /** how lazy layers fetch their pieces (none: lazy layers are refused) */
    private readonly fetchBytes?: FetchBytes,
  ) {
    this.content = new Content(blobs);
    this.snapshots = new Snapshots(blobs, inflate, limits);
    this.images = new ImageRecords(blobs);
  }

  contentPut(digest: string, bytes: Uint8Array) {
    return this.content.put(digest, bytes);
  }
  contentGet(digest: string) {
    return this.content.get(digest);
  }
  contentRemove(digest: string) {
    return this.content.remove(digest);
  }
  contentList() {
    return this.content.list();
  }
  /** A layer named by digest is read from content: only what the store checked and kept is applied. */
  async snapshotApply(req: ApplyRequest) {
    if (req.layer instanceof Uint8Array) return this.snapshots.apply(req);
    const bytes = await this.content.get(req.layer.digest);
    if (!bytes) throw new SnapshotError(`layer ${req.layer.digest} is not in the image store's content`);
    return this.snapshots.apply({ ...req, layer: bytes });
  }
  async snapshotApplyLazy(req: LazyApplyRequest): Promise<SnapshotInfo> {
    if (!this.fetchBytes) throw new SnapshotError('this image store cannot fetch lazy layers');
    const fetchBytes = this.fetchBytes;
    const toc = await openToc(req, this.inflate);
    const tar = new LazyTar(toc, (hex) => fetchBytes(`${req.chunkBase}${hex}`), this.inflate);
    return this.snapshots.applyLazy({ key: req.key, ...(req.parent !== undefined ? { parent: req.parent } : {}), diffId: req.diffId }, tar);
  }
  /** A failed read of a lazily mounted file, for lazyFailures() (the last 20 kept). */
  noteLazyFailure(message: string): void {
    this.failures.push(message);
    if (this.failures.length > 20) this.failures.shift();
  }
  async lazyFailures(): Promise<string[]> {
    return this.failures.splice(0);
  }
  snapshotStat(key: string) {
    return this.snapshots.stat(key);
  }
  snapshotList() {
    return this.snapshots.list();
  }
  snapshotRemove(key: string) {
    return this.snapshots.remove(key);
  }
  async snapshotArchive(key: string | undefined, path: string, top?: Uint8Array): Promise<Uint8Array | undefined> {
    const { tree, read } = await this.snapshots.treeWith(key, top);
    const p = normalise(path) ?? '';
    const node = tree.lookup(p);
    if (!node) return undefined;
    const t = new TarBuilder();
    for (const item of await treeItems(node, p === '' ? '' : p.slice(p.lastIndexOf('/') + 1), read)) t.add(item);
    return t.finish();
  }
  async snapshotLookup(key: string, paths: string[]): Promise<Array<PathStat | undefined>> {
    const tree = await this.snapshots.tree(key);
    return paths.map((p) => {
      const n = tree.lookup(normalise(p) ?? '');
      return n && { kind: n.kind, mode: n.mode, mtime: n.mtime, uid: n.uid, gid: n.gid };
    });
  }
  imagePut(name: string, record: Uint8Array) {
    return this.images.put(name, record);
  }
  imageList() {
    return this.images.list();
  }
  imageRemove(name: string) {
    return this.images.remove(name);
  }
  async where() {
    return this.blobs.where;
  }
}
