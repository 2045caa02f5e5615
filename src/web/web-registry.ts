// The bundled registry as the page sees it: static files beside the app
// (registry/<domain>/<repo>/index.json, …/blobs/sha256/<hex>). Blobs are
// content-addressed, so they go through the sha256 cache; index.json files
// are checked against the artifact manifest by bundledRegistry (mirrored
// and catalog images against the hashes the build took of theirs).
import { catalogManifest, lazyLayers, mirrorRegistry, registryBase } from 'virtual:dockyard-build';
import type { Manifest } from '../common/manifest.js';
import type { Reference } from '../common/oci/reference.js';
import { LAZY_DIR } from '../common/store/lazy-layer.js';
import { withCatalog } from '../runtime/catalog-source.js';
import { bundledNames, bundledRegistry, type ImageSource } from '../runtime/registry.js';
import { DownloadError, fetchDigested } from './artifact-cache.js';

const BLOB = /\/blobs\/sha256\/([0-9a-f]{64})$/;

async function read(rel: string, onBytes?: (n: number) => void): Promise<Uint8Array | undefined> {
  const url = new URL(rel, registryBase).href;
  const blob = BLOB.exec(rel);
  if (blob) {
    try {
      return await fetchDigested({ name: rel, url, sha256: blob[1]! }, onBytes);
    } catch (e) {
      if (e instanceof DownloadError && / HTTP 404\b/.test(e.message)) return undefined;
      throw e;
    }
  }
  const res = await fetch(url);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new DownloadError(`could not download ${rel}: HTTP ${res.status}`, 'Reload the page to try again.');
  return new Uint8Array(await res.arrayBuffer());
}

/** The artifact manifest's registry with the site's mirrored images (`dockyard mirror`) and the catalog (`npm run catalog`) beside it. */
function withMirror(manifest: Manifest): Manifest {
  const mirrored = Object.fromEntries(Object.entries(mirrorRegistry).map(([repo, e]) => [repo, { ...e, sources: 'dockyard mirror', debian: {} }]));
  const catalog = Object.fromEntries(
    Object.entries(catalogManifest?.images ?? {}).map(([repo, e]) => [repo, { index: e.index, size: e.size, sources: 'npm run catalog', debian: e.debian }]),
  );
  return { ...manifest, registry: { ...manifest.registry, ...catalog, ...mirrored } };
}

export function webRegistry(manifest: Manifest) {
  // (the catalog's own words for a catalog image the build did not have, or an image with no linux/386 build)
  return withLazyLayers(withCatalog(bundledRegistry(withMirror(manifest), read), undefined));
}

/**
 * Catalog images, whose layers the build made lazy (lazyLayers: layer digest
 * → its file index's digest, both from the build, beside the catalog's
 * manifest): their layers can be mounted before they arrive. The index is
 * fetched by its digest (and cached, like a blob); the store checks it again.
 * Their pulls (tens of MB) download over the network, so they are shown as downloads
 * (per-layer bars) and layers the store has are not fetched again.
 */
function withLazyLayers<S extends ImageSource & { has(ref: Reference): boolean }>(source: S): S {
  if (Object.keys(lazyLayers).length === 0) return source;
  const base = new URL(`${LAZY_DIR}/`, registryBase).href;
  return {
    ...source,
    has: (ref: Reference) => source.has(ref),
    async resolve(ref: Reference, signal?: AbortSignal) {
      const r = await source.resolve(ref, signal);
      if (!r.local || catalogManifest?.images[`${ref.domain}/${ref.path}`] === undefined) return r;
      return {
        ...r,
        local: false,
        async lazyLayer(layer) {
          const toc = lazyLayers[layer.digest];
          if (toc === undefined) return undefined;
          const hex = toc.slice('sha256:'.length);
          return { toc: await fetchDigested({ name: `the file index of layer ${layer.digest.slice(7, 19)}`, url: `${base}${hex}`, sha256: hex }), tocDigest: toc, chunkBase: base };
        },
      };
    },
  };
}

/** Repositories the page's bundled registry has, by their familiar names ("busybox"), mirrored ones too. */
export function bundledRepositories(manifest: Manifest): string[] {
  return bundledNames(withMirror(manifest));
}

/**
 * The playground's list of what it can pull: the bundled images, then the
 * catalog's with their compressed size ("nginx (33 MB)"; the catalog's
 * images share debian's layer, so the size is what a first pull downloads).
 */
export function pullableWithSizes(manifest: Manifest): string[] {
  const sizes = new Map(Object.entries(catalogManifest?.images ?? {}).map(([repo, e]) => [repo.replace(/^docker\.io\/(library\/)?/, ''), e.compressed]));
  return bundledRepositories(manifest).map((name) => {
    const size = sizes.get(name);
    return size === undefined ? name : `${name} (${Math.round(size / 1e6)} MB)`;
  });
}
