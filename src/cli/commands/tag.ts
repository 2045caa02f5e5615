import type { Ctx } from '../context.js';

export async function tag(ctx: Ctx, argv: string[]): Promise<number> {
  if (argv.length !== 2) {
    ctx.io.err(`"docker tag" requires exactly 2 arguments.\nSee 'docker tag --help'.\n\nUsage:  docker tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n`);
    return 1;
  }
  await ctx.d.images.tag(argv[0]!, argv[1]!);
  return 0;
}
