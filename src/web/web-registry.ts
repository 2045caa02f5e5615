// The bundled registry as the page sees it: static files beside the app
// (registry/<domain>/<repo>/index.json, …/blobs/sha256/<hex>). Blobs are
// content-addressed, so they go through the sha256 cache; index.json files
// are checked against the artifact manifest by bundledRegistry (mirrored
// and catalog images against the hashes the build took of theirs).
import { catalogManifest, mirrorRegistry, registryBase } from 'virtual:dockyard-build';
import type { Manifest } from '../common/manifest.js';
import { withCatalog } from '../runtime/catalog-source.js';
import { bundledNames, bundledRegistry } from '../runtime/registry.js';
import { DownloadError, fetchDigested } from './artifact-cache.js';

const BLOB = /\/blobs\/sha256\/([0-9a-f]{64})$/;

async function read(rel: string): Promise<Uint8Array | undefined> {
  const url = new URL(rel, registryBase).href;
  const blob = BLOB.exec(rel);
  if (blob) {
    try {
      return await fetchDigested({ name: rel, url, sha256: blob[1]! });
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
  return withCatalog(bundledRegistry(withMirror(manifest), read), undefined);
}

/** Repositories the page's bundled registry has, by their familiar names ("busybox"), mirrored ones too. */
export function bundledRepositories(manifest: Manifest): string[] {
  return bundledNames(withMirror(manifest));
}
