// Where images come from. Dockyard has no network: the "bundled registry" is
// a set of OCI image layouts served as static files beside the app (and read
// from disk by the CLI), one layout per repository:
//   <base>/<domain>/<repo path>/index.json, .../blobs/sha256/<hex>
import { sha256Hex, type Manifest } from '../common/manifest.js';
import { ImageError } from '../common/oci/verify.js';

export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export interface RegistrySource {
  /** The layout's index.json, or NotFoundError when the repository isn't there. */
  index(domain: string, repo: string): Promise<Uint8Array>;
  /** A blob by digest (unverified: the caller checks it). */
  blob(domain: string, repo: string, digest: string): Promise<Uint8Array>;
}

/** Relative path of a layout file under the registry base. */
export function layoutPath(domain: string, repo: string, file: 'index.json' | `blobs/sha256/${string}`): string {
  return `${domain}/${repo}/${file}`;
}

/**
 * The bundled registry: a layout source whose index.json files must match the
 * artifact manifest, which makes the manifest the root of trust (index →
 * manifest → config → layers are content-addressed from there).
 */
export function bundledRegistry(manifest: Manifest, read: (relPath: string) => Promise<Uint8Array | undefined>): RegistrySource {
  const inner = layoutSource(read);
  return {
    async index(domain, repo) {
      const entry = manifest.registry?.[`${domain}/${repo}`];
      if (!entry) throw new NotFoundError(`repository ${domain}/${repo} not found`);
      const bytes = await inner.index(domain, repo);
      if (bytes.length !== entry.size || (await sha256Hex(bytes)) !== entry.index) {
        throw new ImageError(`${domain}/${repo}: index.json does not match the artifact manifest`);
      }
      return bytes;
    },
    blob: inner.blob,
  };
}

/** A RegistrySource over any "read this relative path" function (fetch, fs). */
export function layoutSource(read: (relPath: string) => Promise<Uint8Array | undefined>): RegistrySource {
  return {
    async index(domain, repo) {
      const b = await read(layoutPath(domain, repo, 'index.json'));
      if (b === undefined) throw new NotFoundError(`repository ${domain}/${repo} not found`);
      return b;
    },
    async blob(domain, repo, digest) {
      const hex = digest.replace(/^sha256:/, '');
      const b = await read(layoutPath(domain, repo, `blobs/sha256/${hex}`));
      if (b === undefined) throw new NotFoundError(`blob ${digest} not found in ${domain}/${repo}`);
      return b;
    },
  };
}
