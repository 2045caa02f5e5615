import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { dockyardAssets } from './build/dockyard-assets.js';
import { firstVisitReport } from './build/first-visit-report.js';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  // relative URLs: dist/ works from any static server under any base path
  base: './',
  plugins: [dockyardAssets(root), firstVisitReport()],
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
        // the preview service worker: at the site's root, beside the pages whose ports/ it serves
        'dockyard-sw': join(root, 'workers/port-sw.ts'),
      },
      output: {
        entryFileNames: (chunk) => (chunk.name === 'embed' ? 'embed.js' : chunk.name === 'dockyard-sw' ? 'dockyard-sw.js' : 'assets/[name]-[hash].js'),
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
