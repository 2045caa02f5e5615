import { StartError } from '../../runtime/containers.js';
import { attachTo } from '../attach.js';
import type { Ctx } from '../context.js';
import type { CommandDef } from '../command.js';
import { bool, list, str, type Parsed } from '../flags.js';

export const exec: CommandDef = {
  names: ['container exec', 'exec'],
  usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
  description: 'Execute a command in a running container',
  flags: [
    { long: 'interactive', short: 'i', kind: 'bool', description: 'Keep STDIN open even if not attached' },
    { long: 'tty', short: 't', kind: 'bool', description: 'Allocate a pseudo-TTY' },
    { long: 'env', short: 'e', kind: 'list', description: 'Set environment variables' },
    { long: 'workdir', short: 'w', kind: 'string', description: 'Working directory inside the container' },
    { long: 'user', short: 'u', kind: 'string', description: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
  ],
  args: { min: 2 },
  stopAtPositional: true,
  operands: ['running', 'none'],
  run: execIn,
};

async function execIn(ctx: Ctx, p: Parsed): Promise<number> {
  const tty = bool(p, 'tty');
  const interactive = bool(p, 'interactive');
  if (tty && interactive && !ctx.io.terminal) {
    ctx.io.err('the input device is not a TTY\n');
    return 1;
  }
  try {
    const proc = await ctx.d.containers.exec(
      p.args[0]!,
      p.args.slice(1),
      {
        tty,
        interactive,
        env: list(p, 'env'),
        hostEnv: ctx.io.env ?? {},
        ...(str(p, 'workdir') !== undefined ? { workdir: str(p, 'workdir')! } : {}),
        ...(str(p, 'user') !== undefined ? { user: str(p, 'user')! } : {}),
      },
      { stdout: (b) => ctx.io.out(b), stderr: (b) => ctx.io.err(b) },
    );
    return await attachTo(ctx, proc, { tty, interactive });
  } catch (e) {
    if (e instanceof StartError) return execFailed(ctx, p.args[1]!, e.message);
    throw e;
  }
}

/**
 * An exec that could not start, as docker says it: a user lookup in the
 * daemon's words, anything else as the runtime's; status 126, or 127 when the
 * command itself was not found (moby's ContainerExecStart and
 * translateContainerdStartErr).
 */
function execFailed(ctx: Ctx, cmd: string, msg: string): number {
  const lower = msg.toLowerCase();
  const notFound = lower.includes(cmd.toLowerCase()) && (lower.includes('executable file not found') || lower.includes('no such file or directory'));
  ctx.io.err(/^unable to find (user|group) /.test(msg) ? `${msg}\n` : `OCI runtime exec failed: exec failed: unable to start container process: ${msg}: unknown\n`);
  return notFound ? 127 : 126;
}
