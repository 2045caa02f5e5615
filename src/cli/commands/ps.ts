import type { ContainerInfo } from '../../runtime/containers.js';
import { portsText } from '../../runtime/ports.js';
import type { Ctx } from '../context.js';
import type { CommandDef } from '../command.js';
import { bool, type Parsed } from '../flags.js';
import { ago, humanDuration, quoteCommand, table } from '../format.js';

export function statusText(c: ContainerInfo, now = Date.now()): string {
  if (c.status === 'running') return `Up ${humanDuration(now - c.started)}${c.paused ? ' (Paused)' : ''}`;
  if (c.restarting) return `Restarting (${c.exitCode}) ${ago(c.finished, now)}`;
  if (c.status === 'exited') return `Exited (${c.exitCode}) ${ago(c.finished, now)}`;
  return 'Created';
}

export const ps: CommandDef = {
  names: ['container ls', 'container list', 'container ps', 'ps'],
  usage: '[OPTIONS]',
  description: 'List containers',
  flags: [
    { long: 'all', short: 'a', kind: 'bool', description: 'Show all containers (default shows just running)' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Only display container IDs' },
    { long: 'no-trunc', kind: 'bool', description: "Don't truncate output" },
  ],
  args: { max: 0 },
  run: listContainers,
};

async function listContainers(ctx: Ctx, p: Parsed): Promise<number> {
  const list = await ctx.d.containers.list(bool(p, 'all'));
  const full = bool(p, 'no-trunc');
  if (bool(p, 'quiet')) {
    ctx.io.out(list.map((c) => `${full ? c.id : c.id.slice(0, 12)}\n`).join(''));
    return 0;
  }
  ctx.io.out(
    table(
      ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'],
      list.map((c) => [full ? c.id : c.id.slice(0, 12), c.image, quoteCommand(c.command, full), ago(c.created), statusText(c), c.status === 'running' ? portsText(c.ports) : '', c.name]),
    ),
  );
  return 0;
}
