import type { Ctx } from '../context.js';
import type { CommandDef } from '../command.js';
import { bool, type Parsed } from '../flags.js';

export const rmi: CommandDef = {
  names: ['image rm', 'image remove', 'rmi'],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Remove one or more images',
  flags: [{ long: 'force', short: 'f', kind: 'bool', description: 'Force removal of the image' }],
  args: { min: 1 },
  operands: ['image'],
  run: removeImages,
};

async function removeImages(ctx: Ctx, p: Parsed): Promise<number> {
  const containers = await ctx.d.containers.list();
  let status = 0;
  for (const ref of p.args) {
    try {
      const lines = await ctx.d.images.remove(ref, (id) => containers.some((c) => c.imageId === id), bool(p, 'force'));
      ctx.io.out(lines.map((l) => `${l}\n`).join(''));
    } catch (e) {
      ctx.io.err(`Error response from daemon: ${(e as Error).message}\n`);
      status = 1;
    }
  }
  return status;
}
