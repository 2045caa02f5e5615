// Vite plugin `dockyard-first-visit-report`: after `vite build`, prints what
// a first visit downloads. Which guest files a page fetches at once and
// which only for a cold boot comes from the artifact list
// (src/common/manifest.ts), as src/web/vm-client.ts fetches them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import type { Plugin, ResolvedConfig, Rollup } from 'vite';
import { ARTIFACTS, REGISTRY_DIR, REGISTRY_IMAGES, STATE_FILE } from '../src/common/manifest.js';

/** The VM worker's file (workers/vm.worker.ts, started by src/web/vm-client.ts). */
const WORKER = /^assets\/vm\.worker[-.]/;
/** The first image a reader pulls. */
const FIRST_PULL = 'busybox';

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

/** Output files of the bundle that were emitted from a source file named one of `names`. */
function emittedFrom(bundle: Rollup.OutputBundle, names: readonly string[]): string[] {
  return Object.values(bundle)
    .filter((o) => o.type === 'asset' && o.names.some((n) => names.includes(n)))
    .map((o) => o.fileName);
}

/**
 * Prints what a first visit downloads: each page with what it loads at once,
 * the VM (downloaded at once by the playground, on the first Run by embedded
 * pages; the cold-boot artifacts only if the saved state cannot be used) and
 * the busybox image (on its first pull), raw and as a server compressing with
 * gzip -6 or brotli q5 would send it.
 */
export function firstVisitReport(): Plugin {
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
      // with a saved state the page fetches the cold-boot artifacts only if that state cannot be used (vm-client.ts)
      const coldBoot = ARTIFACTS.filter((a) => a.coldBootOnly);
      const kernel = emittedFrom(bundle, coldBoot.map((a) => a.file));
      const state = emittedFrom(bundle, [STATE_FILE]);
      const hasState = state.length > 0;
      const vm = [
        ...Object.keys(bundle).filter((f) => WORKER.test(f)),
        ...emittedFrom(bundle, ['v86.wasm', ...ARTIFACTS.filter((a) => !a.coldBootOnly).map((a) => a.file)]),
        ...(hasState ? state : kernel),
      ];
      const firstPull = REGISTRY_IMAGES.find((i) => i.name === FIRST_PULL);
      const pulled = firstPull ? Object.keys(bundle).filter((f) => f.startsWith(`${REGISTRY_DIR}/${firstPull.repo}/`)) : [];
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
      rows.push([`${FIRST_PULL} image (first pull)`, sum(pulled)]);
      const w = Math.max(...rows.map((r) => r[0].length));
      const line = (a: string, b: string, c: string, d: string) => `  ${a.padEnd(w)}  ${b.padStart(10)}  ${c.padStart(10)}  ${d.padStart(10)}`;
      const lines = ['', 'What a first visit downloads:', line('', 'raw', 'gzip -6', 'brotli q5')];
      for (const [name, s] of rows) lines.push(line(name, kb(s.raw), kb(s.gzip), kb(s.brotli)));
      lines.push('  (the kernel, the gzip initramfs and the zstd state do not compress further; the VM is cached in Cache Storage after the first visit)', '');
      config.logger.info(lines.join('\n'));
    },
  };
}
