import type { Ctx } from '../context.js';
import type { CommandDef } from '../command.js';
import { bool, str, type Parsed } from '../flags.js';

export const logs: CommandDef = {
  names: ['container logs', 'logs'],
  usage: '[OPTIONS] CONTAINER',
  description: 'Fetch the logs of a container',
  flags: [
    { long: 'follow', short: 'f', kind: 'bool', description: 'Follow log output' },
    { long: 'tail', short: 'n', kind: 'string', description: 'Number of lines to show from the end of the logs', default: 'all' },
  ],
  args: { min: 1, max: 1 },
  operands: ['container'],
  run: showLogs,
};

async function showLogs(ctx: Ctx, p: Parsed): Promise<number> {
  const tail = str(p, 'tail');
  await ctx.d.containers.logs(p.args[0]!, { stdout: (b) => ctx.io.out(b), stderr: (b) => ctx.io.err(b) }, {
    follow: bool(p, 'follow'),
    ...(tail !== undefined && tail !== 'all' ? { tail: Number(tail) } : {}),
  });
  return 0;
}
