import { formatInfo } from '../format.js';
import type { Ctx } from '../context.js';

export async function info(ctx: Ctx): Promise<number> {
  ctx.io.out(formatInfo(await ctx.d.info()));
  return 0;
}

export async function version(ctx: Ctx): Promise<number> {
  const i = await ctx.d.info();
  ctx.io.out(`Client: Dockyard\n Version:           0.1.0\n OS/Arch:           browser/wasm\n\nServer: containerd-lite\n Engine:\n  Version:          ${i.daemonVersion}\n  OS/Arch:          linux/386\n  Kernel Version:   ${i.kernelVersion}\n`);
  return 0;
}
