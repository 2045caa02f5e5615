// The catalog as the CLI finds it: the layouts `npm run catalog` built into
// ~/.cache/dockyard/catalog/<key>/ (the key the file `current` names),
// behind the bundled registry (src/runtime/catalog-source.ts).
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CATALOG_MANIFEST, CATALOG_REGISTRY_DIR, type CatalogManifest } from '../common/catalog.js';
import { withCatalog as wrap } from '../runtime/catalog-source.js';
import type { Reference } from '../common/oci/reference.js';
import type { ImageSource } from '../runtime/registry.js';

/**
 * Where catalog builds are kept: $DOCKYARD_CACHE/catalog, else
 * $XDG_CACHE_HOME/dockyard/catalog (~/.cache/...) — outside the checkout,
 * so `npm ci` (which empties node_modules) keeps them, and worktrees share them.
 */
export function catalogCache(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DOCKYARD_CACHE) return join(env.DOCKYARD_CACHE, 'catalog');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dockyard', 'catalog');
}

/** The current catalog build: its folder and catalog.json, if `npm run catalog` has made one. */
export function currentCatalog(cache: string = catalogCache()): { dir: string; manifest: CatalogManifest } | undefined {
  try {
    const key = readFileSync(join(cache, 'current'), 'utf8').trim();
    if (!/^[0-9a-f]{32}$/.test(key)) return undefined;
    const dir = join(cache, key);
    const manifest = JSON.parse(readFileSync(join(dir, CATALOG_MANIFEST), 'utf8')) as CatalogManifest;
    return manifest.schema === 1 ? { dir, manifest } : undefined;
  } catch {
    return undefined;
  }
}

/** INNER, then the catalog built on this machine (if any). */
export function withCatalog(inner: ImageSource & { has(ref: Reference): boolean }, cache: string = catalogCache()): ImageSource & { has(ref: Reference): boolean } {
  const c = currentCatalog(cache);
  const reg = c && join(c.dir, CATALOG_REGISTRY_DIR);
  return wrap(
    inner,
    c && reg !== undefined
      ? { manifest: c.manifest, read: (rel) => readFile(join(reg, rel)).then((b) => new Uint8Array(b), () => undefined) }
      : undefined,
  );
}
