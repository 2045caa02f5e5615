// stop, kill, rm: each takes one or more containers and prints what it acted on.
import type { Ctx } from '../context.js';
import { bool, parseFlags, str } from '../flags.js';

const SIGNALS: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, USR1: 10, USR2: 12, TERM: 15, CONT: 18, STOP: 19 };

export function parseSignal(s: string): number {
  const n = /^\d+$/.test(s) ? Number(s) : SIGNALS[s.toUpperCase().replace(/^SIG/, '')];
  if (n === undefined || n < 1 || n > 64) throw new Error(`invalid signal: ${s}`);
  return n;
}

async function each(ctx: Ctx, verb: string, refs: string[], fn: (ref: string) => Promise<unknown>): Promise<number> {
  if (refs.length === 0) {
    ctx.io.err(`"docker ${verb}" requires at least 1 argument.\nSee 'docker ${verb} --help'.\n`);
    return 1;
  }
  let status = 0;
  for (const ref of refs) {
    try {
      await fn(ref);
      ctx.io.out(`${ref}\n`);
    } catch (e) {
      ctx.io.err(`Error response from daemon: ${(e as Error).message}\n`);
      status = 1;
    }
  }
  return status;
}

export async function stop(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseFlags(argv, [{ long: 'time', short: 't', kind: 'string' }, { long: 'timeout', kind: 'string' }]);
  const t = Number(str(p, 'time') ?? str(p, 'timeout') ?? 10);
  return each(ctx, 'stop', p.args, (ref) => ctx.d.containers.stop(ref, t));
}

export async function kill(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseFlags(argv, [{ long: 'signal', short: 's', kind: 'string' }]);
  const sig = parseSignal(str(p, 'signal') ?? 'KILL');
  return each(ctx, 'kill', p.args, (ref) => ctx.d.containers.kill(ref, sig));
}

export async function rm(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseFlags(argv, [{ long: 'force', short: 'f', kind: 'bool' }, { long: 'volumes', short: 'v', kind: 'bool' }]);
  return each(ctx, 'rm', p.args, (ref) => ctx.d.containers.remove(ref, bool(p, 'force')));
}
