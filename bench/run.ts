// `npm run bench`: Dockyard's speed and size figures, as medians, printed as
// a table and (with --json FILE) written as JSON. No test asserts these.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { debianImage } from '../test/fixtures/debian-image.js';
import { HAVE_REGISTRY, skopeoCopy, startRegistry } from '../test/fixtures/registry.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { buildNode } from '../bin/build-node.mjs';
import { bootNodeVm, wasmTiering } from '../src/node/vm-host.js';
import { v86Version } from '../src/node/artifacts.js';
import { startDockyard } from '../src/node/cli.js';
import type { Dockyard } from '../src/runtime/dockyard.js';
import { build } from '../src/runtime/build.js';
import { readContextDir } from '../src/node/context-dir.js';
import { Op, request } from '../src/common/protocol/ops.js';
import { portFigures } from './ports.js';
import { chromium } from 'playwright-core';
import { serveStatic } from '../test/browser/static-server.js';
import { freshPrompt, typeLine, waitReady } from '../test/browser/page-helpers.js';
import { currentCatalog } from '../src/node/catalog.js';

const CHROMIUM = '/usr/bin/chromium';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const runs = Number(args.includes('--runs') ? args[args.indexOf('--runs') + 1] : 5);
// --only KEY[,KEY]: run just the sections that measure these keys (each
// section still reports all of its keys).
const only = args.includes('--only') ? new Set(args[args.indexOf('--only') + 1]!.split(',')) : undefined;
const want = (...keys: string[]) => !only || keys.some((k) => only.has(k));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
function p95(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]!;
}
const round = (x: number) => Math.round(x * 10) / 10;
/** An empty image store: every figure starts from no images, as a new user does. */
const quiet = { stdout: () => {}, stderr: () => {} };
const freshHome = () => mkdtempSync(join(tmpdir(), 'dockyard-bench-'));

const { worker } = await buildNode(root);
const results: Record<string, number | string | boolean> = {};
const notes: string[] = [];

// --- cold boot: emulator start → daemon HELLO, in a worker thread
if (want('cold_boot_ms')) {
  const boots: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { vm, boot } = await bootNodeVm({ root, workerPath: worker, state: false });
    boots.push(boot.bootMs);
    await vm.shutdown();
  }
  results.cold_boot_ms = round(median(boots));
  notes.push(`cold boots: ${boots.map(Math.round).join(', ')} ms`);
}

// --- instant start (issue #5): restore from images/dist/state.bin.zst -------------
// restore_ready_ms: emulator start → ready (state loaded, clock and entropy set),
// measured in the worker like cold_boot_ms. restore_first_output_ms: that plus
// ready → first stdout byte of `run --rm busybox echo hi`, pull included (a
// restored VM has no images). pull_busybox_ms: that pull, into each fresh VM.
if (want('restore_ready_ms', 'restore_first_output_ms', 'pull_busybox_ms')) {
  const ready: number[] = [];
  const first: number[] = [];
  const pulls: number[] = [];
  for (let i = 0; i < runs; i++) {
    const d = await startDockyard(root, worker, { home: freshHome() });
    try {
      if (!d.boot.restored) {
        notes.push(`restore: cold-booted instead (${d.boot.coldBootReason})`);
        break;
      }
      ready.push(d.boot.bootMs);
      const t0 = performance.now();
      await d.pull('busybox');
      pulls.push(performance.now() - t0);
      let firstAt = -1;
      const { proc: p } = await d.containers.run({ image: 'busybox', cmd: ['echo', 'hi'], rm: true }, { stdout: () => { if (firstAt < 0) firstAt = performance.now(); }, stderr: () => {} });
      await p.exit;
      first.push(d.boot.bootMs + (firstAt - t0));
      if (i === 0) notes.push(`restore phases (first run): ${JSON.stringify(d.boot.phases)}`);
    } finally {
      await d.close();
    }
  }
  if (ready.length > 0) {
    results.restore_ready_ms = round(median(ready));
    results.restore_first_output_ms = round(median(first));
    results.pull_busybox_ms = round(median(pulls));
    notes.push(`restores: ${ready.map(Math.round).join(', ')} ms; to first output: ${first.map(Math.round).join(', ')} ms`);
  }
}

if (want('run_true_first30_ms_median', 'run_true_ms_median', 'run_true_ms_p95', 'bare_exec_ms_median', 'run_true_vs_bare', 'run_true_minstr', 'bare_exec_minstr', 'run_true_paced_ms_median', 'stdout_mb_s', 'port_first_byte_ms', 'port_rps', 'port_minstr_per_req', 'mem_per_container_kb', 'containers_50_ms', 'containers_50_ok', 'build_small_ms', 'build_cached_ms')) {
  // --- one VM for the container figures
  const d: Dockyard = await startDockyard(root, worker, { home: freshHome() });

  // as `docker run` does it: the image looked up once, then create + start
  async function run(cmd: string[], o: { rm?: boolean; detach?: boolean } = { rm: true }): Promise<{ ms: number; firstByteMs: number; bytes: number; exitCode: number }> {
    const t0 = performance.now();
    let first = -1;
    let bytes = 0;
    const image = await d.images.find('busybox');
    const opts = { image: 'busybox', cmd, rm: o.rm ?? false };
    if (o.detach) {
      const { id } = await d.containers.create(opts, image);
      await d.containers.start(id);
      return { ms: performance.now() - t0, firstByteMs: -1, bytes: 0, exitCode: 0 };
    }
    const { proc: p } = await d.containers.run(opts, {
      stdout: (b) => {
        if (first < 0) first = performance.now() - t0;
        bytes += b.length;
      },
      stderr: () => {},
    }, image);
    const s = await p.exit;
    return { ms: performance.now() - t0, firstByteMs: first, bytes, exitCode: s.exitCode };
  }

  await d.pull('busybox');

  // Guest instructions (v86's counter) between two points: what the work costs
  // the emulated CPU, which the host's load does not change. Millions.
  const instructions = () => d.backend.instructionCount?.() ?? Promise.resolve(0);
  async function counted<T>(f: () => Promise<T>): Promise<{ ms: number; minstr: number; value: T }> {
    const i0 = await instructions();
    const t0 = performance.now();
    const value = await f();
    const ms = performance.now() - t0;
    return { ms, minstr: (((await instructions()) - i0) >>> 0) / 1e6, value };
  }
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  if (want('run_true_first30_ms_median', 'run_true_ms_median', 'run_true_ms_p95', 'bare_exec_ms_median', 'run_true_vs_bare', 'run_true_minstr', 'bare_exec_minstr')) {
    // run --rm busybox true back to back. v86 compiles guest code that runs
    // often into wasm, so a fresh VM's first container starts run mostly
    // interpreted: ~30 starts warm it up (they take 2-3x as long). Those are
    // reported apart (what a session's first commands cost); then 20 measured.
    {
      const cold: number[] = [];
      for (let i = 0; i < 30; i++) cold.push((await run(['true'])).ms);
      results.run_true_first30_ms_median = round(median(cold));
    }
    const trues: number[] = [];
    const trueInstr: number[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await counted(() => run(['true']));
      trues.push(r.ms);
      trueInstr.push(r.minstr);
    }
    results.run_true_ms_median = round(median(trues));
    results.run_true_ms_p95 = round(p95(trues));

    // the floor: the same round trip running /bin/true in the VM itself (no image
    // lookup, no namespaces, cgroup, mounts or writable layer)
    const bare: number[] = [];
    const bareInstr: number[] = [];
    for (let i = 0; i < 21; i++) {
      const r = await counted(() => d.call(request(Op.SysExec, { arg: ['/bin/true'] })));
      if (i === 0) continue;
      bare.push(r.ms);
      bareInstr.push(r.minstr);
    }
    results.bare_exec_ms_median = round(median(bare));
    results.run_true_vs_bare = round(median(trues) / median(bare));
    // the same two in guest instructions (millions; noise-free)
    results.run_true_minstr = round(median(trueInstr));
    results.bare_exec_minstr = round(median(bareInstr));
  }

  // run --rm true as a person or a tutorial page runs it: 10 times, half a
  // second apart (the VM idles in between, as it does while a reader reads)
  if (want('run_true_paced_ms_median')) {
    const paced: number[] = [];
    for (let i = 0; i < 10; i++) {
      await pause(500);
      paced.push((await run(['true'])).ms);
    }
    results.run_true_paced_ms_median = round(median(paced));
  }

  // stdout throughput: container → host
  if (want('stdout_mb_s')) {
    // dd, not head -c: busybox head spends ~0.9 s of emulated CPU per 4 MB
    const n = 16 * 1024 * 1024;
    const rates: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await run(['sh', '-c', `dd if=/dev/zero bs=65536 count=${n / 65536} 2>/dev/null`]);
      rates.push(r.bytes / 1e6 / (r.ms / 1000));
      if (r.bytes !== n) notes.push(`stdout: got ${r.bytes} of ${n} bytes`);
    }
    results.stdout_mb_s = round(median(rates));
  }

  // published ports: a host HTTP client to busybox httpd in a container
  if (want('port_first_byte_ms', 'port_rps', 'port_minstr_per_req')) Object.assign(results, await portFigures(d, instructions));

  // memory per idle container and 50 detached containers
  async function memAvailableKb(): Promise<number> {
    let out = '';
    const { id } = await d.containers.create({ image: 'busybox', cmd: ['cat', '/proc/meminfo'], rm: true });
    const p = await d.containers.attach(id, { stdout: (b) => (out += new TextDecoder().decode(b)), stderr: () => {} });
    await p.exit;
    return Number(/MemAvailable:\s+(\d+)/.exec(out)?.[1] ?? 0);
  }
  if (want('mem_per_container_kb', 'containers_50_ms', 'containers_50_ok')) {
    // `runs` rounds of 50 (removed between rounds, not timed); memory from the first
    const times: number[] = [];
    let ok = true;
    for (let round = 0; round < runs; round++) {
      const before = round === 0 ? await memAvailableKb() : 0;
      const t0 = performance.now();
      for (let i = 0; i < 50; i++) await run(['sleep', '3600'], { detach: true });
      times.push(performance.now() - t0);
      const running = await d.containers.list(false);
      if (running.length < 50) {
        ok = false;
        notes.push(`round ${round + 1}: only ${running.length} of 50 containers running`);
      }
      if (round === 0) results.mem_per_container_kb = Math.round((before - (await memAvailableKb())) / 50);
      for (const c of running) await d.containers.remove(c.id, true);
    }
    results.containers_50_ms = round(median(times));
    results.containers_50_ok = ok;
  }

  // docker build (issue #14): build_small_ms — FROM busybox + COPY + RUN with
  // no cache (busybox already pulled); build_cached_ms — a 5-step Dockerfile
  // rebuilt with nothing changed (every step from the layer cache).
  if (want('build_small_ms', 'build_cached_ms')) {
    const dir = mkdtempSync(join(tmpdir(), 'dockyard-bench-build-'));
    writeFileSync(join(dir, 'hello.txt'), 'hello\n');
    const progress = () => {};
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nCOPY hello.txt /hello.txt\nRUN cat /hello.txt > /copy.txt\n');
    const small: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await build(d, await readContextDir(dir), { tags: ['bench-small'], noCache: true }, progress);
      small.push(performance.now() - t0);
    }
    results.build_small_ms = round(median(small));
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\nWORKDIR /app\nCOPY hello.txt .\nRUN cp hello.txt copy.txt\nENV GREETING=hi\nCMD ["cat", "copy.txt"]\n');
    await build(d, await readContextDir(dir), { tags: ['bench-cached'] }, progress);
    const cached: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await build(d, await readContextDir(dir), { tags: ['bench-cached'] }, progress);
      cached.push(performance.now() - t0);
    }
    results.build_cached_ms = round(median(cached));
  }
  await d.close();
}

// --- a Debian-sized image (issue #7): `docker load` of 3 layers, ~142 MB raw /
// ~57 MB gzip (Debian minbase + python3, test/fixtures/debian-image.ts, built
// from Debian's i386 packages and cached), each time into an empty store of a
// fresh VM; then the first `run --rm IMAGE python3 -c 'print(1)'`, and the
// guest's MemAvailable with two python containers of it running.
if (want('load_debian_ms', 'first_run_python_ms', 'first_run_python_minstr', 'guest_mem_avail_kb')) try {
  const img = await debianImage({ log: (l) => notes.push(`debian image: ${l}`) });
  const archive = new Uint8Array(readFileSync(img.archive));
  const loads: number[] = [];
  const firstRuns: number[] = [];
  const firstInstr: number[] = [];
  const avail: number[] = [];
  for (let i = 0; i < Math.min(runs, 3); i++) {
    const dd = await startDockyard(root, worker, { home: freshHome() });
    try {
      let t0 = performance.now();
      await dd.images.load(archive);
      loads.push(performance.now() - t0);
      t0 = performance.now();
      const i0 = await dd.backend.instructionCount?.() ?? 0;
      const { proc } = await dd.containers.run({ image: 'dockyard-debian:test', cmd: ['python3', '-c', 'print(1)'], rm: true }, quiet);
      if ((await proc.exit).exitCode !== 0) notes.push('debian: python3 failed');
      firstRuns.push(performance.now() - t0);
      firstInstr.push((((await dd.backend.instructionCount?.() ?? 0) - i0) >>> 0) / 1e6);
      for (const n of ['py1', 'py2']) {
        const { id } = await dd.containers.create({ image: 'dockyard-debian:test', name: n, cmd: ['python3', '-c', 'import time; time.sleep(600)'] });
        await dd.containers.start(id);
      }
      await new Promise((r) => setTimeout(r, 2000)); // let both python start-ups finish
      avail.push((await dd.info()).memAvailableBytes / 1024);
    } finally {
      await dd.close();
    }
  }
  results.load_debian_ms = round(median(loads));
  results.first_run_python_ms = round(median(firstRuns));
  results.first_run_python_minstr = round(median(firstInstr));
  results.guest_mem_avail_kb = Math.round(median(avail));
  notes.push(`debian image: ${(img.rawBytes / 1e6).toFixed(1)} MB raw, ${(img.gzipBytes / 1e6).toFixed(1)} MB gzip; loads ${loads.map(Math.round).join(', ')} ms; first python runs ${firstRuns.map(Math.round).join(', ')} ms`);
} catch (e) {
  notes.push(`debian image figures skipped: ${(e as Error).message.split('\n')[0]}`);
}

// --- pull_registry_ms (issue #11): `docker pull` of the same 3-layer Debian
// image from Debian's docker-registry on 127.0.0.1 (seeded by skopeo), into
// the empty store of a fresh VM; goal: within 1.5x of load_debian_ms.
if (want('pull_registry_ms')) try {
  if (!HAVE_REGISTRY) throw new Error('docker-registry, skopeo or htpasswd is not installed');
  const img = await debianImage({ log: (l) => notes.push(`debian image: ${l}`) });
  const reg = await startRegistry();
  try {
    await skopeoCopy(`oci-archive:${img.archive}:test`, `docker://${reg.host}/library/dockyard-debian:test`);
    const pulls: number[] = [];
    for (let i = 0; i < Math.min(runs, 3); i++) {
      const dd = await startDockyard(root, worker, { home: freshHome() });
      try {
        const t0 = performance.now();
        await dd.pull(`${reg.host}/library/dockyard-debian:test`);
        pulls.push(performance.now() - t0);
      } finally {
        await dd.close();
      }
    }
    results.pull_registry_ms = round(median(pulls));
    const load = results.load_debian_ms;
    notes.push(`pull from a local docker-registry: ${pulls.map(Math.round).join(', ')} ms${typeof load === 'number' ? ` (${(median(pulls) / load).toFixed(2)}x docker load; goal <= 1.5x)` : ''}`);
  } finally {
    await reg.stop();
  }
} catch (e) {
  notes.push(`pull_registry_ms skipped: ${(e as Error).message.split('\n')[0]}`);
}

// --- a first visit to the static build (built here, as `npm run build` does): what it downloads,
// counted as a static host would serve it (gzip for text and wasm; the
// kernel, gzip initramfs and zstd state as they are), and how long until its
// VM is ready. In Debian's Chromium when it is there (the files the page
// really requests); otherwise every file of the build but the image registry
// and the boot files a restore does not need.
if (want('first_load_bytes', 'page_ready_ms', 'page_python_first_output_ms', 'page_python_bytes')) {
  const dist = join(root, 'node_modules', '.cache', 'dockyard-bench-site');
  {
    const { build } = await import('vite');
    await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'silent', build: { outDir: dist, emptyOutDir: true } });
  }
  function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((e) => {
      const p = join(dir, e);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
  }
  const compressedSize = (f: string): number => {
    const raw = readFileSync(f);
    const compressible = !/\.(gz|zst|bin|png|jpg)$/.test(f) && !/bzImage/.test(f);
    return compressible ? gzipSync(raw, { level: 9 }).length : raw.length;
  };
  if (existsSync(CHROMIUM)) {
    const server = await serveStatic(dist);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'], headless: true });
    try {
      // each a first visit: a fresh context has an empty cache and Cache Storage
      const readyMs: number[] = [];
      for (let i = 0; i < runs; i++) {
        const context = await browser.newContext();
        const page = await context.newPage();
        server.requests.length = 0;
        const t0 = performance.now();
        await page.goto(server.url);
        await waitReady(page);
        readyMs.push(performance.now() - t0);
        if (i === 0) {
          const files = [...new Set(server.requests)];
          results.first_load_bytes = files.reduce((n, f) => n + compressedSize(join(dist, f)), 0);
          notes.push(`first visit (Chromium) fetched: ${files.join(', ')}`);
        }
        await context.close();
      }
      results.page_ready_ms = round(median(readyMs));
      // --- lazy pulling (src/web/README.md): a first visit, `docker run --rm python:3.11-slim
      // python3 -c 'print(1)'` typed at the prompt, to its output; and the bytes the run
      // fetched (as served: pieces are gzip already). The background download of the
      // layers starts at the first output: layer blobs are left out of the count (none is
      // fetched before it), and noted if seen.
      const python = currentCatalog()?.manifest.images['docker.io/library/python'];
      if (python) {
        const firstMs: number[] = [];
        const bytes: number[] = [];
        for (let i = 0; i < Math.min(runs, 3); i++) {
          const context = await browser.newContext();
          const page = await context.newPage();
          await page.goto(server.url);
          await waitReady(page);
          await freshPrompt(page);
          const from = server.requests.length;
          const before = await page.evaluate(() => window.__dockyard!.screenText('docker').length);
          const t0 = performance.now();
          await typeLine(page, "docker run --rm python:3.11-slim python3 -c 'print(1)'");
          await page.waitForFunction((b) => /\n1\n/.test(window.__dockyard!.screenText('docker').slice(b)), before, { timeout: 300_000, polling: 10 });
          firstMs.push(performance.now() - t0);
          const files = [...new Set(server.requests.slice(from))];
          const layers = files.filter((f) => /\/blobs\/sha256\//.test(f) && statSync(join(dist, f)).size > 1e6);
          if (layers.length > 0) notes.push(`page_python: layer blobs requested by the time the output was seen (left out): ${layers.join(', ')}`);
          bytes.push(files.filter((f) => !layers.includes(f)).reduce((n, f) => n + (f.startsWith('registry/') ? statSync(join(dist, f)).size : compressedSize(join(dist, f))), 0));
          if (i === 0) notes.push(`page_python (first run) fetched ${files.length - layers.length} files: ${files.filter((f) => f.startsWith('registry/lazy/')).length} pieces/indexes of registry/lazy/`);
          await context.close();
        }
        results.page_python_first_output_ms = round(median(firstMs));
        results.page_python_bytes = median(bytes);
        notes.push(`page_python: ${firstMs.map(Math.round).join(', ')} ms; ${bytes.join(', ')} bytes (the image: ${python.compressed} bytes of gzip layers)`);
      } else notes.push('page_python_* skipped: no catalog built here (npm run catalog)');
    } finally {
      await browser.close();
      await server.close();
    }
  } else {
    const hasState = readdirSync(join(dist, 'assets')).some((f) => f.startsWith('state'));
    let total = 0;
    for (const f of walk(dist)) {
      if (f.includes(`${join('dist', 'registry')}`) || f.endsWith('.map')) continue; // images are pulled on demand
      if (hasState && /\/(bzImage|initramfs)[^/]*$/.test(f)) continue; // fetched only if the state cannot be used
      total += compressedSize(f);
    }
    results.first_load_bytes = total;
    notes.push(`first_load_bytes: counted from dist/ (no ${CHROMIUM})`);
  }
}

results.v86_version = v86Version(root);
// how V8 runs v86's WebAssembly in the Node host (src/node/vm-host.ts)
results.node_wasm = wasmTiering();
results.machine = `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;

const rows = Object.entries(results);
const w = Math.max(...rows.map(([k]) => k.length));
console.log(`${'metric'.padEnd(w)}  value`);
for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
for (const n of notes) console.log(`note: ${n}`);
console.log(JSON.stringify(results));
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2) + '\n');
