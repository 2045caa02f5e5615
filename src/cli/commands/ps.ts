import type { ContainerInfo } from '../../runtime/containers.js';
import type { Ctx } from '../context.js';
import { bool, parseFlags } from '../flags.js';
import { ago, humanDuration, quoteCommand, table } from '../format.js';

export function statusText(c: ContainerInfo, now = Date.now()): string {
  if (c.status === 'running') return `Up ${humanDuration(now - c.started)}`;
  if (c.status === 'exited') return `Exited (${c.exitCode}) ${ago(c.finished, now)}`;
  return 'Created';
}

export async function ps(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { long: 'all', short: 'a', kind: 'bool' },
    { long: 'quiet', short: 'q', kind: 'bool' },
    { long: 'no-trunc', kind: 'bool' },
  ]);
  const list = await ctx.d.containers.list(bool(p, 'all'));
  const full = bool(p, 'no-trunc');
  if (bool(p, 'quiet')) {
    ctx.io.out(list.map((c) => `${full ? c.id : c.id.slice(0, 12)}\n`).join(''));
    return 0;
  }
  ctx.io.out(
    table(
      ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
      list.map((c) => [full ? c.id : c.id.slice(0, 12), c.image, quoteCommand(c.command, full), ago(c.created), statusText(c), '', c.name]),
    ),
  );
  return 0;
}
