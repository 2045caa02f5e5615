import type { CommandDef } from '../command.js';
import { each } from './lifecycle.js';

/** `docker pause`: freezes every process of the container (cgroup v2's freezer). */
export const pause: CommandDef = {
  names: ['container pause', 'pause'],
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Pause all processes within one or more containers',
  flags: [],
  args: { min: 1 },
  operands: ['running'],
  run: (ctx, p) => each(ctx, p.args, (ref) => ctx.d.containers.pause(ref)),
};

export const unpause: CommandDef = {
  names: ['container unpause', 'unpause'],
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Unpause all processes within one or more containers',
  flags: [],
  args: { min: 1 },
  operands: ['running'],
  run: (ctx, p) => each(ctx, p.args, (ref) => ctx.d.containers.unpause(ref)),
};
