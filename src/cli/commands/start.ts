import { DockerError } from '../../runtime/errors.js';
import { attachTo } from '../attach.js';
import type { CommandDef } from '../command.js';
import type { Ctx } from '../context.js';
import { bool, type Parsed } from '../flags.js';
import { each, STOP_TIMEOUT, stopTimeout } from './lifecycle.js';

/** `docker start`: each container started detached and named; with -a, one started with its output (and with -i its stdin) attached, as run. */
export const start: CommandDef = {
  names: ['container start', 'start'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Start one or more stopped containers',
  flags: [
    { long: 'attach', short: 'a', kind: 'bool', description: 'Attach STDOUT/STDERR and forward signals' },
    { long: 'interactive', short: 'i', kind: 'bool', description: "Attach container's STDIN" },
  ],
  args: { min: 1 },
  operands: ['container'],
  run: startContainers,
};

async function startContainers(ctx: Ctx, p: Parsed): Promise<number> {
  const interactive = bool(p, 'interactive');
  if (bool(p, 'attach') || interactive) {
    if (p.args.length > 1) throw new Error('you cannot start and attach multiple containers at once');
    return startAttached(ctx, p.args[0]!, interactive);
  }
  const failed: string[] = [];
  for (const ref of p.args) {
    try {
      const c = await ctx.d.containers.find(ref);
      if (c.status !== 'running') await ctx.d.containers.start(c.id);
      ctx.io.out(`${ref}\n`);
    } catch (e) {
      ctx.io.err(`Error response from daemon: ${(e as Error).message}\n`);
      failed.push(ref);
    }
  }
  if (failed.length > 0) throw new Error(`failed to start containers: ${failed.join(', ')}`);
  return 0;
}

async function startAttached(ctx: Ctx, ref: string, interactive: boolean): Promise<number> {
  const c = await ctx.d.containers.find(ref);
  const out = { stdout: (b: Uint8Array) => ctx.io.out(b), stderr: (b: Uint8Array) => ctx.io.err(b) };
  // already running: docker attaches to it
  if (c.status === 'running') return (await ctx.d.containers.follow(c.id, out)).exitCode;
  const stdin = interactive && c.interactive;
  if (stdin && c.tty && !ctx.io.terminal) {
    ctx.io.err('the input device is not a TTY\n');
    return 1;
  }
  const { proc } = await ctx.d.containers.startAttached(c.id, out);
  return attachTo(ctx, proc, { tty: c.tty, interactive: stdin });
}

export const restart: CommandDef = {
  names: ['container restart', 'restart'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Restart one or more containers',
  flags: STOP_TIMEOUT,
  args: { min: 1 },
  operands: ['container'],
  run: (ctx, p) => {
    const t = stopTimeout(p);
    return each(ctx, p.args, async (ref) => {
      const id = await ctx.d.containers.stop(ref, t);
      await ctx.d.containers.start(id);
    });
  },
};

/** `docker wait`: blocks until each container stops, printing its exit code. */
export const wait: CommandDef = {
  names: ['container wait', 'wait'],
  usage: 'CONTAINER [CONTAINER...]',
  description: 'Block until one or more containers stop, then print their exit codes',
  flags: [],
  args: { min: 1 },
  operands: ['container'],
  run: async (ctx, p) => {
    let status = 0;
    for (const ref of p.args) {
      try {
        ctx.io.out(`${await ctx.d.containers.wait(ref)}\n`);
      } catch (e) {
        ctx.io.err(`Error response from daemon: ${(e as Error).message}\n`);
        status = 1;
      }
    }
    return status;
  },
};

/** `docker attach`: the running container's output from now on, until it exits; its exit status. */
export const attach: CommandDef = {
  names: ['container attach', 'attach'],
  usage: '[OPTIONS] CONTAINER',
  description: 'Attach local standard input, output, and error streams to a running container',
  flags: [],
  args: { min: 1, max: 1 },
  operands: ['running'],
  run: async (ctx, p) => {
    const c = await ctx.d.containers.find(p.args[0]!);
    if (c.status !== 'running') throw new DockerError('You cannot attach to a stopped container, start it first', 1);
    const s = await ctx.d.containers.follow(c.id, { stdout: (b) => ctx.io.out(b), stderr: (b) => ctx.io.err(b) });
    return s.exitCode;
  },
};
