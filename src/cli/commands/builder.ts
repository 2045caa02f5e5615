import type { CommandDef } from '../command.js';
import { confirm } from '../confirm.js';
import { bool } from '../flags.js';
import { humanSize } from '../format.js';

/** `docker builder prune [-a] [-f]`: the build cache goes (Dockyard keeps no cache an image still needs). */
export const builderPrune: CommandDef = {
  names: ['builder prune'],
  usage: '[OPTIONS]',
  description: 'Remove build cache',
  flags: [
    { long: 'all', short: 'a', kind: 'bool', description: 'Remove all unused build cache, not just dangling ones' },
    { long: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' },
  ],
  args: { max: 0 },
  run: async (ctx, p) => {
    if (!bool(p, 'force') && !(await confirm(ctx, 'WARNING! This will remove all dangling build cache.\nAre you sure you want to continue? [y/N] '))) return 0;
    const reclaimed = await ctx.d.images.pruneBuildCache();
    ctx.io.out(`Total:\t${humanSize(reclaimed)}\n`);
    return 0;
  },
};
