import type { ContainerStats } from '../../runtime/containers.js';
import type { CommandDef } from '../command.js';
import type { Ctx } from '../context.js';
import { bool, type Parsed } from '../flags.js';
import { bytesSize, table } from '../format.js';

/** Between two samples, as docker's first figures come from two readings a second apart. */
const INTERVAL_MS = 1000;

/** One `docker stats` table: CPU % over the interval, memory against its limit (the VM's memory when it has none), PIDs. */
export function statsTable(before: readonly ContainerStats[], after: readonly ContainerStats[], intervalMs: number, vmMemory: number, full: boolean): string {
  return table(
    ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'],
    after.map((s) => {
      const prev = before.find((b) => b.id === s.id);
      const cpu = prev ? ((s.cpuUsec - prev.cpuUsec) / (intervalMs * 1000)) * 100 : 0;
      const limit = s.memoryLimit > 0 && s.memoryLimit < vmMemory ? s.memoryLimit : vmMemory;
      const mem = limit > 0 ? (s.memoryBytes / limit) * 100 : 0;
      // no network or block I/O accounting here: docker's "--" for a figure it does not have
      return [full ? s.id : s.id.slice(0, 12), s.name, `${Math.max(0, cpu).toFixed(2)}%`, `${bytesSize(s.memoryBytes)} / ${bytesSize(limit)}`, `${mem.toFixed(2)}%`, '--', '--', String(s.pids)];
    }),
  );
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function sample(ctx: Ctx, refs: readonly string[]): Promise<ContainerStats[]> {
  const all = await ctx.d.containers.stats();
  if (refs.length === 0) return all;
  const ids = await Promise.all(refs.map((r) => ctx.d.containers.find(r).then((c) => c.id)));
  return ids.map((id) => all.find((s) => s.id === id)).filter((s): s is ContainerStats => s !== undefined);
}

async function showStats(ctx: Ctx, p: Parsed): Promise<number> {
  const vmMemory = (await ctx.d.info()).totalMemoryBytes;
  const full = bool(p, 'no-trunc');
  let before = await sample(ctx, p.args);
  for (;;) {
    await sleep(INTERVAL_MS);
    if (ctx.signal?.aborted) return 0;
    const after = await sample(ctx, p.args);
    const text = statsTable(before, after, INTERVAL_MS, vmMemory, full);
    if (bool(p, 'no-stream')) {
      ctx.io.out(text);
      return 0;
    }
    // as docker redraws: clear, home, the table
    ctx.io.out(`\x1b[2J\x1b[H${text}`);
    before = after;
  }
}

/** `docker stats [--no-stream] [CONTAINER...]`: running containers' CPU, memory and PIDs from their cgroups. */
export const stats: CommandDef = {
  names: ['container stats', 'stats'],
  usage: '[OPTIONS] [CONTAINER...]',
  description: 'Display a live stream of container(s) resource usage statistics',
  flags: [
    { long: 'no-stream', kind: 'bool', description: 'Disable streaming stats and only pull the first result' },
    { long: 'no-trunc', kind: 'bool', description: 'Do not truncate output' },
  ],
  operands: ['running'],
  run: showStats,
};
