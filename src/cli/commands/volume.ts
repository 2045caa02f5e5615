import type { CommandDef } from '../command.js';
import { confirm } from '../confirm.js';
import { humanSize, table } from '../format.js';
import { DockerError } from '../../runtime/errors.js';
import { bool, str } from '../flags.js';
import { formatField } from './inspect.js';

/** Where the daemon keeps volumes in the VM (PROTOCOL.md: state under /var/lib/containerd-lite). */
const VOLUMES_DIR = '/var/lib/containerd-lite/volumes';
import { each } from './lifecycle.js';
import { pruneVolumes } from './prune.js';

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

/**
 * `docker volume prune`: docker (since 23) removes only anonymous volumes
 * unless -a; every volume here is named, so without -a there is nothing to
 * remove, as docker would find.
 */
export const volumePrune: CommandDef = {
  names: ['volume prune'],
  usage: '[OPTIONS]',
  description: 'Remove unused local volumes',
  flags: [
    { long: 'all', short: 'a', kind: 'bool', description: 'Remove all unused volumes, not just anonymous ones' },
    { long: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' },
  ],
  args: { max: 0 },
  run: async (ctx, p) => {
    const all = bool(p, 'all');
    const warning = all ? 'WARNING! This will remove all local volumes not used by at least one container.' : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
    if (!bool(p, 'force') && !(await confirm(ctx, `${warning}\nAre you sure you want to continue? [y/N] `))) return 0;
    const { names, reclaimed } = all ? await pruneVolumes(ctx) : { names: [], reclaimed: 0 };
    if (names.length > 0) ctx.io.out(`Deleted Volumes:\n${names.map((n) => `${n}\n`).join('')}\n`);
    ctx.io.out(`Total reclaimed space: ${humanSize(reclaimed)}\n`);
    return 0;
  },
};

/** `docker volume create [NAME]`: a random 64-hex name when none is given, as docker's anonymous volumes. */
export const volumeCreate: CommandDef = {
  names: ['volume create'],
  usage: '[OPTIONS] [VOLUME]',
  description: 'Create a volume',
  flags: [
    { long: 'name', kind: 'string', description: 'Specify volume name' },
    { long: 'driver', short: 'd', kind: 'string', description: 'Specify volume driver name', default: 'local' },
  ],
  args: { max: 1 },
  run: async (ctx, p) => {
    const given = p.args[0];
    const flag = str(p, 'name');
    if (given !== undefined && flag !== undefined && given !== flag) throw new Error(`conflicting options: cannot specify a volume-name through both --name and as a positional arg`);
    const driver = str(p, 'driver') ?? 'local';
    if (driver !== 'local') throw new DockerError(`create ${given ?? flag ?? ''}: error looking up volume plugin ${driver}: plugin "${driver}" not found`, 1);
    const name = given ?? flag ?? [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, '0')).join('');
    await ctx.d.containers.createVolume(name);
    ctx.io.out(`${name}\n`);
    return 0;
  },
};

/** `docker volume inspect`: docker's JSON; the mountpoint is the volume's directory in the VM. */
export const volumeInspect: CommandDef = {
  names: ['volume inspect'],
  usage: '[OPTIONS] VOLUME [VOLUME...]',
  description: 'Display detailed information on one or more volumes',
  flags: [{ long: 'format', short: 'f', kind: 'string', description: 'Format output using a custom template' }],
  args: { min: 1 },
  operands: ['volume'],
  run: async (ctx, p) => {
    const vols = await ctx.d.containers.volumes();
    const found: Array<Record<string, unknown>> = [];
    let status = 0;
    for (const name of p.args) {
      const v = vols.find((x) => x.name === name);
      if (!v) {
        ctx.io.err(`Error response from daemon: get ${name}: no such volume\n`);
        status = 1;
        continue;
      }
      found.push({ CreatedAt: new Date(v.created).toISOString().replace(/\.\d+Z$/, 'Z'), Driver: 'local', Labels: null, Mountpoint: `${VOLUMES_DIR}/${v.name}`, Name: v.name, Options: null, Scope: 'local' });
    }
    const format = str(p, 'format');
    if (format === undefined) ctx.io.out(`${JSON.stringify(found, null, 4)}\n`);
    else for (const obj of found) ctx.io.out(`${formatField(format, obj)}\n`);
    return status;
  },
};
