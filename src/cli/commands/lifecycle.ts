// stop, kill, rm: each takes one or more containers and prints what it acted on.
import { DockerError } from '../../runtime/errors.js';
import type { Ctx } from '../context.js';
import { bool, parseFlags, str } from '../flags.js';

/** Linux's signal names (i386 numbering), as moby's signal.SignalMap has them. */
const SIGNALS: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15,
  STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, POLL: 29,
  PWR: 30, SYS: 31, UNUSED: 31, RTMIN: 34, RTMAX: 64,
};
for (let i = 1; i <= 15; i++) {
  SIGNALS[`RTMIN+${i}`] = 34 + i;
  SIGNALS[`RTMAX-${i}`] = 64 - i;
}

/** `kill -s`: a name (with or without SIG, any case) or a number, refused in docker's daemon's words. */
export function parseSignal(s: string): number {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n === 0) throw new DockerError(`Invalid signal: ${s}`);
    if (n > 64) throw new DockerError(`the linux daemon does not support signal ${n}`);
    return n;
  }
  const n = SIGNALS[s.toUpperCase().replace(/^SIG/, '')];
  if (n === undefined) throw new DockerError(`Invalid signal: ${s}`);
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
  const signal = str(p, 'signal');
  // docker's daemon parses the signal per request: a bad one fails each container, by name
  return each(ctx, 'kill', p.args, async (ref) => ctx.d.containers.kill(ref, signal === undefined ? 9 : parseSignal(signal)));
}

export async function rm(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseFlags(argv, [{ long: 'force', short: 'f', kind: 'bool' }, { long: 'volumes', short: 'v', kind: 'bool' }]);
  return each(ctx, 'rm', p.args, (ref) => ctx.d.containers.remove(ref, bool(p, 'force')));
}
