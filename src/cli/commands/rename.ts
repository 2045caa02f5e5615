import type { CommandDef } from '../command.js';

export const rename: CommandDef = {
  names: ['container rename', 'rename'],
  usage: 'CONTAINER NEW_NAME',
  description: 'Rename a container',
  flags: [],
  args: { min: 2, max: 2 },
  operands: ['container', 'none'],
  run: async (ctx, p) => {
    await ctx.d.containers.rename(p.args[0]!, p.args[1]!);
    return 0;
  },
};
