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
