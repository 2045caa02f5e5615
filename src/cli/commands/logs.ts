import type { Ctx } from '../context.js';
import { bool, parseFlags, str } from '../flags.js';

export async function logs(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseFlags(argv, [{ long: 'follow', short: 'f', kind: 'bool' }, { long: 'tail', short: 'n', kind: 'string' }]);
  if (p.args.length !== 1) {
    ctx.io.err(`"docker logs" requires exactly 1 argument.\nSee 'docker logs --help'.\n`);
    return 1;
  }
  const tail = str(p, 'tail');
  await ctx.d.containers.logs(p.args[0]!, { stdout: (b) => ctx.io.out(b), stderr: (b) => ctx.io.err(b) }, {
    follow: bool(p, 'follow'),
    ...(tail !== undefined && tail !== 'all' ? { tail: Number(tail) } : {}),
  });
  return 0;
}
