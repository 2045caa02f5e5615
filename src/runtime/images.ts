// Images: pull from a registry source (verify every blob before use), load
// and save OCI-layout archives, list, tag and remove. The image store itself
// (content, snapshots, image records) is the host's: src/common/store/,
// kept by the VM worker on disk or in origin storage, so it outlives the VM.
import { canonicalString, familiarName, familiarString, parseReference, type Reference } from '../common/oci/reference.js';
import {
  ANNOTATION_IMAGE_NAME,
  ANNOTATION_REF_NAME,
  GUEST_PLATFORM,
  GZIP_LAYER_TYPES,
  MediaType,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from '../common/oci/types.js';
import { sha256Hex } from '../common/manifest.js';
import { chainIds, checkBlobSize, ImageError, parseConfig, parseIndex, parseIndexOrManifest, platformMatches, verifyBlob } from '../common/oci/verify.js';
import type { PathStat, StoreApi } from '../common/store/host-store.js';
import { readTar, writeTar, TarError } from '../common/tar.js';
import { DockerError, NoSuchImageError } from './errors.js';
import type { ImageSource, Resolved } from './registry.js';

/** What the store keeps per image name. */
export interface ImageRecord {
  /** canonical name: docker.io/library/busybox:latest */
  name: string;
  /** docker's image id: the config digest */
  id: string;
  repoDigest: string;
  manifest: Descriptor;
  config: Descriptor;
  layers: Descriptor[];
  diffIds: string[];
  chainIds: string[];
  /** the image config's `config` (Cmd, Entrypoint, Env, …) */
  runConfig: NonNullable<ImageConfig['config']>;
  created: string;
  architecture: string;
  os: string;
  /** uncompressed bytes of all layers */
  size: number;
}

/** The image store as the runtime sees it (the worker's, or one in memory in tests). */
export type ImageBackend = StoreApi;

/**
 * A blob of the image being pulled or loaded, checked against its descriptor
 * before it is used — except the sha256 of a layer, which the store computes
 * anyway when it keeps it (contentPut) and before it applies it.
 */
type BlobSource = (d: Descriptor, o?: { hashedByStore?: boolean; onProgress?: (n: number) => void }) => Promise<Uint8Array>;

interface UnpackOptions {
  signal?: AbortSignal;
  /** from a registry over the network: say how the download goes */
  remote?: boolean;
}

/** Layers fetched at once (docker's max-concurrent-downloads default). */
export const PARALLEL_DOWNLOADS = 3;

/** Errors of the store that are about the image, not the store: the user's to fix. */
const IMAGE_ERRORS = new Set(['SnapshotError', 'LayerError', 'ContentError']);

/** One row of `docker history`. */
export interface HistoryEntry {
  /** the image id on the newest row, `<missing>` on the others (as docker shows pulled images) */
  id: string;
  created: string;
  createdBy: string;
  size: number;
  comment: string;
}

export type LayerStatus = 'Already exists' | 'Pulling fs layer' | 'Downloading' | 'Verifying Checksum' | 'Download complete' | 'Pull complete' | typeof LAZY_STATUS;

/** A layer mounted before it arrived (a lazy pull): not one of docker's words, as nothing was downloaded yet. */
export const LAZY_STATUS = 'Mounted lazily (files fetched as they are read)';

export interface PullOptions {
  /**
   * Mount the image's missing layers lazily where the source can (its files
   * fetched, checked, when first read) and return at once; the image is
   * kept (listed, persisted) only once completeLazy() or a pull has fetched
   * it whole. A source without lazy layers is pulled whole as usual.
   */
  lazy?: boolean;
}

/** A pull under way that others may join (a lazy image completing in the background, then `docker pull` of it). */
interface Running {
  promise: Promise<ImageRecord>;
  listeners: Set<(e: PullEvent) => void>;
}

export type PullEvent =
  | { kind: 'resolving'; ref: string }
  | { kind: 'layer'; id: string; status: LayerStatus; bytes?: number; current?: number; total?: number }
  | { kind: 'done'; digest: string; ref: string; upToDate: boolean };

const dec = new TextDecoder();
const enc = new TextEncoder();

/** Build cache records are kept as images under this name (never shown, never a reference users type). */
const BUILD_CACHE = 'dockyard-build-cache/';

export class ImageStore {
  /**
   * The image records as last read. Every change to them goes through this
   * class (imagePut, imageRemove), which drops it, so `docker run` finds its
   * image without a round trip to the worker. Another process sharing the
   * store (a second CLI on one $DOCKYARD_HOME) is seen after forget().
   */
  private cached: Promise<ImageRecord[]> | undefined;
  /** images mounted lazily and not yet stored whole, by name; with how to complete them */
  private readonly lazy = new Map<string, { record: ImageRecord; complete: (onEvent: (e: PullEvent) => void) => Promise<ImageRecord> }>();
  /** pulls under way, by record name */
  private readonly running = new Map<string, Running>();

  constructor(private readonly store: ImageBackend) {}

  /** Forgets what was read (a new VM: see Dockyard.recover). */
  forget(): void {
    this.cached = undefined;
    this.lazy.clear();
  }

  /** The lazily mounted image `ref` names (not yet stored whole), if any. */
  findLazy(ref: string): ImageRecord | undefined {
    try {
      return this.lazy.get(recordName(parseReference(ref)))?.record;
    } catch {
      return undefined;
    }
  }

  /** Whether `img` is mounted lazily, not yet stored whole. */
  isLazy(img: ImageRecord): boolean {
    return [...this.lazy.values()].some((l) => l.record === img);
  }

  /**
   * Starts fetching every lazily mounted image whole, in the background
   * (one pull each; `docker pull` of one joins it). Resolves when they are
   * stored; a failure leaves that image lazy (a later pull says why).
   */
  completeLazy(): Promise<void> {
    return Promise.allSettled(
      [...this.lazy.entries()].map(([name, l]) => this.running.get(name)?.promise ?? this.track(name, l.complete, () => {})),
    ).then(() => {});
  }

  /** Why reads of lazily pulled files failed since last asked (each names the file). */
  lazyFailures(): Promise<string[]> {
    return this.store.lazyFailures();
  }

  /** Runs `pull` as the pull of `name` others can join; `onEvent` hears it, and so does each joiner. */
  private track(name: string, pull: (onEvent: (e: PullEvent) => void) => Promise<ImageRecord>, onEvent: (e: PullEvent) => void): Promise<ImageRecord> {
    const listeners = new Set([onEvent]);
    const promise = pull((e) => {
      for (const l of listeners) l(e);
    }).finally(() => this.running.delete(name));
    this.running.set(name, { promise, listeners });
    return promise;
  }

  /** The images (build cache records left out). */
  async list(): Promise<ImageRecord[]> {
    return (await this.all()).filter((r) => !r.name.startsWith(BUILD_CACHE));
  }

  /** Every record, the build cache's too: what decides which data is still used. */
  private async all(): Promise<ImageRecord[]> {
    const p = (this.cached ??= this.read());
    try {
      return [...(await p)];
    } catch (e) {
      if (this.cached === p) this.cached = undefined;
      throw e;
    }
  }

  /** A change to the records: nothing read before it (or while it runs) is kept. */
  private async change(f: () => Promise<void>): Promise<void> {
    this.cached = undefined;
    try {
      await f();
    } finally {
      this.cached = undefined;
    }
  }

  private async read(): Promise<ImageRecord[]> {
    const out: ImageRecord[] = [];
    for (const { record } of await this.store.imageList()) {
      try {
        out.push(JSON.parse(dec.decode(record)) as ImageRecord);
      } catch {
        // a record this version cannot read: left alone, not shown
      }
    }
    return out;
  }

  /** Finds an image by name, `name@digest`, full or short id. */
  async find(ref: string): Promise<ImageRecord | undefined> {
    const all = await this.list();
    const id = ref.replace(/^sha256:/, '');
    if (/^[0-9a-f]{12,64}$/.test(id)) {
      const byId = all.filter((r) => r.id.slice(7).startsWith(id));
      if (byId.length > 0) return byId[0];
    }
    let r: Reference;
    try {
      r = parseReference(ref);
    } catch {
      return undefined;
    }
    if (r.digest) return all.find((x) => x.repoDigest.endsWith(r.digest!) && x.name.startsWith(`${r.domain}/${r.path}`));
    return all.find((x) => x.name === canonicalString(r));
  }

  /**
   * `docker pull`: resolves the reference at its source, picks the linux/386
   * manifest of an index, fetches the layers in parallel (every blob checked
   * against its descriptor before the store keeps it) and applies them in
   * order. All or nothing: a failure or `signal` leaves no part of the image.
   */
  async pull(src: ImageSource, input: string, onEvent: (e: PullEvent) => void = () => {}, signal?: AbortSignal, opts: PullOptions = {}): Promise<ImageRecord> {
    const ref = parseReference(input);
    const name = recordName(ref);
    const lazy = this.lazy.get(name);
    if (opts.lazy && lazy) return lazy.record;
    const running = this.running.get(name);
    if (running) {
      // a background pull of this image is under way: follow it (Ctrl-C stops following, not the pull)
      onEvent({ kind: 'resolving', ref: familiarString(ref) });
      running.listeners.add(onEvent);
      const stop = new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(new DockerError('context canceled')), { once: true }));
      try {
        return await Promise.race([running.promise, stop]);
      } finally {
        running.listeners.delete(onEvent);
      }
    }
    return this.track(name, (events) => this.pullNow(src, input, events, signal, opts), onEvent);
  }

  private async pullNow(src: ImageSource, input: string, onEvent: (e: PullEvent) => void, signal: AbortSignal | undefined, opts: PullOptions): Promise<ImageRecord> {
    const ref = parseReference(input);
    onEvent({ kind: 'resolving', ref: familiarString(ref) });
    const top = await src.resolve(ref, signal);
    await verifyBlob(top.desc, top.bytes);
    const fetchVerified: BlobSource = async (d, o) => {
      const b = await top.blob(d, { ...(signal ? { signal } : {}), ...(o?.onProgress ? { onProgress: o.onProgress } : {}) });
      if (o?.hashedByStore) checkBlobSize(d, b);
      else await verifyBlob(d, b);
      return b;
    };
    const child = async (d: Descriptor) => {
      const b = await top.manifest(d, signal ? { signal } : {});
      await verifyBlob(d, b);
      return b;
    };
    const { manifest, manifestDesc, manifestBytes } = await resolveManifest(top.desc, top.bytes, child, src.runnable);
    const have = await this.find(input);
    if (have && have.manifest.digest === manifestDesc.digest) {
      onEvent({ kind: 'done', digest: top.desc.digest, ref: familiarString(ref), upToDate: true });
      return have;
    }
    const configBytes = await fetchVerified(manifest.config);
    if (opts.lazy && top.lazyLayer) {
      const record = await this.mountLazy(ref, manifestDesc, manifest, configBytes, top.lazyLayer, onEvent, top.desc.digest);
      if (record) {
        this.lazy.set(recordName(ref), { record, complete: (events) => this.pullNow(src, input, events, undefined, {}) });
        onEvent({ kind: 'done', digest: top.desc.digest, ref: familiarString(ref), upToDate: false });
        return record;
      }
    }
    const image = await this.ingest(ref, manifestDesc, manifestBytes, manifest, configBytes, fetchVerified, onEvent, {
      topDigest: top.desc.digest,
      remote: !top.local,
      ...(signal ? { signal } : {}),
    });
    this.lazy.delete(recordName(ref));
    onEvent({ kind: 'done', digest: top.desc.digest, ref: familiarString(ref), upToDate: false });
    return image;
  }

  /**
   * Mounts the layers the store lacks lazily (none of them downloaded); the
   * record is returned, not kept. Undefined when some missing layer has no
   * lazy form, or none is missing (then the caller pulls it whole).
   */
  private async mountLazy(
    ref: Reference,
    manifestDesc: Descriptor,
    manifest: ImageManifest,
    configBytes: Uint8Array,
    lazyLayer: NonNullable<Resolved['lazyLayer']>,
    onEvent: (e: PullEvent) => void,
    topDigest: string,
  ): Promise<ImageRecord | undefined> {
    const config = parseConfig(configBytes, manifest.config, manifest.layers.length);
    checkPlatform(ref, config);
    const chain = await chainIds(config.rootfs.diff_ids);
    const have = new Set(await this.store.snapshotList());
    const sources = await Promise.all(manifest.layers.map((l, i) => (have.has(chain[i]!) ? undefined : lazyLayer(l))));
    // every layer here already (an ordinary pull costs nothing more), or one that has no lazy form
    if (sources.every((x) => x === undefined) || manifest.layers.some((_, i) => !have.has(chain[i]!) && !sources[i])) return undefined;
    let size = 0;
    for (const [i, layer] of manifest.layers.entries()) {
      const id = layer.digest.slice(7, 19);
      const source = sources[i];
      if (!source) {
        onEvent({ kind: 'layer', id, status: 'Already exists' });
        size += (await this.store.snapshotStat(chain[i]!))?.size ?? 0;
        continue;
      }
      try {
        const info = await this.store.snapshotApplyLazy({ key: chain[i]!, ...(i > 0 ? { parent: chain[i - 1]! } : {}), diffId: config.rootfs.diff_ids[i]!, ...source });
        size += info.size;
      } catch (e) {
        if (e instanceof Error && (IMAGE_ERRORS.has(e.name) || e.name === 'LazyLayerError')) throw new ImageError(`layer ${layer.digest}: ${e.message}`);
        throw e;
      }
      onEvent({ kind: 'layer', id, status: LAZY_STATUS });
    }
    return recordOf(recordName({ ...ref, digest: undefined } as Reference), `${ref.domain}/${ref.path}@${topDigest}`, manifestDesc, manifest, config, chain, size);
  }

  /**
   * Verifies and unpacks one image into the guest: layers as snapshots
   * (skipping those already there), blobs into content, then the record.
   */
  private async ingest(
    ref: Reference,
    manifestDesc: Descriptor,
    manifestBytes: Uint8Array,
    manifest: ImageManifest,
    configBytes: Uint8Array,
    blob: BlobSource,
    onEvent: (e: PullEvent) => void,
    o: UnpackOptions & { topDigest?: string } = {},
  ): Promise<ImageRecord> {
    const config = parseConfig(configBytes, manifest.config, manifest.layers.length);
    checkPlatform(ref, config);
    const chain = await chainIds(config.rootfs.diff_ids);
    const made: string[] = [];
    let size: number;
    try {
      size = await this.unpack(manifest.layers, config.rootfs.diff_ids, chain, blob, onEvent, made, o);
      await this.putContent(manifest.config, configBytes);
      await this.putContent(manifestDesc, manifestBytes);
      if (o.signal?.aborted) throw new DockerError('context canceled');
    } catch (e) {
      // all or nothing: what this image added goes again (not what other images use)
      for (const key of made.reverse()) await this.store.snapshotRemove(key).catch(() => {});
      const used = new Set((await this.all()).flatMap(blobsOf));
      for (const d of [...manifest.layers.map((l) => l.digest), manifest.config.digest, manifestDesc.digest]) {
        if (!used.has(d)) await this.store.contentRemove(d).catch(() => {});
      }
      if (e instanceof Error && e.name === 'StoreFullError') throw new DockerError(`${e.message}: remove images you no longer need (docker rmi, docker image prune)`);
      throw e;
    }
    const record = recordOf(recordName({ ...ref, digest: undefined } as Reference), `${ref.domain}/${ref.path}@${o.topDigest ?? manifestDesc.digest}`, manifestDesc, manifest, config, chain, size);
    if (ref.tag !== undefined || !ref.digest) await this.putRecord(record);
    else await this.putRecord({ ...record, name: `${ref.domain}/${ref.path}@${ref.digest}` });
    return record;
  }

  /**
   * Fetches the layers (PARALLEL_DOWNLOADS at a time, as docker does), each
   * kept by the store once its size and digest are right, and applies them
   * in order as snapshots (skipping those already there); returns the
   * image's unpacked size. Snapshots it made are pushed onto `made`. On a
   * failure the downloads still running are stopped and waited for, so the
   * caller's undo sees everything they stored.
   */
  private async unpack(
    layers: Descriptor[],
    diffIds: string[],
    chain: string[],
    blob: BlobSource,
    onEvent: (e: PullEvent) => void,
    made: string[],
    o: UnpackOptions,
  ): Promise<number> {
    const have = new Set(await this.store.snapshotList());
    const haveContent = new Set((await this.store.contentList()).map((c) => c.digest));
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const short = (l: Descriptor) => l.digest.slice(7, 19);
    // over the network a layer the store has is not fetched again (docker's
    // "Already exists"); what an archive or the bundled registry hands over
    // is checked all the same, so a tampered copy is refused
    const skip = layers.map((l, i) => o.remote === true && have.has(chain[i]!) && haveContent.has(l.digest));
    // what the user sees: layers the store has already "Already exist", the others download
    const shown = new Set<string>();
    for (const [i, l] of layers.entries()) {
      if (have.has(chain[i]!)) onEvent({ kind: 'layer', id: short(l), status: 'Already exists' });
      else if (!shown.has(l.digest)) {
        shown.add(l.digest);
        onEvent({ kind: 'layer', id: short(l), status: 'Pulling fs layer' });
      }
    }
    // one download per distinct blob, PARALLEL_DOWNLOADS at a time
    const downloads = new Map<string, Promise<void>>();
    let slots = PARALLEL_DOWNLOADS;
    const queue: Array<() => void> = [];
    const slot = async () => {
      if (slots > 0) slots--;
      else await new Promise<void>((r) => queue.push(r));
    };
    const release = () => {
      const next = queue.shift();
      if (next) next();
      else slots++;
    };
    const download = async (l: Descriptor) => {
      await slot();
      try {
        if (stop.signal.aborted) throw new DockerError('context canceled');
        let last = 0;
        const step = Math.max(l.size / 50, 64 * 1024);
        const onProgress = o.remote && shown.has(l.digest)
          ? (n: number) => {
              if (n - last < step && n < l.size) return;
              last = n;
              onEvent({ kind: 'layer', id: short(l), status: 'Downloading', current: n, total: l.size });
            }
          : undefined;
        const bytes = await blob(l, { hashedByStore: true, ...(onProgress ? { onProgress } : {}) });
        if (stop.signal.aborted) throw new DockerError('context canceled');
        if (o.remote && shown.has(l.digest)) onEvent({ kind: 'layer', id: short(l), status: 'Verifying Checksum' });
        // a layer is hashed once, by the store, which then applies what it kept
        await this.putContent(l, bytes);
        if (shown.has(l.digest)) onEvent({ kind: 'layer', id: short(l), status: 'Download complete', bytes: bytes.length });
      } finally {
        release();
      }
    };
    for (const [i, l] of layers.entries()) {
      if (!skip[i] && !downloads.has(l.digest)) {
        const p = download(l);
        p.catch(() => stop.abort());
        downloads.set(l.digest, p);
      }
    }
    let size = 0;
    try {
      for (const [i, layer] of layers.entries()) {
        const key = chain[i]!;
        await downloads.get(layer.digest);
        if (have.has(key)) {
          size += (await this.store.snapshotStat(key))?.size ?? 0;
          continue;
        }
        if (stop.signal.aborted) throw new DockerError('context canceled');
        try {
          const applied = await this.store.snapshotApply({
            key,
            ...(i > 0 ? { parent: chain[i - 1]! } : {}),
            diffId: diffIds[i]!,
            layer: { digest: layer.digest },
            gzip: GZIP_LAYER_TYPES.includes(layer.mediaType),
          });
          size += applied.size;
        } catch (e) {
          if (e instanceof Error && IMAGE_ERRORS.has(e.name)) throw new ImageError(`layer ${layer.digest}: ${e.message}`);
          throw e;
        }
        have.add(key);
        made.push(key);
        onEvent({ kind: 'layer', id: short(layer), status: 'Pull complete' });
      }
    } catch (e) {
      stop.abort();
      await Promise.allSettled(downloads.values());
      throw e;
    } finally {
      o.signal?.removeEventListener('abort', onAbort);
    }
    return size;
  }

  /** Keeps a blob; the store refuses one that does not hash to its digest. */
  private async putContent(desc: Descriptor, bytes: Uint8Array): Promise<void> {
    try {
      await this.store.contentPut(desc.digest, bytes);
    } catch (e) {
      if (e instanceof Error && IMAGE_ERRORS.has(e.name)) throw new ImageError(e.message);
      throw e;
    }
  }

  private async putRecord(r: ImageRecord): Promise<void> {
    await this.change(() => this.store.imagePut(r.name, enc.encode(JSON.stringify(r))));
  }

  /**
   * Makes an image as `docker commit` and `docker build` do: `parent`'s
   * layers (none: FROM scratch) and `layers` (uncompressed tars, kept as
   * they are: OCI `layer.v1.tar`), with `config` (its rootfs is filled in
   * here). Named `name` (a reference), or dangling without one, or with
   * `record: false` not named at all (a build's step: see name()). All or
   * nothing: what it added goes again if any step fails.
   */
  async create(o: { name?: string; parent?: ImageRecord; config: Omit<ImageConfig, 'rootfs'>; layers: Uint8Array[]; record?: boolean }): Promise<ImageRecord> {
    const diffIds = [...(o.parent?.diffIds ?? [])];
    const descs = [...(o.parent?.layers ?? [])];
    const fresh: Array<{ desc: Descriptor; bytes: Uint8Array }> = [];
    for (const bytes of o.layers) {
      const digest = `sha256:${await sha256Hex(bytes)}`;
      const desc = { mediaType: MediaType.layerTar, digest, size: bytes.length };
      diffIds.push(digest);
      descs.push(desc);
      fresh.push({ desc, bytes });
    }
    const chain = await chainIds(diffIds);
    const config: ImageConfig = { ...o.config, rootfs: { type: 'layers', diff_ids: diffIds } };
    const configBytes = enc.encode(JSON.stringify(config));
    const configDesc = { mediaType: MediaType.config, digest: `sha256:${await sha256Hex(configBytes)}`, size: configBytes.length };
    const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.manifest, config: configDesc, layers: descs };
    const manifestBytes = enc.encode(JSON.stringify(manifest));
    const manifestDesc = { mediaType: MediaType.manifest, digest: `sha256:${await sha256Hex(manifestBytes)}`, size: manifestBytes.length };
    const base = o.parent?.layers.length ?? 0;
    const have = new Set(await this.store.snapshotList());
    const made: string[] = [];
    const put: string[] = [];
    let size = 0;
    for (const k of chain.slice(0, base)) size += (await this.store.snapshotStat(k))?.size ?? 0;
    try {
      for (const [i, { desc, bytes }] of fresh.entries()) {
        const key = chain[base + i]!;
        await this.putContent(desc, bytes);
        put.push(desc.digest);
        if (!have.has(key)) {
          size += (await this.store.snapshotApply({ key, ...(base + i > 0 ? { parent: chain[base + i - 1]! } : {}), diffId: desc.digest, layer: { digest: desc.digest }, gzip: false })).size;
          made.push(key);
          have.add(key);
        } else size += (await this.store.snapshotStat(key))?.size ?? 0;
      }
      await this.putContent(configDesc, configBytes);
      put.push(configDesc.digest);
      await this.putContent(manifestDesc, manifestBytes);
      put.push(manifestDesc.digest);
    } catch (e) {
      for (const key of made.reverse()) await this.store.snapshotRemove(key).catch(() => {});
      const used = new Set((await this.all()).flatMap(blobsOf));
      for (const d of put) if (!used.has(d)) await this.store.contentRemove(d).catch(() => {});
      if (e instanceof Error && e.name === 'StoreFullError') throw new DockerError(`${e.message}: remove images you no longer need (docker rmi, docker image prune)`);
      throw e;
    }
    const ref = o.name !== undefined ? parseReference(o.name) : undefined;
    const name = ref ? canonicalString({ ...ref, tag: ref.tag ?? 'latest' }) : `docker.io/library/${configDesc.digest.slice(7, 19)}@${manifestDesc.digest}`;
    const record = recordOf(name, '', manifestDesc, manifest, config, chain, size);
    if (o.record === false) return record;
    if (ref) await this.untagOthers(record.name, record.id);
    await this.putRecord(record);
    return record;
  }

  /** Puts `img` under `name` (a reference; none: dangling, as an untagged build leaves it). */
  async name(img: ImageRecord, name?: string): Promise<ImageRecord> {
    const rec = { ...img, name: name !== undefined ? canonicalString({ ...parseReference(name), tag: parseReference(name).tag ?? 'latest' }) : `docker.io/library/${img.id.slice(7, 19)}@${img.manifest.digest}` };
    if (name !== undefined) await this.untagOthers(rec.name, rec.id);
    await this.putRecord(rec);
    return rec;
  }

  /**
   * A name about to point at a new image: the image it named keeps its data
   * (dangling, as Docker leaves it) when no other name has it.
   */
  private async untagOthers(name: string, id: string): Promise<void> {
    const all = await this.list();
    const old = all.find((r) => r.name === name);
    if (!old || old.id === id || all.some((r) => r.id === old.id && r.name !== name)) return;
    await this.putRecord({ ...old, name: `docker.io/library/${old.id.slice(7, 19)}@${old.manifest.digest}` });
  }

  /** The build cache's image for step `key` (hex), if it is there and whole. */
  async fromCache(key: string): Promise<ImageRecord | undefined> {
    const r = (await this.all()).find((x) => x.name === `${BUILD_CACHE}${key}`);
    if (!r) return undefined;
    const top = r.chainIds[r.chainIds.length - 1];
    if (top !== undefined && !(await this.store.snapshotStat(top))) return undefined;
    return r;
  }

  /** Keeps `img` as the build cache's image for step `key` (hex). */
  async toCache(key: string, img: ImageRecord): Promise<void> {
    await this.putRecord({ ...img, name: `${BUILD_CACHE}${key}` });
  }

  /** What is at each path in the tree of snapshot `key` (see StoreApi.snapshotLookup). */
  lookup(key: string, paths: string[]): Promise<Array<PathStat | undefined>> {
    return this.store.snapshotLookup(key, paths);
  }

  /** A tar of `path` in the tree of snapshot `key` with `top` over it (see StoreApi.snapshotArchive). */
  archive(key: string | undefined, path: string, top?: Uint8Array): Promise<Uint8Array | undefined> {
    return this.store.snapshotArchive(key, path, top);
  }

  async tag(source: string, target: string): Promise<void> {
    const img = await this.find(source);
    if (!img) throw new NoSuchImageError(source);
    const t = parseReference(target);
    if (t.digest) throw new DockerError('refusing to create a tag with a digest reference');
    await this.putRecord({ ...img, name: canonicalString(t) });
  }

  /** `docker rmi`: removes names; returns docker's "Untagged:/Deleted:" lines. */
  async remove(ref: string, inUse: (imageId: string) => boolean, force = false): Promise<string[]> {
    const img = await this.find(ref);
    if (!img) throw new NoSuchImageError(ref);
    const all = await this.list();
    const byRef = /^(sha256:)?[0-9a-f]{12,64}$/.test(ref) && !all.some((r) => r.name === canonicalString(parseReferenceSafe(ref)));
    const names = byRef ? all.filter((r) => r.id === img.id) : [img];
    // records from separate list() calls: compare by name, not identity
    const removed = new Set(names.map((n) => n.name));
    const remaining = all.filter((r) => r.id === img.id && !removed.has(r.name));
    if (remaining.length === 0 && inUse(img.id) && !force) {
      throw new DockerError(`conflict: unable to remove repository reference "${ref}" (must force) - container is using its referenced image ${img.id.slice(7, 19)}`);
    }
    if (byRef && names.length > 1 && !force) {
      throw new DockerError(`conflict: unable to delete ${img.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
    }
    const lines: string[] = [];
    for (const n of names) {
      await this.change(() => this.store.imageRemove(n.name));
      lines.push(`Untagged: ${familiarString(parseReferenceSafe(n.name))}`);
    }
    if (remaining.length === 0 && !inUse(img.id)) {
      lines.push(`Deleted: ${img.id}`);
      await this.collect(img);
    }
    return lines;
  }

  /**
   * Removes what only `img` used: its snapshots (top first, up to one another
   * image shares) and its blobs. A container's chain is never touched: the
   * caller removes an image's data only when no container uses it.
   */
  /**
   * `docker builder prune`: forgets every build cache step and removes the
   * layers and blobs no image uses; returns the bytes of the layers removed.
   */
  async pruneBuildCache(): Promise<number> {
    const cache = (await this.all()).filter((r) => r.name.startsWith(BUILD_CACHE));
    for (const r of cache) await this.change(() => this.store.imageRemove(r.name));
    const have = new Set(await this.store.snapshotList());
    let reclaimed = 0;
    // the longest chains first: a snapshot goes only after those built on it
    for (const r of cache.sort((a, b) => b.chainIds.length - a.chainIds.length)) {
      const keep = new Set((await this.all()).flatMap((x) => x.chainIds));
      for (const key of [...r.chainIds].reverse()) {
        if (keep.has(key)) break;
        if (!have.has(key)) continue;
        reclaimed += (await this.store.snapshotStat(key))?.size ?? 0;
        have.delete(key);
      }
      await this.collect(r);
    }
    return reclaimed;
  }

  private async collect(img: ImageRecord): Promise<void> {
    const others = await this.all();
    const keep = new Set(others.flatMap((r) => r.chainIds));
    for (const key of [...img.chainIds].reverse()) {
      if (keep.has(key)) break;
      await this.store.snapshotRemove(key);
    }
    const used = new Set(others.flatMap(blobsOf));
    for (const d of blobsOf(img)) {
      if (!used.has(d)) await this.store.contentRemove(d);
    }
  }

  /** A blob of a stored image, checked against its descriptor again (push, save). */
  async readBlob(d: Descriptor): Promise<Uint8Array> {
    const bytes = await this.store.contentGet(d.digest);
    if (!bytes) throw new ImageError(`blob ${d.digest} is missing from the image store: remove the image and pull it again`);
    await verifyBlob(d, bytes);
    return bytes;
  }

  /** The image's config as stored (checked against its digest again). */
  async config(img: ImageRecord): Promise<ImageConfig> {
    const bytes = await this.store.contentGet(img.config.digest);
    if (!bytes) throw new ImageError(`blob ${img.config.digest} is missing from the image store: remove the image and pull it again`);
    await verifyBlob(img.config, bytes);
    return parseConfig(bytes, img.config, img.layers.length);
  }

  /** `docker history`: the config's history, newest first, with each layer's unpacked size. */
  async history(ref: string): Promise<HistoryEntry[]> {
    const img = await this.find(ref);
    if (!img) throw new NoSuchImageError(ref);
    const config = await this.config(img);
    const sizes = await Promise.all(img.chainIds.map(async (k) => (await this.store.snapshotStat(k))?.size ?? 0));
    const hist: NonNullable<ImageConfig['history']> = config.history ?? img.diffIds.map(() => ({}));
    let layer = 0;
    const out: HistoryEntry[] = hist.map((h) => ({
      created: h.created ?? '',
      createdBy: h.created_by ?? '',
      size: h.empty_layer ? 0 : (sizes[layer++] ?? 0),
      comment: h.comment ?? '',
      id: '<missing>',
    }));
    if (out.length > 0) out[out.length - 1]!.id = img.id;
    return out.reverse();
  }

  /**
   * Images grouped by id, as `docker image inspect` and `docker system df`
   * see them: every name of one image together.
   */
  async byId(): Promise<Map<string, ImageRecord[]>> {
    const m = new Map<string, ImageRecord[]>();
    for (const r of await this.list()) m.set(r.id, [...(m.get(r.id) ?? []), r]);
    return m;
  }

  /** Unpacked bytes of every snapshot in the store (shared layers once). */
  async storedBytes(): Promise<number> {
    let n = 0;
    for (const k of await this.store.snapshotList()) n += (await this.store.snapshotStat(k))?.size ?? 0;
    return n;
  }

  /** Bytes the store keeps for the image that no other image shares. */
  async unique(img: ImageRecord, others: ImageRecord[]): Promise<number> {
    const shared = new Set(others.filter((o) => o.id !== img.id).flatMap((o) => o.chainIds));
    let n = 0;
    for (const k of img.chainIds) if (!shared.has(k)) n += (await this.store.snapshotStat(k))?.size ?? 0;
    return n;
  }

  /**
   * `docker image prune`: removes dangling images (no tag: loaded without a
   * name, or pulled by digest), with `all` every image no container uses.
   * Returns docker's lines and the bytes reclaimed.
   */
  async prune(all: boolean, inUse: (imageId: string) => boolean): Promise<{ lines: string[]; reclaimed: number }> {
    const lines: string[] = [];
    let reclaimed = 0;
    for (const [id, names] of await this.byId()) {
      if (inUse(id)) continue;
      if (!all && names.some((n) => parseReferenceSafe(n.name).tag !== undefined)) continue;
      const everyone = await this.list();
      reclaimed += await this.unique(names[0]!, everyone);
      for (const n of names) {
        await this.change(() => this.store.imageRemove(n.name));
        lines.push(`untagged: ${familiarString(parseReferenceSafe(n.name))}`);
      }
      await this.collect(names[0]!);
      lines.push(`deleted: ${id}`);
    }
    return { lines, reclaimed };
  }

  /** `docker save`: an OCI-layout tar of the named images. */
  async save(refs: string[]): Promise<Uint8Array> {
    const imgs: ImageRecord[] = [];
    for (const ref of refs) {
      const img = await this.find(ref);
      if (!img) throw new NoSuchImageError(ref);
      imgs.push(img);
    }
    const blobs = new Map<string, Uint8Array>();
    const get = async (d: Descriptor) => {
      if (blobs.has(d.digest)) return;
      const bytes = await this.store.contentGet(d.digest);
      if (!bytes) throw new ImageError(`blob ${d.digest} is missing from the image store: remove the image and pull it again`);
      await verifyBlob(d, bytes);
      blobs.set(d.digest, bytes);
    };
    const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.index, manifests: [] };
    for (const img of imgs) {
      await get(img.manifest);
      await get(img.config);
      for (const l of img.layers) await get(l);
      const ref = parseReferenceSafe(img.name);
      index.manifests.push({
        ...img.manifest,
        annotations: { [ANNOTATION_IMAGE_NAME]: img.name, ...(ref.tag ? { [ANNOTATION_REF_NAME]: ref.tag } : {}) },
      });
    }
    const files: Array<{ name: string; data?: Uint8Array }> = [
      { name: 'blobs' },
      { name: 'blobs/sha256' },
      ...[...blobs].sort(([a], [b]) => a.localeCompare(b)).map(([d, data]) => ({ name: `blobs/sha256/${d.slice(7)}`, data })),
      { name: 'index.json', data: enc.encode(JSON.stringify(index)) },
      { name: 'oci-layout', data: enc.encode('{"imageLayoutVersion":"1.0.0"}') },
    ];
    return writeTar(files);
  }

  /** `docker load`: verifies and unpacks every image of an OCI-layout archive; all or nothing per image. */
  async load(archive: Uint8Array, onEvent: (e: PullEvent) => void = () => {}): Promise<string[]> {
    let entries;
    try {
      entries = readTar(archive);
    } catch (e) {
      throw new DockerError(`invalid archive: ${(e as TarError).message}`);
    }
    const files = new Map(entries.filter((e) => e.type === 'file').map((e) => [e.name, e.data]));
    const indexBytes = files.get('index.json');
    if (!files.has('oci-layout') || !indexBytes) {
      throw new DockerError('invalid archive: not an OCI image layout (no oci-layout or index.json); Dockyard loads what `docker save` writes since Docker 25');
    }
    const layout = parseIndex(indexBytes, 'index.json');
    if (layout.manifests.length === 0) throw new DockerError('invalid archive: index.json lists no images');
    const blob: BlobSource = async (d, o) => {
      const b = files.get(`blobs/sha256/${d.digest.slice(7)}`);
      if (!b) throw new ImageError(`invalid archive: blob ${d.digest} is missing`);
      if (o?.hashedByStore) checkBlobSize(d, b);
      else await verifyBlob(d, b);
      return b;
    };
    const loaded: string[] = [];
    for (const top of layout.manifests) {
      const name = top.annotations?.[ANNOTATION_IMAGE_NAME] ?? top.annotations?.[ANNOTATION_REF_NAME];
      const { manifest, manifestDesc, manifestBytes } = await resolveManifest(top, await blob(top), blob);
      const configBytes = await blob(manifest.config);
      let ref: Reference;
      if (name !== undefined && name.includes('/')) ref = parseReference(name);
      else if (name !== undefined && /^[\w][\w.-]*$/.test(name)) throw new DockerError(`invalid archive: image name annotation "${name}" is only a tag`);
      else if (name !== undefined) ref = parseReference(name);
      else ref = { domain: 'docker.io', path: `library/${manifest.config.digest.slice(7, 19)}`, digest: manifestDesc.digest };
      const rec = await this.ingest(ref, manifestDesc, manifestBytes, manifest, configBytes, blob, onEvent);
      loaded.push(name !== undefined ? `Loaded image: ${familiarString(ref)}` : `Loaded image ID: ${rec.id}`);
    }
    return loaded;
  }
}

function checkPlatform(ref: Reference, config: ImageConfig): void {
  if (!platformMatches({ os: config.os, architecture: config.architecture }, GUEST_PLATFORM)) {
    throw new DockerError(
      `image with reference ${familiarString(ref)} was found but does not match the specified platform: wanted linux/386, actual: ${config.os}/${config.architecture}`,
    );
  }
}

/** The name a pull of `ref` keeps its record under (a tag: that tag, else `latest`; by digest: the digest). */
function recordName(ref: Reference): string {
  if (ref.tag === undefined && ref.digest) return `${ref.domain}/${ref.path}@${ref.digest}`;
  return canonicalString({ ...ref, digest: undefined, tag: ref.tag ?? 'latest' } as Reference).replace(/@.*/, '');
}

function recordOf(name: string, repoDigest: string, manifestDesc: Descriptor, manifest: ImageManifest, config: ImageConfig, chain: string[], size: number): ImageRecord {
  return {
    name,
    id: manifest.config.digest,
    repoDigest,
    manifest: { mediaType: manifestDesc.mediaType, digest: manifestDesc.digest, size: manifestDesc.size },
    config: manifest.config,
    layers: manifest.layers,
    diffIds: config.rootfs.diff_ids,
    chainIds: chain,
    runConfig: config.config ?? {},
    created: config.created ?? '',
    architecture: config.architecture,
    os: config.os,
    size,
  };
}

export async function resolveManifest(
  top: Descriptor,
  bytes: Uint8Array,
  blob: (d: Descriptor) => Promise<Uint8Array>,
  runnable: readonly string[] = [],
): Promise<{ manifest: ImageManifest; manifestDesc: Descriptor; manifestBytes: Uint8Array }> {
  const parsed = parseIndexOrManifest(bytes, top);
  if ('manifest' in parsed) return { manifest: parsed.manifest, manifestDesc: top, manifestBytes: bytes };
  const pick = parsed.index.manifests.find((d) => platformMatches(d.platform, GUEST_PLATFORM) && !isAttestation(d));
  if (!pick) {
    const have = [...new Set(parsed.index.manifests.filter((d) => !isAttestation(d)).map((d) => (d.platform ? platformString(d.platform) : 'unknown')))].join(', ');
    throw new DockerError(
      `no matching manifest for linux/386 in the manifest list entries: the image is built for ${have || 'no platform'}; ` +
        `Dockyard's emulated CPU runs linux/386 images only${runnable.length ? ` (these run here: ${runnable.join(', ')})` : ''}`,
    );
  }
  const mbytes = await blob(pick);
  const inner = parseIndexOrManifest(mbytes, pick);
  if (!('manifest' in inner)) throw new ImageError(`${pick.digest}: nested index where a manifest was expected`);
  return { manifest: inner.manifest, manifestDesc: pick, manifestBytes: mbytes };
}

/** BuildKit's provenance/SBOM entries in an index (platform unknown/unknown): not images. */
function isAttestation(d: Descriptor): boolean {
  return d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest' || (d.platform?.os === 'unknown' && d.platform.architecture === 'unknown');
}

function platformString(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** The digests of every blob an image is made of. */
function blobsOf(r: ImageRecord): string[] {
  return [r.manifest.digest, r.config.digest, ...r.layers.map((l) => l.digest)];
}

function parseReferenceSafe(s: string): Reference {
  try {
    return parseReference(s);
  } catch {
    return { domain: 'docker.io', path: s };
  }
}
