// Bundles the Node entry points (the CLI and the VM worker) with esbuild.
// worker_threads cannot load .ts, and v86 needs `require` inside an ES module:
// both are solved by one bundle per entry with a createRequire banner.
import { build } from 'esbuild';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const SOURCES = ['src', 'workers', 'package.json', 'bin/build-node.mjs'];

function newestMtime(root, rel) {
  const p = join(root, rel);
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const e of readdirSync(p)) m = Math.max(m, newestMtime(root, join(rel, e)));
  return m;
}

/** Builds into ROOT/node_modules/.cache/dockyard unless the bundles are newer than every source. */
export async function buildNode(root, { force = false } = {}) {
  const outdir = join(root, 'node_modules', '.cache', 'dockyard');
  const out = { cli: join(outdir, 'cli.mjs'), worker: join(outdir, 'vm.worker.mjs') };
  if (!force) {
    try {
      const built = Math.min(statSync(out.cli).mtimeMs, statSync(out.worker).mtimeMs);
      if (built > Math.max(...SOURCES.map((s) => newestMtime(root, s)))) return out;
    } catch {
      // not built yet
    }
  }
  await build({
    absWorkingDir: root,
    entryPoints: { cli: 'src/node/cli.ts', 'vm.worker': 'workers/vm.worker.ts' },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __dockyardRequire } from 'node:module'; const require = __dockyardRequire(import.meta.url);" },
  });
  return out;
}
