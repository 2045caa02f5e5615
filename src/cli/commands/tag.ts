import type { CommandDef } from '../command.js';

export const tag: CommandDef = {
  names: ['image tag', 'tag'],
  usage: 'SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  description: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  flags: [],
  args: { min: 2, max: 2 },
  operands: ['image', 'none'],
  run: async (ctx, p) => {
    await ctx.d.images.tag(p.args[0]!, p.args[1]!);
    return 0;
  },
};
