// `npm run bench`: Dockyard's speed and size figures, as medians, printed as
// a table and (with --json FILE) written as JSON. No test asserts these.
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildNode } from '../bin/build-node.mjs';
import { bootNodeVm } from '../src/node/vm-host.js';
import { v86Version } from '../src/node/artifacts.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const jsonOut = args.includes('--json') ? args[args.indexOf('--json') + 1] : undefined;
const runs = Number(args.includes('--runs') ? args[args.indexOf('--runs') + 1] : 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const { worker } = await buildNode(root);
const results: Record<string, number | string> = {};

// cold boot: emulator start → daemon HELLO, in a worker thread
const boots: number[] = [];
for (let i = 0; i < runs; i++) {
  const { vm, boot } = await bootNodeVm({ root, workerPath: worker });
  boots.push(boot.bootMs);
  await vm.shutdown();
}
results.cold_boot_ms = Math.round(median(boots));

results.v86_version = v86Version(root);
results.machine = `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;

const rows = Object.entries(results);
const w = Math.max(...rows.map(([k]) => k.length));
console.log(`${'metric'.padEnd(w)}  value`);
for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
console.log(`(cold boots: ${boots.map((b) => Math.round(b)).join(', ')} ms)`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(results, null, 2) + '\n');
