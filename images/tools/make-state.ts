// Makes images/dist/state.bin.zst, the guest state a host restores instead of
// booting (src/common/snapshot.ts), and records it in manifest.json as
// `state`. Run by images/build.sh after the manifest of the other artifacts
// is written (npx tsx images/tools/make-state.ts ...).
//
//   make-state.ts [--work DIR]
//       boot the artifacts in images/dist the way the Node host does (the
//       project's VM worker in a worker thread), wait for HELLO and for the
//       guest to go quiet, send `sys.snapshot_prepare` (drop caches, zero free
//       memory; the daemon then counts CREDIT from 0 as after HELLO) and
//       nothing else, save_state(), `zstd -19`, restore the result once to
//       check it, install it and write manifest.state
//   make-state.ts --check
//       exit 0 if dist/state.bin.zst is what manifest.state says, its stamp is
//       that of the current artifacts and v86, and this tool is unchanged
//       (build.sh then skips the step), else 1
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildNode } from '../../bin/build-node.mjs';
import { stateStamp } from '../../src/common/snapshot.js';
import type { BootResult } from '../../src/common/vm-api.js';
import { bootFiles, loadArtifacts } from '../../src/node/artifacts.js';
import { bootNodeVm, startVmWorker } from '../../src/node/vm-host.js';
import {
  DIST_DIR,
  MANIFEST_PATH,
  REPO_ROOT,
  STATE_BUILT,
  STATE_FILE,
  type ManifestState,
  fileSha256,
  installedV86Version,
  readManifest,
  sha256,
  sourceHash,
} from '../artifacts.js';

function usage(msg: string): never {
  process.stderr.write(`make-state: ${msg}\nusage: make-state.ts [--check | --work DIR]\n`);
  process.exit(2);
}

const argv = process.argv.slice(2);
let check = false;
let work = join(process.env.DOCKYARD_BUILD_DIR ?? '/tmp', 'dockyard-build');
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--check') check = true;
  else if (argv[i] === '--work' && argv[i + 1] !== undefined) work = argv[++i]!;
  else usage(`bad argument ${argv[i]}`);
}

const log = (s: string) => process.stderr.write(`\x1b[1mimages:\x1b[0m ${s}\n`);
const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
const statePath = join(DIST_DIR, STATE_FILE);

if (check) {
  let fresh = false;
  try {
    const m = readManifest();
    const s = m.state;
    fresh =
      s !== undefined &&
      s.file === STATE_FILE &&
      existsSync(statePath) &&
      statSync(statePath).size === s.size &&
      fileSha256(statePath) === s.sha256 &&
      s.stamp === (await stateStamp(m, installedV86Version())) &&
      s.sources === sourceHash(STATE_BUILT);
  } catch {
    fresh = false;
  }
  process.exit(fresh ? 0 : 1);
}

const manifest = readManifest();
const v86 = installedV86Version();
const stamp = await stateStamp(manifest, v86);
const { worker } = await buildNode(REPO_ROOT);

// --- boot (never from an old state) and let the guest settle ----------------
let serial = '';
let lastOutput = performance.now();
const t0 = performance.now();
const { vm, boot } = await bootNodeVm({
  root: REPO_ROOT,
  workerPath: worker,
  state: false,
  listener: {
    console: () => (lastOutput = performance.now()),
    serial: (b) => {
      lastOutput = performance.now();
      serial = (serial + new TextDecoder().decode(b)).slice(-4000);
    },
  },
});
let raw: ArrayBuffer;
try {
  log(`state: booted in ${(boot.bootMs / 1000).toFixed(2)} s (containerd-lite ${boot.hello.version}, Linux ${boot.hello.kernel})`);
  // the hvc0 shell and the rest of init2 start around the daemon's HELLO
  const settleBy = performance.now() + 5000;
  while (performance.now() - lastOutput < 300 && performance.now() < settleBy) await new Promise((r) => setTimeout(r, 50));
  // the only request before the save (PROTOCOL.md, "Snapshots")
  const prep = Object.fromEntries(
    (await vm.request([['op', 'sys.snapshot_prepare']], 120_000)).map(([k, v]) => [k, new TextDecoder().decode(v)]),
  );
  log(`state: caches dropped, ${Math.round(Number(prep.zeroed_kb) / 1024)} MiB of free memory zeroed (${Math.round(Number(prep.free_kb) / 1024)} MiB free)`);
  const ts = performance.now();
  raw = await vm.saveState();
  log(`state: save_state ${Math.round(performance.now() - ts)} ms, ${mb(raw.byteLength)} raw`);
} catch (e) {
  process.stderr.write(`${serial.trim().split('\n').slice(-10).join('\n')}\n`);
  throw e;
} finally {
  await vm.shutdown();
}

// --- compress -------------------------------------------------------------------
mkdirSync(work, { recursive: true });
const rawPath = join(work, 'state.bin');
const zstPath = join(work, STATE_FILE);
writeFileSync(rawPath, new Uint8Array(raw));
const tz = performance.now();
execFileSync('zstd', ['-19', '-q', '-f', '--no-progress', '-o', zstPath, rawPath], { stdio: ['ignore', 'inherit', 'inherit'] });
const zst = readFileSync(zstPath);
log(`state: zstd -19 ${mb(zst.length)} in ${((performance.now() - tz) / 1000).toFixed(1)} s`);

// --- restore it once, as a host would ---------------------------------------
{
  const a = await loadArtifacts(REPO_ROOT, { state: false });
  const check = startVmWorker(worker);
  let r: BootResult;
  try {
    const buffer = zst.buffer.slice(zst.byteOffset, zst.byteOffset + zst.byteLength) as ArrayBuffer;
    r = await check.boot({
      ...bootFiles(a),
      state: { buffer, hello: boot.hello },
    });
    if (!r.restored) throw new Error(`the new state did not restore: ${r.coldBootReason}`);
    const info = Object.fromEntries((await check.request([['op', 'info']], 10_000)).map(([k, v]) => [k, new TextDecoder().decode(v)]));
    if (info.kernel !== boot.hello.kernel) throw new Error(`restored guest runs ${info.kernel}, not ${boot.hello.kernel}`);
  } finally {
    await check.shutdown();
  }
  log(`state: restore check ok (ready in ${Math.round(r.bootMs)} ms)`);
}

// --- install ------------------------------------------------------------------
const tmp = join(DIST_DIR, `.${STATE_FILE}.tmp`);
writeFileSync(tmp, zst, { mode: 0o644 });
renameSync(tmp, statePath);
const entry: ManifestState = {
  file: STATE_FILE,
  size: zst.length,
  sha256: sha256(zst),
  rawSize: raw.byteLength,
  stamp,
  hello: boot.hello,
  sources: sourceHash(STATE_BUILT),
};
// the manifest as it is now (write-manifest.ts wrote the rest), plus state
const m = readManifest();
if ((await stateStamp(m, v86)) !== stamp) throw new Error('manifest.json changed while the state was being made: run again');
m.state = entry;
writeFileSync(`${MANIFEST_PATH}.tmp`, `${JSON.stringify(m, null, 2)}\n`);
renameSync(`${MANIFEST_PATH}.tmp`, MANIFEST_PATH);
log(`state: ${STATE_FILE} ${zst.length} B (raw ${raw.byteLength} B), made in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
process.exit(0);
