import type { Ctx } from '../context.js';
import { bool, parseFlags } from '../flags.js';

export async function rmi(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseFlags(argv, [{ long: 'force', short: 'f', kind: 'bool' }]);
  if (p.args.length === 0) {
    ctx.io.err(`"docker rmi" requires at least 1 argument.\nSee 'docker rmi --help'.\n`);
    return 1;
  }
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
