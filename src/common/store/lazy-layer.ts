// Lazy layers, as containerd's stargz snapshotter reads them: a layer whose
// files a container can open before the layer has arrived. At build time
// each layer's uncompressed tar is cut into fixed-size pieces, each gzipped
// on its own and kept under its sha256 (`lazy/sha256/<hex>` beside the
// bundled registry); the layer's *file index* (LazyToc: the checked tar
// entries, as entries.json holds them, and the digest of every piece) is
// gzipped and kept the same way, and its digest is recorded in what the page
// already trusts (the build info beside the catalog's manifest). So every
// byte the guest reads is checked: index by its recorded digest (and its
// diff_id against the image config), each piece by the index, with WebCrypto,
// before any of it is used. Offsets are the tar's own, so the tree made from
// the index is the tree the full layer gives once a pull has stored it.
import { sha256Hex } from '../manifest.js';
import type { LayerEntry } from './layer.js';

/** What the store needs to mount one layer lazily (plain data: it crosses to the worker). */
export interface LazyApplyRequest {
  /** the snapshot's chain id */
  key: string;
  parent?: string;
  /** the layer's diff_id from the image config: the index must say the same */
  diffId: string;
  /** the index file as served (gzip), and the digest the page trusts for it */
  toc: Uint8Array;
  tocDigest: string;
  /** URL prefix of the pieces: `${chunkBase}${hex}` */
  chunkBase: string;
}

/** A layer's file index. */
export interface LazyToc {
  schema: 1;
  diffId: string;
  /** bytes of the uncompressed tar */
  tarSize: number;
  /** uncompressed bytes per piece (the last one may be shorter) */
  chunkSize: number;
  /** each piece as served: [sha256 hex of its gzip bytes, their size] */
  chunks: Array<[string, number]>;
  entries: LayerEntry[];
}

export class LazyLayerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LazyLayerError';
  }
}

/** Pieces of a file fetched ahead of its reader (LazyTar.read). */
const READAHEAD = 4;

/** Pieces per tar: 256 KiB of tar each (README: src/web/README.md, "Lazy pulling"). */
export const LAZY_CHUNK_SIZE = 256 * 1024;
/** Where the pieces and indexes live, under the bundled registry's base URL. */
export const LAZY_DIR = 'lazy/sha256';

const HEX64 = /^[0-9a-f]{64}$/;

/** Checks an index's shape and that it is the layer `diffId`. */
export function parseToc(json: string, diffId: string): LazyToc {
  let t: LazyToc;
  try {
    t = JSON.parse(json) as LazyToc;
  } catch (e) {
    throw new LazyLayerError(`layer ${diffId}: its file index is not JSON (${(e as Error).message})`);
  }
  const bad = (why: string): never => {
    throw new LazyLayerError(`layer ${diffId}: bad file index: ${why}`);
  };
  if (t === null || typeof t !== 'object' || t.schema !== 1) bad('unknown schema');
  if (t.diffId !== diffId) bad(`it indexes ${String(t.diffId)}`);
  if (!Number.isSafeInteger(t.tarSize) || t.tarSize <= 0) bad('tar size');
  if (!Number.isSafeInteger(t.chunkSize) || t.chunkSize <= 0) bad('piece size');
  if (!Array.isArray(t.chunks) || t.chunks.length !== Math.ceil(t.tarSize / t.chunkSize)) bad('piece count');
  for (const c of t.chunks) {
    if (!Array.isArray(c) || typeof c[0] !== 'string' || !HEX64.test(c[0]) || !Number.isSafeInteger(c[1]) || c[1] <= 0) bad('piece digest');
  }
  if (!Array.isArray(t.entries)) bad('entries');
  for (const e of t.entries) {
    if (e.kind === 'file' && !(Number.isSafeInteger(e.data) && Number.isSafeInteger(e.size) && e.data >= 0 && e.size >= 0 && e.data + e.size <= t.tarSize)) {
      bad(`entry ${JSON.stringify(e.path)} lies outside the tar`);
    }
  }
  return t;
}

/** Inflates a gzip stream (the platform's). */
export type Inflate = (gz: Uint8Array) => Promise<Uint8Array>;

/** Fetches one piece by the sha256 hex of its bytes (undefined: not there). */
export type FetchChunk = (hex: string) => Promise<Uint8Array>;

/**
 * The uncompressed tar of a lazy layer, read by byte range: pieces are
 * fetched on first read (one fetch per piece however many readers wait),
 * checked, inflated and kept in a small LRU (the guest's page cache keeps
 * what it read; this serves the neighbouring 9p reads of one piece).
 */
export class LazyTar {
  private readonly cache = new Map<number, Uint8Array>();
  private readonly inflight = new Map<number, Promise<Uint8Array>>();
  /** bytes fetched so far (what the network carried) */
  fetched = 0;

  constructor(
    readonly toc: LazyToc,
    private readonly fetchChunk: FetchChunk,
    private readonly inflate: Inflate,
    private readonly keep = 32,
  ) {}

  /**
   * `length` bytes at `offset` of the tar. `fileEnd`: where the file being
   * read ends in the tar — the next pieces of it (up to READAHEAD) are
   * fetched meanwhile, as a reader of a large file (a program being
   * loaded) usually goes on, and each piece it waits for is a stall.
   */
  async read(offset: number, length: number, fileEnd?: number): Promise<Uint8Array> {
    const end = Math.min(offset + length, this.toc.tarSize);
    if (offset >= end) return new Uint8Array(0);
    const cs = this.toc.chunkSize;
    const first = Math.floor(offset / cs);
    const last = Math.floor((end - 1) / cs);
    if (fileEnd !== undefined && fileEnd > (last + 1) * cs) {
      const upTo = Math.min(last + READAHEAD, Math.floor((Math.min(fileEnd, this.toc.tarSize) - 1) / cs));
      // a failure here is the failure of the read that needs the piece, if one does
      for (let j = last + 1; j <= upTo; j++) this.chunk(j).catch(() => {});
    }
    const parts = await Promise.all(Array.from({ length: last - first + 1 }, (_, i) => this.chunk(first + i)));
    if (parts.length === 1) return parts[0]!.slice(offset - first * cs, end - first * cs);
    const out = new Uint8Array(end - offset);
    for (const [i, p] of parts.entries()) {
      const base = (first + i) * cs;
      const from = Math.max(offset, base) - base;
      const to = Math.min(end, base + p.length) - base;
      out.set(p.subarray(from, to), base + from - offset);
    }
    return out;
  }

  private chunk(i: number): Promise<Uint8Array> {
    const hit = this.cache.get(i);
    if (hit) {
      this.cache.delete(i);
      this.cache.set(i, hit);
      return Promise.resolve(hit);
    }
    let p = this.inflight.get(i);
    if (!p) {
      p = this.load(i).finally(() => this.inflight.delete(i));
      this.inflight.set(i, p);
    }
    return p;
  }

  private async load(i: number): Promise<Uint8Array> {
    const [hex, size] = this.toc.chunks[i]!;
    const what = `piece ${i + 1} of ${this.toc.chunks.length} of layer ${this.toc.diffId.slice(0, 19)}…`;
    let gz: Uint8Array;
    try {
      gz = await this.fetchChunk(hex);
    } catch (e) {
      throw new LazyLayerError(`could not fetch ${what}: ${(e as Error).message}`);
    }
    this.fetched += gz.length;
    if (gz.length !== size) throw new LazyLayerError(`${what}: the server sent ${gz.length} bytes, the layer's file index says ${size}: refused`);
    const got = await sha256Hex(gz);
    if (got !== hex) throw new LazyLayerError(`${what}: the server's copy hashes to sha256:${got.slice(0, 12)}…, the layer's file index says sha256:${hex.slice(0, 12)}…: refused (changed on the server)`);
    let raw: Uint8Array;
    try {
      raw = await this.inflate(gz);
    } catch (e) {
      throw new LazyLayerError(`${what}: not valid gzip (${(e as Error).message})`);
    }
    const want = Math.min(this.toc.chunkSize, this.toc.tarSize - i * this.toc.chunkSize);
    if (raw.length !== want) throw new LazyLayerError(`${what}: inflates to ${raw.length} bytes, not ${want}`);
    this.cache.set(i, raw);
    while (this.cache.size > this.keep) this.cache.delete(this.cache.keys().next().value!);
    return raw;
  }
}

/** Checks an index file against the digest the page trusts, then parses it. */
export async function openToc(req: Pick<LazyApplyRequest, 'toc' | 'tocDigest' | 'diffId'>, inflate: Inflate): Promise<LazyToc> {
  const got = `sha256:${await sha256Hex(req.toc)}`;
  if (got !== req.tocDigest) throw new LazyLayerError(`layer ${req.diffId}: its file index hashes to ${got}, the build recorded ${req.tocDigest}: refused`);
  let json: Uint8Array;
  try {
    json = await inflate(req.toc);
  } catch (e) {
    throw new LazyLayerError(`layer ${req.diffId}: its file index is not valid gzip (${(e as Error).message})`);
  }
  return parseToc(new TextDecoder().decode(json), req.diffId);
}
