// Where images come from: the bundled registry (OCI image layouts served as
// static files beside the app, read from disk by the CLI, one layout per
// repository: <base>/<domain>/<repo path>/index.json, .../blobs/sha256/<hex>)
// and any registry speaking the distribution API (distribution.ts). A source
// resolves a reference to its top manifest or index; the image store checks
// every byte it gets (digests, sizes, documents) before using it.
import { sha256Hex, type Manifest } from '../common/manifest.js';
import { familiarName, familiarString, type Reference } from '../common/oci/reference.js';
import { ANNOTATION_REF_NAME, type Descriptor } from '../common/oci/types.js';
import { checkBlobSize, ImageError, parseIndex } from '../common/oci/verify.js';
import { NotFoundError, UnreachableError, type DistributionClient } from './distribution.js';


export interface BlobOptions {
  signal?: AbortSignal;
  /** bytes received so far */
  onProgress?: (n: number) => void;
}

/** A blob of the resolved repository, its size checked (its digest is the caller's to check). */
export type BlobFetch = (desc: Descriptor, o?: BlobOptions) => Promise<Uint8Array>;

/** A layer a source can hand over lazily (src/common/store/lazy-layer.ts): its file index, and where its pieces are. */
export interface LazyLayerSource {
  /** the index as served (gzip); the store checks it against tocDigest */
  toc: Uint8Array;
  /** the digest the source trusts for it (recorded at build time) */
  tocDigest: string;
  /** URL prefix of the pieces */
  chunkBase: string;
}

export interface Resolved {
  /** the manifest or index the reference names */
  desc: Descriptor;
  bytes: Uint8Array;
  /** where its blobs come from */
  blob: BlobFetch;
  /** a manifest of the repository by its descriptor (an index's entries) */
  manifest: BlobFetch;
  /** it came from the bundled registry (read locally, no download to show) */
  local: boolean;
  /** a layer's lazy form, when the source has one (undefined: this layer must be pulled whole) */
  lazyLayer?: (layer: Descriptor) => Promise<LazyLayerSource | undefined>;
}

export interface ImageSource {
  /** NotFoundError (with docker's words) when the repository or tag isn't there. */
  resolve(ref: Reference, signal?: AbortSignal): Promise<Resolved>;
  /** Images that run here, for the error of one that doesn't (`busybox`, `hello-world`). */
  readonly runnable?: readonly string[];
  /** One line about a runnable image (`docker search` offline): what it is, its size. */
  describe?(name: string): string | undefined;
}

/** Relative path of a layout file under the registry base. */
export function layoutPath(domain: string, repo: string, file: 'index.json' | `blobs/sha256/${string}`): string {
  return `${domain}/${repo}/${file}`;
}

/** Reads a file of the layouts; `onBytes`: bytes received so far, where the reader downloads (the page). */
type Read = (relPath: string, onBytes?: (n: number) => void) => Promise<Uint8Array | undefined>;

const denied = (ref: Reference) => new NotFoundError(`pull access denied for ${familiarName(ref)}, repository does not exist or may require 'docker login'`);

/** An ImageSource over OCI layouts under any "read this relative path" function (fetch, fs). */
export function layoutSource(read: Read, checkIndex: (ref: Reference, bytes: Uint8Array) => Promise<void> = async () => {}): ImageSource {
  return {
    async resolve(ref) {
      const indexBytes = await read(layoutPath(ref.domain, ref.path, 'index.json'));
      if (indexBytes === undefined) throw denied(ref);
      await checkIndex(ref, indexBytes);
      const layout = parseIndex(indexBytes, `${familiarName(ref)} index.json`);
      const top = ref.digest
        ? layout.manifests.find((d) => d.digest === ref.digest)
        : layout.manifests.find((d) => d.annotations?.[ANNOTATION_REF_NAME] === ref.tag);
      if (!top) throw new NotFoundError(`manifest for ${familiarString(ref)} not found: manifest unknown`);
      const blob: BlobFetch = async (d, o) => {
        const b = await read(layoutPath(ref.domain, ref.path, `blobs/sha256/${d.digest.replace(/^sha256:/, '')}`), o?.onProgress);
        if (b === undefined) throw new ImageError(`blob ${d.digest} not found in ${ref.domain}/${ref.path}`);
        checkBlobSize(d, b);
        return b;
      };
      return { desc: top, bytes: await blob(top), blob, manifest: blob, local: true };
    },
  };
}

/**
 * The bundled registry: a layout source whose index.json files must match the
 * artifact manifest, which makes the manifest the root of trust (index →
 * manifest → config → layers are content-addressed from there).
 */
export function bundledRegistry(manifest: Manifest, read: Read): ImageSource & { has(ref: Reference): boolean } {
  const inner = layoutSource(read, async (ref, bytes) => {
    const entry = manifest.registry?.[`${ref.domain}/${ref.path}`];
    if (!entry) throw denied(ref);
    if (bytes.length !== entry.size || (await sha256Hex(bytes)) !== entry.index) {
      throw new ImageError(`${ref.domain}/${ref.path}: index.json does not match the artifact manifest`);
    }
  });
  return {
    has: (ref) => manifest.registry?.[`${ref.domain}/${ref.path}`] !== undefined,
    resolve: (ref, signal) => {
      if (!manifest.registry?.[`${ref.domain}/${ref.path}`]) return Promise.reject(denied(ref));
      return inner.resolve(ref, signal);
    },
    runnable: bundledNames(manifest),
  };
}

/** Repositories the bundled registry has, by their familiar names ("busybox"). */
export function bundledNames(manifest: Manifest): string[] {
  return Object.keys(manifest.registry ?? {}).map((r) => r.replace(/^docker\.io\/(library\/)?/, ''));
}

/** A registry over the distribution API. */
export function remoteSource(client: DistributionClient): ImageSource {
  return {
    async resolve(ref, signal) {
      const { desc, bytes } = await client.manifest(ref, signal);
      return {
        desc,
        bytes,
        blob: (d, o) => client.blob(ref, d, o),
        manifest: async (d, o) => (await client.manifest(ref, o?.signal, d.digest)).bytes,
        local: false,
      };
    },
  };
}

/**
 * The bundled registry first for the names it has, then the real registry
 * the name points at. Offline, a bundled name's own error (an unknown tag)
 * is the answer, not "unreachable".
 */
export function bundledThenRemote(bundled: ImageSource & { has(ref: Reference): boolean }, remote: ImageSource): ImageSource {
  return {
    runnable: bundled.runnable ?? [],
    ...(bundled.describe ? { describe: (name: string) => bundled.describe?.(name) } : {}),
    async resolve(ref, signal) {
      if (!bundled.has(ref)) return remote.resolve(ref, signal);
      try {
        return await bundled.resolve(ref, signal);
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        try {
          return await remote.resolve(ref, signal);
        } catch (e2) {
          throw e2 instanceof UnreachableError ? e : e2;
        }
      }
    },
  };
}
