import type { Ctx } from '../context.js';
import type { CommandDef } from '../command.js';
import { bool, type Parsed } from '../flags.js';
import { humanSize } from '../format.js';
import { confirm } from '../confirm.js';

/** `docker image prune [-a] [-f]`: dangling images, or with -a every image no container uses. */
export const imagePrune: CommandDef = {
  names: ['image prune'],
  usage: '[OPTIONS]',
  description: 'Remove unused images',
  flags: [
    { long: 'all', short: 'a', kind: 'bool', description: 'Remove all unused images, not just dangling ones' },
    { long: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' },
  ],
  args: { max: 0 },
  run: pruneImages,
};

async function pruneImages(ctx: Ctx, p: Parsed): Promise<number> {
  const all = bool(p, 'all');
  const warning = all
    ? 'WARNING! This will remove all images without at least one container associated to them.'
    : 'WARNING! This will remove all dangling images.';
  if (!bool(p, 'force') && !(await confirm(ctx, `${warning}\nAre you sure you want to continue? [y/N] `))) return 0;
  const containers = await ctx.d.containers.list();
  const { lines, reclaimed } = await ctx.d.images.prune(all, (id) => containers.some((c) => c.imageId === id));
  if (lines.length > 0) ctx.io.out(`Deleted Images:\n${lines.map((l) => `${l}\n`).join('')}\n`);
  ctx.io.out(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
  return 0;
}

/** Removes every stopped container; their full ids. */
export async function pruneContainers(ctx: Ctx): Promise<string[]> {
  const gone: string[] = [];
  for (const c of await ctx.d.containers.list()) {
    if (c.status === 'running') continue;
    await ctx.d.containers.remove(c.id);
    gone.push(c.id);
  }
  return gone;
}

/** `docker container prune [-f]`. */
export const containerPrune: CommandDef = {
  names: ['container prune'],
  usage: '[OPTIONS]',
  description: 'Remove all stopped containers',
  flags: [{ long: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' }],
  args: { max: 0 },
  run: async (ctx, p) => {
    if (!bool(p, 'force') && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] '))) return 0;
    const gone = await pruneContainers(ctx);
    if (gone.length > 0) ctx.io.out(`Deleted Containers:\n${gone.map((id) => `${id}\n`).join('')}\n`);
    // a container's writable layer is a tmpfs in the VM: its size is not tracked, so none is claimed
    ctx.io.out('Total reclaimed space: 0B\n');
    return 0;
  },
};

/** `docker system prune [-a] [-f] [--volumes]`: stopped containers, then dangling (or, with -a, unused) images. */
export const systemPrune: CommandDef = {
  names: ['system prune'],
  usage: '[OPTIONS]',
  description: 'Remove unused data',
  flags: [
    { long: 'all', short: 'a', kind: 'bool', description: 'Remove all unused images not just dangling ones' },
    { long: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' },
    { long: 'volumes', kind: 'bool', description: 'Prune anonymous volumes' },
  ],
  args: { max: 0 },
  run: async (ctx, p) => {
    const all = bool(p, 'all');
    const volumes = bool(p, 'volumes');
    const what = ['all stopped containers', ...(volumes ? ['all anonymous volumes not used by at least one container'] : []), all ? 'all images without at least one container associated to them' : 'all dangling images'];
    if (!bool(p, 'force') && !(await confirm(ctx, `WARNING! This will remove:\n${what.map((w) => `  - ${w}\n`).join('')}\nAre you sure you want to continue? [y/N] `))) return 0;
    const gone = await pruneContainers(ctx);
    if (gone.length > 0) ctx.io.out(`Deleted Containers:\n${gone.map((id) => `${id}\n`).join('')}\n`);
    // --volumes: docker removes anonymous volumes only, and every volume here is named
    let reclaimed = 0;
    const containers = await ctx.d.containers.list();
    const images = await ctx.d.images.prune(all, (id) => containers.some((c) => c.imageId === id));
    if (images.lines.length > 0) ctx.io.out(`Deleted Images:\n${images.lines.map((l) => `${l}\n`).join('')}\n`);
    reclaimed += images.reclaimed;
    ctx.io.out(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
};

/** Removes every volume no container mounts. */
export async function pruneVolumes(ctx: Ctx): Promise<{ names: string[]; reclaimed: number }> {
  const containers = await ctx.d.containers.list();
  const used = new Set(containers.flatMap((c) => c.volumes));
  const names: string[] = [];
  let reclaimed = 0;
  for (const v of await ctx.d.containers.volumes()) {
    if (used.has(v.name)) continue;
    await ctx.d.containers.removeVolume(v.name);
    names.push(v.name);
    reclaimed += v.size;
  }
  return { names, reclaimed };
}
