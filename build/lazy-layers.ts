// Build step of lazy pulling (src/common/store/lazy-layer.ts): for every
// layer of the OCI layouts under a registry folder, its file index and
// pieces, made once and kept beside the layouts in `<dir>/lazy/` (derived
// data: the layouts and their digests do not change), so `npm run build`
// pays for a layer once (~3 s per 100 MB of tar on this machine).
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { LAZY_CHUNK_SIZE, type LazyToc } from '../src/common/store/lazy-layer.js';
import { readLayer } from '../src/common/store/layer.js';
import { GZIP_LAYER_TYPES } from '../src/common/oci/types.js';

/** `<dir>/lazy/`: `sha256/<hex>` (pieces and indexes) and `layers.json` (layer digest → index digest). */
export const LAZY_FOLDER = 'lazy';
const LAYERS_FILE = 'layers.json';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
}

/** Every image's layers (descriptor and diff_id) in the layouts under `registry` (`<domain>/<repo>/index.json`). */
function layersOf(registry: string, repos: string[]): Array<{ layout: string; layer: Desc; diffId: string }> {
  const out: Array<{ layout: string; layer: Desc; diffId: string }> = [];
  const blob = (layout: string, digest: string) => readFileSync(join(layout, 'blobs', 'sha256', digest.replace(/^sha256:/, '')));
  for (const repo of repos) {
    const layout = join(registry, ...repo.split('/'));
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Desc[] };
    for (const top of index.manifests) {
      const doc = JSON.parse(blob(layout, top.digest).toString('utf8')) as { manifests?: Desc[]; layers?: Desc[]; config?: Desc };
      for (const m of doc.manifests ? doc.manifests.map((d) => JSON.parse(blob(layout, d.digest).toString('utf8')) as { layers: Desc[]; config: Desc }) : [doc as { layers: Desc[]; config: Desc }]) {
        const config = JSON.parse(blob(layout, m.config.digest).toString('utf8')) as { rootfs: { diff_ids: string[] } };
        m.layers.forEach((layer, i) => out.push({ layout, layer, diffId: config.rootfs.diff_ids[i]! }));
      }
    }
  }
  return out;
}

/** One layer's pieces and index, written into `out/sha256/`; returns the index's digest. */
export function indexLayer(gzOrTar: Uint8Array, gzip: boolean, diffId: string, out: string): string {
  const tar = gzip ? gunzipSync(gzOrTar) : gzOrTar;
  if (`sha256:${sha256(tar)}` !== diffId) throw new Error(`layer ${diffId}: its content hashes to sha256:${sha256(tar)}`);
  const entries = readLayer(tar);
  const dir = join(out, 'sha256');
  mkdirSync(dir, { recursive: true });
  const put = (bytes: Uint8Array): string => {
    const hex = sha256(bytes);
    const file = join(dir, hex);
    if (!existsSync(file)) {
      writeFileSync(`${file}.tmp`, bytes);
      renameSync(`${file}.tmp`, file);
    }
    return hex;
  };
  const chunks: LazyToc['chunks'] = [];
  for (let off = 0; off < tar.length; off += LAZY_CHUNK_SIZE) {
    // node's gzip header has no name and mtime 0: the same piece gives the same bytes
    const gz = gzipSync(tar.subarray(off, off + LAZY_CHUNK_SIZE), { level: 9 });
    chunks.push([put(gz), gz.length]);
  }
  const toc: LazyToc = { schema: 1, diffId, tarSize: tar.length, chunkSize: LAZY_CHUNK_SIZE, chunks, entries };
  return `sha256:${put(gzipSync(Buffer.from(JSON.stringify(toc)), { level: 9 }))}`;
}

/**
 * The lazy form of every layer of `repos` under `registry`, made where
 * missing into `<cacheDir>/lazy/`; returns that folder and layer digest →
 * index digest.
 */
export function lazyLayers(registry: string, repos: string[], cacheDir: string): { dir: string; layers: Record<string, string> } {
  const dir = join(cacheDir, LAZY_FOLDER);
  const listFile = join(dir, LAYERS_FILE);
  let known: Record<string, { toc: string; chunkSize: number }> = {};
  try {
    known = JSON.parse(readFileSync(listFile, 'utf8')) as typeof known;
  } catch {
    // none made yet
  }
  const layers: Record<string, string> = {};
  let changed = false;
  for (const { layout, layer, diffId } of layersOf(registry, repos)) {
    if (layers[layer.digest] !== undefined) continue;
    const have = known[layer.digest];
    if (have && have.chunkSize === LAZY_CHUNK_SIZE && existsSync(join(dir, 'sha256', have.toc.slice(7)))) {
      layers[layer.digest] = have.toc;
      continue;
    }
    const bytes = readFileSync(join(layout, 'blobs', 'sha256', layer.digest.slice(7)));
    const toc = indexLayer(bytes, GZIP_LAYER_TYPES.includes(layer.mediaType), diffId, dir);
    known[layer.digest] = { toc, chunkSize: LAZY_CHUNK_SIZE };
    layers[layer.digest] = toc;
    changed = true;
  }
  if (changed) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${listFile}.tmp`, JSON.stringify(known, null, 1));
    renameSync(`${listFile}.tmp`, listFile);
  }
  return { dir, layers };
}

/** The files of `lazyLayers`' folder the site serves (only those the layers name: pieces of old chunk sizes stay out). */
export function lazyFiles(dir: string, layers: Record<string, string>): string[] {
  const files = new Set<string>();
  const shaDir = join(dir, 'sha256');
  for (const toc of Object.values(layers)) {
    files.add(toc.slice(7));
    const t = JSON.parse(gunzipSync(readFileSync(join(shaDir, toc.slice(7)))).toString('utf8')) as LazyToc;
    for (const [hex] of t.chunks) files.add(hex);
  }
  return [...files].sort();
}
