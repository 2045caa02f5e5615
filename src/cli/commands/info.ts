import { formatInfo } from '../format.js';
import type { CommandDef } from '../command.js';
import type { Ctx } from '../context.js';

export const info: CommandDef = {
  names: ['system info', 'info'],
  usage: '[OPTIONS]',
  description: 'Display system-wide information',
  flags: [],
  args: { max: 0 },
  run: async (ctx) => {
    ctx.io.out(formatInfo(await ctx.d.info()));
    return 0;
  },
};

export const version: CommandDef = {
  names: ['version'],
  usage: '[OPTIONS]',
  description: 'Show the Docker version information',
  flags: [],
  args: { max: 0 },
  run: showVersion,
};

async function showVersion(ctx: Ctx): Promise<number> {
  const i = await ctx.d.info();
  ctx.io.out(`Client: Dockyard\n Version:           0.1.0\n OS/Arch:           browser/wasm\n\nServer: containerd-lite\n Engine:\n  Version:          ${i.daemonVersion}\n  OS/Arch:          linux/386\n  Kernel Version:   ${i.kernelVersion}\n`);
  return 0;
}
