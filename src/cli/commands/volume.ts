import type { Ctx } from '../context.js';
import { parseFlags } from '../flags.js';
import { table } from '../format.js';

export async function volume(ctx: Ctx, argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'ls' || sub === 'list') {
    const p = parseFlags(rest, [{ long: 'quiet', short: 'q', kind: 'bool' }]);
    const vols = await ctx.d.containers.volumes();
    if (p.flags.get('quiet') === true) ctx.io.out(vols.map((v) => `${v.name}\n`).join(''));
    else ctx.io.out(table(['DRIVER', 'VOLUME NAME'], vols.map((v) => ['local', v.name])));
    return 0;
  }
  if (sub === 'rm' || sub === 'remove') {
    const p = parseFlags(rest, [{ long: 'force', short: 'f', kind: 'bool' }]);
    let status = 0;
    for (const name of p.args) {
      try {
        await ctx.d.containers.removeVolume(name);
        ctx.io.out(`${name}\n`);
      } catch (e) {
        ctx.io.err(`Error response from daemon: ${(e as Error).message}\n`);
        status = 1;
      }
    }
    return status;
  }
  ctx.io.err(`Usage:  docker volume COMMAND\n\nManage volumes\n\nCommands:\n  ls          List volumes\n  rm          Remove one or more volumes\n`);
  return sub === undefined ? 0 : 1;
}
