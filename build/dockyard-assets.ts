// Vite plugin `dockyard-assets`: the guest artifacts of the artifact list
// (src/common/manifest.ts) as the page gets them, through the virtual module
// `virtual:dockyard-build` (typed in src/web/build-info.d.ts).
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Plugin } from 'vite';
import { ARTIFACTS, MANIFEST_FILE, REGISTRY_DIR, parseManifest } from '../src/common/manifest.js';
import { CATALOG_REGISTRY_DIR } from '../src/common/catalog.js';
import { currentCatalog } from '../src/node/catalog.js';
import { v86Version, v86WasmPath } from '../src/node/v86.js';
import { mirrorDir, readMirror } from './mirror-registry.js';
import { lazyFiles, lazyLayers } from './lazy-layers.js';
import { LAZY_DIR } from '../src/common/store/lazy-layer.js';

export const BUILD_INFO = 'virtual:dockyard-build';

/** The URL path images/dist/ is served at by the dev server. */
const DEV_DIST = '/images/dist/';

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out.sort();
}

const posix = (p: string) => p.split(sep).join('/');

/** images/dist/<manifest.state.file>, when the manifest names one and it is there. */
function stateFile(dist: string): { file: string; path: string } | undefined {
  try {
    const file = parseManifest(readFileSync(join(dist, MANIFEST_FILE), 'utf8')).state?.file;
    if (typeof file !== 'string' || !/^[\w.-]+$/.test(file)) return undefined;
    const path = join(dist, file);
    return statSync(path).isFile() ? { file, path } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `virtual:dockyard-build`: the URL of each artifact (ARTIFACTS), of the
 * saved guest state if images/dist has one, and of the bundled registry (its
 * files are copied into the build as registry/** with their layout kept, and
 * found relative to the chunk that asks, so any base path works); the sha256
 * of v86.wasm (not in the artifact manifest) and the v86 version. In dev,
 * images/dist is served as it is.
 */
export function dockyardAssets(root: string): Plugin {
  const dist = join(root, 'images', 'dist');
  const registry = join(dist, REGISTRY_DIR);
  const resolved = `\0${BUILD_INFO}`;
  let serving = false;
  return {
    name: 'dockyard-assets',
    configResolved(c) {
      serving = c.command === 'serve';
    },
    resolveId(id) {
      return id === BUILD_INFO ? resolved : undefined;
    },
    load(id) {
      if (id !== resolved) return undefined;
      const wasm = readFileSync(v86WasmPath(root));
      const state = stateFile(dist);
      let info = `export const v86Wasm = ${JSON.stringify({ sha256: createHash('sha256').update(wasm).digest('hex'), size: wasm.length })};\n`;
      info += `export const v86Version = ${JSON.stringify(v86Version(root))};\n`;
      // the URL expression of a file of images/dist
      let url: (file: string, name?: string) => string;
      if (serving) {
        // (not `new URL(…, import.meta.url)`: the dev server would rewrite that as an asset)
        url = (file) => `new URL(${JSON.stringify(DEV_DIST + file)}, location.href).href`;
      } else {
        url = (file, name) => {
          const ref = this.emitFile({ type: 'asset', name: name ?? file, source: readFileSync(join(dist, file)) });
          return `new URL(import.meta.ROLLUP_FILE_URL_${ref}, import.meta.url).href`;
        };
      }
      info += `export const artifactUrls = {\n${ARTIFACTS.map((a) => `  ${JSON.stringify(a.name)}: ${url(a.file)},\n`).join('')}};\n`;
      info += `export const stateUrl = ${state ? url(state.file) : 'undefined'};\n`;
      // the dev server serves images/dist only: mirrored images need `npm run build`
      // the catalog (debian, python: `npm run catalog`, cached) when this machine has built it:
      // its layouts go beside the bundled ones, fetched only when pulled
      const catalog = serving ? undefined : currentCatalog();
      info += `export const catalogManifest = ${catalog ? JSON.stringify(catalog.manifest) : 'undefined'};\n`;
      if (serving) return `${info}export const registryBase = ${url(`${REGISTRY_DIR}/`)};\nexport const mirrorRegistry = {};\nexport const lazyLayers = {};\n`;
      const bundled = Object.keys(parseManifest(readFileSync(join(dist, MANIFEST_FILE), 'utf8')).registry ?? {});
      const mirror = readMirror(mirrorDir(root), bundled);
      for (const rel of mirror.files) this.emitFile({ type: 'asset', fileName: `${REGISTRY_DIR}/${rel}`, source: readFileSync(join(mirror.dir, rel)) });
      info += `export const mirrorRegistry = ${JSON.stringify(mirror.entries)};\n`;
      let anchor: { ref: string; depth: number } | undefined;
      const trees = [registry, ...(catalog ? [join(catalog.dir, CATALOG_REGISTRY_DIR)] : [])];
      for (const tree of trees) {
        for (const file of filesUnder(tree)) {
          const rel = posix(relative(tree, file));
          const ref = this.emitFile({ type: 'asset', fileName: `${REGISTRY_DIR}/${rel}`, source: readFileSync(file) });
          if (tree === registry) anchor ??= { ref, depth: rel.split('/').length - 1 };
        }
      }
      if (!anchor) this.error(`no bundled registry under ${registry}: run \`npm run images\``);
      // the catalog's layers in lazy form (made once, kept in the catalog's cache folder): pieces and
      // indexes under registry/lazy/sha256/, each index's digest here, in what the page trusts
      let lazy: ReturnType<typeof lazyLayers> | undefined;
      try {
        lazy = catalog ? lazyLayers(join(catalog.dir, CATALOG_REGISTRY_DIR), Object.keys(catalog.manifest.images), catalog.dir) : undefined;
      } catch (e) {
        // (a catalog folder this user cannot write, say): the site still works, its catalog pulled whole
        this.warn(`the catalog's layers were not made lazy, so the page pulls them whole: ${(e as Error).message}`);
      }
      if (lazy) {
        for (const hex of lazyFiles(lazy.dir, lazy.layers)) {
          this.emitFile({ type: 'asset', fileName: `${REGISTRY_DIR}/${LAZY_DIR}/${hex}`, source: readFileSync(join(lazy.dir, 'sha256', hex)) });
        }
      }
      info += `export const lazyLayers = ${JSON.stringify(lazy?.layers ?? {})};\n`;
      return `${info}export const registryBase = new URL('${'../'.repeat(anchor.depth) || './'}', import.meta.ROLLUP_FILE_URL_${anchor.ref}).href;\n`;
    },
    configureServer(server) {
      // images/dist as plain files: the dev server would otherwise try to
      // transform an extension-less file (bzImage) as a module
      server.middlewares.use(DEV_DIST, (req, res, next) => {
        if ((req.url ?? '').includes('?')) return next(); // `?url` / `?raw` imports are modules
        const rel = decodeURIComponent(req.url ?? '').replace(/^\/+/, '');
        const file = join(dist, rel);
        if (rel.includes('..') || !file.startsWith(dist + sep)) return next();
        try {
          if (!statSync(file).isFile()) return next();
        } catch {
          res.statusCode = 404;
          res.end();
          return;
        }
        res.setHeader('Content-Type', rel.endsWith('.json') ? 'application/json' : 'application/octet-stream');
        createReadStream(file).pipe(res);
      });
    },
  };
}
