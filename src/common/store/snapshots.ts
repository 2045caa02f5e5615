// Snapshots: one applied layer each, keyed by chain id, kept by the host.
// A snapshot is the layer's uncompressed tar as it came (file bytes are read
// from it by offset when the guest reads a file) and the checked list of its
// entries; the tree a container sees is its chain's layers applied in order
// (rootfs.ts). Stored as `snapshots/<chain hex>/layer.tar`, `.../entries.json`
// and `.../info.json` (parent, sizes: what stat, list and remove read without
// the entries); info.json is written last, so a snapshot exists once it is whole.
import { sha256Hex } from '../manifest.js';
import type { Blobs } from './blobs.js';
import { checkDigest } from './content.js';
import { DEFAULT_LIMITS, LayerError, readLayer, type LayerEntry, type LayerLimits } from './layer.js';
import { Rootfs, type Node } from './rootfs.js';
import type { LazyTar } from './lazy-layer.js';

export class SnapshotError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotError';
  }
}

export interface SnapshotInfo {
  key: string;
  parent?: string;
  diffId: string;
  /** bytes of regular file data */
  size: number;
}

interface Info extends SnapshotInfo {
  /** bytes of layer.tar: a tree is only built over a whole one */
  tarSize: number;
}

export interface ApplyRequest {
  key: string;
  parent?: string;
  /** what the image config says the uncompressed layer hashes to */
  diffId: string;
  /** the layer's bytes as its blob has them, or the digest of that blob in content (HostStore) */
  layer: Uint8Array | { digest: string };
  gzip: boolean;
}

/** Inflates a gzip stream (the platform's: DecompressionStream or node:zlib). */
export type Inflate = (gz: Uint8Array) => Promise<Uint8Array>;

const dir = (key: string) => `snapshots/${checkDigest(key).slice(7)}`;
/** Where a snapshot's file bytes are: the `source` of its tree's nodes. */
export const layerTarKey = (key: string) => `${dir(key)}/layer.tar`;
const infoKey = (key: string) => `${dir(key)}/info.json`;
const entriesKey = (key: string) => `${dir(key)}/entries.json`;

const enc = new TextEncoder();
const dec = new TextDecoder();
const TREE_CACHE = 6;
/** The `source` of nodes whose bytes are in a treeWith() call's `top`. */
const TOP_SOURCE = 'top';

/** A layer mounted before it arrived (lazy-layer.ts): in memory only, until a pull stores it whole. */
interface Lazy {
  info: Info;
  entries: LayerEntry[];
  tar: LazyTar;
}

export class Snapshots {
  /** chains applied lately (most recent last): a mount right after a pull reuses them */
  private trees = new Map<string, Rootfs>();
  /** lazily mounted layers by chain id; never listed or stat'ed: a pull still fetches and stores them */
  private readonly lazy = new Map<string, Lazy>();
  /** the same, by the `source` their tree's file nodes name */
  private readonly lazyTars = new Map<string, LazyTar>();

  constructor(
    private readonly blobs: Blobs,
    private readonly inflate: Inflate,
    private readonly limits: LayerLimits = DEFAULT_LIMITS,
  ) {}

  private async info(key: string): Promise<Info | undefined> {
    const b = await this.blobs.get(infoKey(key));
    return b && (JSON.parse(dec.decode(b)) as Info);
  }

  async stat(key: string): Promise<SnapshotInfo | undefined> {
    const m = await this.info(key);
    return m && { key: m.key, ...(m.parent ? { parent: m.parent } : {}), diffId: m.diffId, size: m.size };
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    for (const k of await this.blobs.list('snapshots/')) {
      const m = /^snapshots\/([0-9a-f]{64})\/info\.json$/.exec(k);
      if (m) out.push(`sha256:${m[1]}`);
    }
    return out.sort();
  }

  /**
   * Checks and keeps one layer on top of `parent`. Refused (SnapshotError,
   * nothing kept): a layer that is not gzip when it says so, whose content
   * is not `diffId`, or that readLayer or the tree refuse.
   */
  async apply(req: ApplyRequest): Promise<SnapshotInfo> {
    const have = await this.stat(req.key);
    if (have) return have;
    if (req.parent !== undefined && !(await this.stat(req.parent))) throw new SnapshotError(`parent snapshot ${req.parent} does not exist`);
    if (!(req.layer instanceof Uint8Array)) throw new SnapshotError(`layer ${req.layer.digest}: give Snapshots.apply its bytes`);
    const blob = req.layer;
    let tar: Uint8Array;
    try {
      tar = req.gzip ? await this.inflate(blob) : blob;
    } catch (e) {
      throw new SnapshotError(`layer is not valid gzip: ${(e as Error).message}`);
    }
    const got = `sha256:${await sha256Hex(tar)}`;
    if (got !== req.diffId) throw new SnapshotError(`uncompressed content is ${got}, but the config says ${req.diffId}`);
    let entries: LayerEntry[];
    try {
      entries = readLayer(tar, this.limits);
    } catch (e) {
      if (e instanceof LayerError) throw new SnapshotError(`failed to register layer: ${e.message}`);
      throw e;
    }
    const { tree, info, size } = await this.register(req, entries, tar.length);
    await this.blobs.put(layerTarKey(req.key), tar);
    await this.blobs.put(entriesKey(req.key), enc.encode(JSON.stringify(entries)));
    await this.blobs.put(infoKey(req.key), enc.encode(JSON.stringify(info)));
    // stored whole: reads go to layer.tar from now on (same offsets)
    this.dropLazy(req.key);
    this.remember(req.key, tree);
    return { key: req.key, ...(info.parent ? { parent: info.parent } : {}), diffId: req.diffId, size };
  }

  /**
   * Mounts a layer before it has arrived: its tree from the layer's checked
   * file index, its bytes read through `tar` as the guest asks for them.
   * Kept in memory only (a reload forgets it) and never listed, so a pull
   * still downloads, checks and stores the layer, which then replaces it.
   */
  async applyLazy(req: Omit<ApplyRequest, 'layer' | 'gzip'>, tar: LazyTar): Promise<SnapshotInfo> {
    const have = (await this.stat(req.key)) ?? this.lazy.get(req.key)?.info;
    if (have) return { key: have.key, ...(have.parent ? { parent: have.parent } : {}), diffId: have.diffId, size: have.size };
    if (req.parent !== undefined && !(await this.stat(req.parent)) && !this.lazy.has(req.parent)) throw new SnapshotError(`parent snapshot ${req.parent} does not exist`);
    const entries = tar.toc.entries;
    const { tree, info, size } = await this.register(req, entries, tar.toc.tarSize);
    this.lazy.set(req.key, { info, entries, tar });
    this.lazyTars.set(layerTarKey(req.key), tar);
    this.remember(req.key, tree);
    return { key: req.key, ...(info.parent ? { parent: info.parent } : {}), diffId: req.diffId, size };
  }

  /** The tree of a layer's entries over its parent's, and its info. */
  private async register(req: Omit<ApplyRequest, 'layer' | 'gzip'>, entries: LayerEntry[], tarSize: number): Promise<{ tree: Rootfs; info: Info; size: number }> {
    let tree: Rootfs;
    try {
      tree = req.parent !== undefined ? await this.build(req.parent, true) : new Rootfs();
      tree.apply(entries, layerTarKey(req.key));
    } catch (e) {
      if (e instanceof LayerError) throw new SnapshotError(`failed to register layer: ${e.message}`);
      throw e;
    }
    const size = entries.reduce((n, e) => n + (e.kind === 'file' ? e.size : 0), 0);
    return { tree, size, info: { key: req.key, ...(req.parent !== undefined ? { parent: req.parent } : {}), diffId: req.diffId, size, tarSize } };
  }

  /** Whether `key` is mounted lazily and not yet stored whole. */
  isLazy(key: string): boolean {
    return this.lazy.has(key);
  }

  private dropLazy(key: string): void {
    if (this.lazy.delete(key)) this.lazyTars.delete(layerTarKey(key));
  }

  /**
   * `length` bytes at `offset` of a tree node's `source`: a stored
   * layer.tar, or a lazy layer's pieces (`fileEnd`: where the file read
   * ends, for LazyTar's read-ahead).
   */
  readSource(source: string, offset: number, length: number, fileEnd?: number): Promise<Uint8Array | undefined> {
    const lazy = this.lazyTars.get(source);
    return lazy ? lazy.read(offset, length, fileEnd) : this.blobs.read(source, offset, length);
  }

  /**
   * The tree of `key` (none: an empty one) with `top` (an uncompressed layer
   * tar: a container's writable layer) applied over it, and how to read a
   * file node's bytes from it. A tree of its own: the caller may change it.
   */
  async treeWith(key: string | undefined, top?: Uint8Array): Promise<{ tree: Rootfs; read: (n: Node) => Promise<Uint8Array> }> {
    const tree = key === undefined ? new Rootfs() : await this.build(key, true);
    if (top) {
      try {
        tree.apply(readLayer(top, this.limits), TOP_SOURCE);
      } catch (e) {
        if (e instanceof LayerError) throw new SnapshotError(`failed to read the writable layer: ${e.message}`);
        throw e;
      }
    }
    const read = async (n: Node) => {
      if (n.source === TOP_SOURCE && top) return top.slice(n.offset, n.offset + n.size);
      const b = await this.readSource(n.source, n.offset, n.size);
      if (!b || b.length !== n.size) throw new SnapshotError(`${n.source} is damaged in the image store (${this.blobs.where})`);
      return b;
    };
    return { tree, read };
  }

  /** The tree of the chain whose top is `key` (a cached one: do not change it). */
  tree(key: string): Promise<Rootfs> {
    return this.build(key, false);
  }

  /** The chain's tree; `fresh`: a new one the caller may change. */
  private async build(key: string, fresh: boolean): Promise<Rootfs> {
    const cached = this.trees.get(key);
    if (cached && !fresh) return cached;
    const chain: Info[] = [];
    const lazyEntries = new Map<string, LayerEntry[]>();
    for (let k: string | undefined = key; k !== undefined; ) {
      const lazy = this.lazy.get(k);
      const m: Info | undefined = (await this.info(k)) ?? lazy?.info;
      if (!m) throw new SnapshotError(`snapshot ${k} does not exist`);
      if (lazy && m === lazy.info) lazyEntries.set(k, lazy.entries);
      else if ((await this.blobs.size(layerTarKey(k))) !== m.tarSize) {
        throw new SnapshotError(`layer ${m.diffId} is damaged in the image store (${this.blobs.where}): remove the image and pull or load it again`);
      }
      chain.push(m);
      k = m.parent;
      if (chain.length > 128) throw new SnapshotError(`snapshot ${key}: chain deeper than 128 layers`);
    }
    const tree = new Rootfs();
    for (const m of chain.reverse()) {
      const lazy = lazyEntries.get(m.key);
      if (lazy) {
        tree.apply(lazy, layerTarKey(m.key));
        continue;
      }
      const entries = await this.blobs.get(entriesKey(m.key));
      if (!entries) throw new SnapshotError(`layer ${m.diffId} is damaged in the image store (${this.blobs.where}): remove the image and pull or load it again`);
      tree.apply(JSON.parse(dec.decode(entries)) as LayerEntry[], layerTarKey(m.key));
    }
    if (!fresh) this.remember(key, tree);
    return tree;
  }

  private remember(key: string, tree: Rootfs): void {
    this.trees.delete(key);
    this.trees.set(key, tree);
    while (this.trees.size > TREE_CACHE) this.trees.delete(this.trees.keys().next().value!);
  }

  /** Removes a snapshot no other snapshot is built on. */
  async remove(key: string): Promise<void> {
    for (const k of await this.list()) {
      if ((await this.info(k))?.parent === key) throw new SnapshotError(`snapshot ${key} is the parent of ${k}`);
    }
    this.trees.delete(key);
    this.dropLazy(key);
    await this.blobs.delete(infoKey(key));
    await this.blobs.delete(entriesKey(key));
    await this.blobs.delete(layerTarKey(key));
  }
}
