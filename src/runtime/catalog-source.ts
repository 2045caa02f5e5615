// The catalog (src/common/catalog.ts) beside the bundled registry: its
// layouts (what `npm run catalog` built; in the web build when it was there)
// are trusted through the build's catalog.json, which names each
// index.json's sha256. A catalog image not built here, and a well-known
// image with no linux/386 build, answer NotFoundError with what to do — so
// bundledThenRemote still asks the real registry, and shows these words
// only when that cannot be reached.
import { CATALOG_MANIFEST, NO_386, catalogImage, type CatalogManifest } from '../common/catalog.js';
import { sha256Hex } from '../common/manifest.js';
import type { Reference } from '../common/oci/reference.js';
import { ImageError } from '../common/oci/verify.js';
import { NotFoundError } from './distribution.js';
import { layoutSource, type ImageSource } from './registry.js';

const familiar = (domain: string, repo: string): string => (domain === 'docker.io' ? repo.replace(/^library\//, '') : `${domain}/${repo}`);

/** A catalog build: its catalog.json, and a reader of its registry/ folder. */
export interface BuiltCatalog {
  manifest: CatalogManifest;
  read(relPath: string): Promise<Uint8Array | undefined>;
}

type Bundled = ImageSource & { has(ref: Reference): boolean };

export function withCatalog(bundled: Bundled, built: BuiltCatalog | undefined): Bundled {
  const repoOf = (ref: Reference) => `${ref.domain}/${ref.path}`;
  const layouts = built
    ? layoutSource(built.read, async (ref, bytes) => {
        const entry = built.manifest.images[repoOf(ref)];
        if (entry === undefined || bytes.length !== entry.size || (await sha256Hex(bytes)) !== entry.index) {
          throw new ImageError(`${repoOf(ref)}: index.json does not match the catalog's ${CATALOG_MANIFEST}`);
        }
      })
    : undefined;
  const builtNames = Object.keys(built?.manifest.images ?? {}).map((r) => familiar(r.slice(0, r.indexOf('/')), r.slice(r.indexOf('/') + 1)));
  const ours = (ref: Reference) => catalogImage(repoOf(ref)) !== undefined || NO_386[repoOf(ref)] !== undefined;
  return {
    has: (ref) => bundled.has(ref) || ours(ref),
    runnable: [...(bundled.runnable ?? []), ...builtNames],
    describe(name) {
      const own = bundled.describe?.(name);
      if (own !== undefined) return own;
      const repo = name.includes('/') ? `docker.io/${name}` : `docker.io/library/${name}`;
      const img = catalogImage(repo);
      const entry = built?.manifest.images[repo];
      if (img === undefined || entry === undefined) return undefined;
      const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
      return `${img.description}; :${entry.tags.join(' :')}; ${mb(entry.compressed)} compressed, ${mb(entry.unpacked)} unpacked`;
    },
    async resolve(ref, signal) {
      if (bundled.has(ref) || !ours(ref)) return bundled.resolve(ref, signal);
      const none = NO_386[repoOf(ref)];
      if (none !== undefined) {
        throw new NotFoundError(
          `no linux/386 image of ${familiar(ref.domain, ref.path)} exists, here or on Docker Hub (${none.why}), and Dockyard's emulated CPU runs only linux/386 images; the closest that runs here: ${none.instead}`,
        );
      }
      const img = catalogImage(repoOf(ref))!;
      if (layouts === undefined || built?.manifest.images[repoOf(ref)] === undefined) {
        throw new NotFoundError(`${img.name} is in Dockyard's catalog but was not built here: \`npm run catalog\` (as root, a few minutes, cached) builds it`);
      }
      return layouts.resolve(ref, signal);
    },
  };
}
