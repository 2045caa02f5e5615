import type { CommandDef } from '../command.js';
import { table } from '../format.js';
import { bool } from '../flags.js';
import { each } from './lifecycle.js';

export const volumeLs: CommandDef = {
  names: ['volume ls', 'volume list'],
  usage: '[OPTIONS]',
  description: 'List volumes',
  flags: [{ long: 'quiet', short: 'q', kind: 'bool', description: 'Only display volume names' }],
  args: { max: 0 },
  run: async (ctx, p) => {
    const vols = await ctx.d.containers.volumes();
    if (bool(p, 'quiet')) ctx.io.out(vols.map((v) => `${v.name}\n`).join(''));
    else ctx.io.out(table(['DRIVER', 'VOLUME NAME'], vols.map((v) => ['local', v.name])));
    return 0;
  },
};

export const volumeRm: CommandDef = {
  names: ['volume rm', 'volume remove'],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  description: 'Remove one or more volumes',
  flags: [{ long: 'force', short: 'f', kind: 'bool', description: 'Force the removal of one or more volumes' }],
  args: { min: 1 },
  operands: ['volume'],
  run: (ctx, p) => each(ctx, p.args, (name) => ctx.d.containers.removeVolume(name)),
};
