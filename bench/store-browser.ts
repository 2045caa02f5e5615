// `npx tsx bench/store-browser.ts [--runs N]`: where a page should keep the
// image store — OPFS (opfsBlobs) vs Cache Storage vs IndexedDB, timed in a
// dedicated Worker in Debian's Chromium (bench/store.worker.ts). Prints the
// median of N runs (default 5) per figure, in ms. The figures are in
// src/web/README.md ("Image store in the page").
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { ARGS, CHROMIUM } from '../test/browser/chromium.js';
import { serveStatic } from '../test/browser/static-server.js';

const runs = Number(process.argv.includes('--runs') ? process.argv[process.argv.indexOf('--runs') + 1] : 5);
const dir = mkdtempSync(join(tmpdir(), 'dockyard-store-bench-'));
await build({
  entryPoints: [fileURLToPath(new URL('./store.worker.ts', import.meta.url))],
  outfile: join(dir, 'store.worker.js'),
  bundle: true,
  format: 'esm',
  target: 'es2022',
  logLevel: 'warning',
});
writeFileSync(
  join(dir, 'index.html'),
  `<!doctype html><script>
  window.bench = (name) => new Promise((resolve, reject) => {
    const w = new Worker('store.worker.js', { type: 'module' });
    w.onmessage = (e) => { w.terminate(); e.data.error ? reject(new Error(e.data.error)) : resolve(e.data.result); };
    w.onerror = (e) => reject(new Error(e.message));
    w.postMessage(name);
  });
</script>`,
);
const server = await serveStatic(dir);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
/** A fresh on-disk profile per run: an incognito context (playwright's newContext) keeps OPFS, IndexedDB and Cache Storage in memory, and its sync access handles go over IPC per call. */
async function profile() {
  const userDir = mkdtempSync(join(tmpdir(), 'dockyard-profile-'));
  const ctx = await chromium.launchPersistentContext(userDir, { executablePath: CHROMIUM, args: ARGS, headless: true });
  return {
    ctx,
    close: async () => {
      await ctx.close();
      rmSync(userDir, { recursive: true, force: true });
    },
  };
}
try {
  let header = false;
  for (const name of ['OPFS', 'Cache Storage', 'IndexedDB']) {
    const all: Record<string, number[]> = {};
    for (let r = 0; r < runs; r++) {
      const p = await profile(); // empty storage each run
      const page = await p.ctx.newPage();
      await page.goto(server.url);
      if (!header) {
        header = true;
        console.log(`Chromium ${p.ctx.browser()?.version() ?? '?'}, on-disk profile, ${runs} runs, median ms`);
      }
      const figures = (await page.evaluate((n) => (window as unknown as { bench(n: string): Promise<Record<string, number>> }).bench(n), name)) as Record<string, number>;
      for (const [k, v] of Object.entries(figures)) (all[k] ??= []).push(v);
      await p.close();
    }
    console.log(`\n${name}`);
    for (const [k, v] of Object.entries(all)) console.log(`  ${k.padEnd(36)} ${median(v).toFixed(1).padStart(8)}`);
  }
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
