import type { CommandDef } from '../command.js';
import type { Ctx } from '../context.js';
import { humanSize, table } from '../format.js';

/** `docker system df`: what images, containers and volumes take, and what could go. */
export const systemDf: CommandDef = {
  names: ['system df'],
  usage: '[OPTIONS]',
  description: 'Show docker disk usage',
  flags: [],
  args: { max: 0 },
  run: diskUsage,
};

async function diskUsage(ctx: Ctx): Promise<number> {
  const containers = await ctx.d.containers.list();
  const byId = await ctx.d.images.byId();
  const everyone = [...byId.values()].flat();
  const used = new Set(containers.map((c) => c.imageId));
  // layers shared between images count once
  const stored = await ctx.d.images.storedBytes();
  let reclaimable = 0;
  for (const [id, names] of byId) if (!used.has(id)) reclaimable += await ctx.d.images.unique(names[0]!, everyone);
  const vols = await ctx.d.containers.volumes();
  const volUsed = new Set(containers.flatMap((c) => c.volumes));
  const volSize = vols.reduce((n, v) => n + v.size, 0);
  const volFree = vols.filter((v) => !volUsed.has(v.name)).reduce((n, v) => n + v.size, 0);
  const pct = (part: number, whole: number) => (whole > 0 ? ` (${Math.round((part / whole) * 100)}%)` : '');
  ctx.io.out(
    table(
      ['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'],
      [
        ['Images', String(byId.size), String([...byId.keys()].filter((id) => used.has(id)).length), humanSize(stored), `${humanSize(reclaimable)}${pct(reclaimable, stored)}`],
        ['Containers', String(containers.length), String(containers.filter((c) => c.status === 'running').length), '0B', '0B'],
        ['Local Volumes', String(vols.length), String(vols.filter((v) => volUsed.has(v.name)).length), humanSize(volSize), `${humanSize(volFree)}${pct(volFree, volSize)}`],
        ['Build Cache', '0', '0', '0B', '0B'],
      ],
    ),
  );
  return 0;
}
