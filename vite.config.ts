import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { Plugin, ResolvedConfig } from 'vite';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const REGISTRY_DIR = join(root, 'images', 'dist', 'registry');
const V86_WASM = join(root, 'node_modules', 'v86', 'build', 'v86.wasm');
const V86_VERSION = (JSON.parse(readFileSync(join(root, 'node_modules', 'v86', 'package.json'), 'utf8')) as { version: string }).version;
const DIST = join(root, 'images', 'dist');

/** images/dist/<manifest.state.file>, when the manifest names one and it is there. */
function stateFile(): { file: string; path: string } | undefined {
  try {
    const m = JSON.parse(readFileSync(join(DIST, 'manifest.json'), 'utf8')) as { state?: { file?: unknown } };
    const file = m.state?.file;
    if (typeof file !== 'string' || !/^[\w.-]+$/.test(file)) return undefined;
    const path = join(DIST, file);
    return statSync(path).isFile() ? { file, path } : undefined;
  } catch {
    return undefined;
  }
}
const BUILD_INFO = 'virtual:dockyard-build';

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

/**
 * `virtual:dockyard-build`: where the bundled registry is (its files are
 * copied into the build as registry/** with their layout kept, and found
 * relative to the chunk that asks, so any base path works), the sha256 of
 * v86.wasm (not in the artifact manifest), the v86 version, and the saved
 * guest state if images/dist has one. In dev, images/dist is served as it is.
 */
function dockyardAssets(): Plugin {
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
      const wasm = readFileSync(V86_WASM);
      const state = stateFile();
      let info = `export const v86Wasm = ${JSON.stringify({ sha256: createHash('sha256').update(wasm).digest('hex'), size: wasm.length })};\n`;
      info += `export const v86Version = ${JSON.stringify(V86_VERSION)};\n`;
      if (serving) {
        // (not `new URL(…, import.meta.url)`: the dev server would rewrite that as an asset)
        info += `export const stateUrl = ${state ? `new URL('/images/dist/${state.file}', location.href).href` : 'undefined'};\n`;
        return `${info}export const registryBase = new URL('/images/dist/registry/', location.href).href;\n`;
      }
      if (state) {
        const ref = this.emitFile({ type: 'asset', name: state.file, source: readFileSync(state.path) });
        info += `export const stateUrl = new URL(import.meta.ROLLUP_FILE_URL_${ref}, import.meta.url).href;\n`;
      } else info += 'export const stateUrl = undefined;\n';
      let anchor: { ref: string; depth: number } | undefined;
      for (const file of filesUnder(REGISTRY_DIR)) {
        const rel = posix(relative(REGISTRY_DIR, file));
        const ref = this.emitFile({ type: 'asset', fileName: `registry/${rel}`, source: readFileSync(file) });
        anchor ??= { ref, depth: rel.split('/').length - 1 };
      }
      if (!anchor) this.error(`no bundled registry under ${REGISTRY_DIR}: run \`npm run images\``);
      return `${info}export const registryBase = new URL('${'../'.repeat(anchor.depth) || './'}', import.meta.ROLLUP_FILE_URL_${anchor.ref}).href;\n`;
    },
    configureServer(server) {
      // images/dist as plain files: the dev server would otherwise try to
      // transform an extension-less file (bzImage) as a module
      server.middlewares.use('/images/dist/', (req, res, next) => {
        if ((req.url ?? '').includes('?')) return next(); // `?url` / `?raw` imports are modules
        const rel = decodeURIComponent(req.url ?? '').replace(/^\/+/, '');
        const file = join(DIST, rel);
        if (rel.includes('..') || !file.startsWith(DIST + sep)) return next();
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

interface Sized {
  raw: number;
  gzip: number;
  brotli: number;
}

function measure(bytes: Uint8Array): Sized {
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 6 }).length,
    brotli: brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 5 } }).length,
  };
}

const kb = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : `${(n / 1e3).toFixed(1)} kB`);

/**
 * Prints what a first visit downloads: each page with what it loads at once,
 * the VM (downloaded at once by the playground, on the first Run by embedded
 * pages; the kernel and initramfs only if the saved state cannot be used) and
 * the busybox image (on its first pull), raw and as a server compressing with
 * gzip -6 or brotli q5 would send it.
 */
function firstVisitReport(): Plugin {
  let config: ResolvedConfig;
  return {
    name: 'dockyard-first-visit-report',
    apply: 'build',
    configResolved(c) {
      config = c;
    },
    writeBundle(options, bundle) {
      const outDir = options.dir ?? config.build.outDir;
      const size = new Map<string, Sized>();
      const sized = (f: string) => {
        let s = size.get(f);
        if (!s) size.set(f, (s = measure(readFileSync(join(outDir, f)))));
        return s;
      };
      const sum = (files: Iterable<string>) => {
        const t: Sized = { raw: 0, gzip: 0, brotli: 0 };
        for (const f of files) {
          const s = sized(f);
          t.raw += s.raw;
          t.gzip += s.gzip;
          t.brotli += s.brotli;
        }
        return t;
      };
      // what a page loads before any script runs: its tags and their static imports
      const closure = (seeds: string[]): Set<string> => {
        const seen = new Set<string>();
        const queue = [...seeds];
        while (queue.length) {
          const f = queue.pop()!;
          if (seen.has(f) || !(f in bundle)) continue;
          seen.add(f);
          const c = bundle[f]!;
          if (c.type === 'chunk') {
            queue.push(...c.imports);
            const meta = (c as { viteMetadata?: { importedCss: Set<string> } }).viteMetadata;
            if (meta) queue.push(...meta.importedCss);
          }
        }
        return seen;
      };
      const pageFiles = (html: string): Set<string> => {
        const src = readFileSync(join(outDir, html), 'utf8');
        return closure([html, ...[...src.matchAll(/(?:src|href)="\.\/([^"#?]+)"/g)].map((m) => m[1]!)]);
      };
      const chunkNamed = (name: string) => Object.values(bundle).filter((c) => c.type === 'chunk' && c.name === name).map((c) => c.fileName);
      const all = Object.keys(bundle);
      // with a saved state the page fetches the kernel and initramfs only if that state cannot be used (vm-client.ts)
      const kernel = all.filter((f) => /^assets\/(bzImage|initramfs)[-.]/.test(f));
      const hasState = all.some((f) => /^assets\/state[-.]/.test(f));
      const vm = all.filter((f) => /^assets\/(vm\.worker|v86|bios|state)[-.]/.test(f) || (!hasState && kernel.includes(f)));
      const busybox = all.filter((f) => f.startsWith('registry/docker.io/library/busybox/'));
      const rows: Array<[string, Sized]> = [];
      const playground = pageFiles('index.html');
      rows.push(['playground page (index.html, JS, CSS)', sum(playground)]);
      rows.push([`VM (worker, v86.wasm, BIOS, ${hasState ? 'saved state' : 'kernel, initramfs: no saved state in this build'})`, sum(vm)]);
      rows.push(['= first visit to the playground', sum([...playground, ...vm])]);
      if ('tutorial.html' in bundle) {
        const tutorial = pageFiles('tutorial.html');
        rows.push(['tutorial page before its first Run', sum(tutorial)]);
        rows.push(['= tutorial after its first Run (+ runtime, VM)', sum([...tutorial, ...closure(chunkNamed('block-runner')), ...vm])]);
      }
      if (hasState) rows.push(['kernel, initramfs (only if the saved state cannot be used)', sum(kernel)]);
      rows.push(['busybox image (first pull)', sum(busybox)]);
      const w = Math.max(...rows.map((r) => r[0].length));
      const line = (a: string, b: string, c: string, d: string) => `  ${a.padEnd(w)}  ${b.padStart(10)}  ${c.padStart(10)}  ${d.padStart(10)}`;
      const lines = ['', 'What a first visit downloads:', line('', 'raw', 'gzip -6', 'brotli q5')];
      for (const [name, s] of rows) lines.push(line(name, kb(s.raw), kb(s.gzip), kb(s.brotli)));
      lines.push('  (the kernel, the gzip initramfs and the zstd state do not compress further; the VM is cached in Cache Storage after the first visit)', '');
      config.logger.info(lines.join('\n'));
    },
  };
}

export default defineConfig({
  // relative URLs: dist/ works from any static server under any base path
  base: './',
  plugins: [dockyardAssets(), firstVisitReport()],
  worker: { format: 'es' },
  server: { watch: { ignored: ['**/.cache/**', '**/test-results/**', '**/scratch/**'] } },
  build: {
    assetsInlineLimit: 0,
    target: 'es2022',
    rollupOptions: {
      input: {
        index: join(root, 'index.html'),
        tutorial: join(root, 'tutorial.html'),
        // <script type="module" src=".../embed.js">: a stable name for other sites
        embed: join(root, 'src/web/embed.ts'),
      },
      output: {
        entryFileNames: (chunk) => (chunk.name === 'embed' ? 'embed.js' : 'assets/[name]-[hash].js'),
        // bzImage has no extension: no trailing dot in its name
        assetFileNames: (asset) => (/\.[^./]+$/.test(asset.names[0] ?? '') ? 'assets/[name]-[hash][extname]' : 'assets/[name]-[hash]'),
      },
    },
  },
  test: {
    include: ['test/unit/**/*.test.ts', 'test/vm/**/*.test.ts', 'test/browser/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts', 'test/browser/global-setup.ts'],
    setupFiles: ['test/setup-home.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // VM tests boot real guests: keep them from fighting over 2 cores
    fileParallelism: false,
  },
});
