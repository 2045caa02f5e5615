// stop, kill, rm: each takes one or more containers and prints what it acted on.
import { DockerError } from '../../runtime/errors.js';
import { parseSignal } from '../../runtime/signals.js';
import type { Ctx } from '../context.js';
import type { CommandDef } from '../command.js';
import { bool, FlagError, str, type FlagSpec, type Parsed } from '../flags.js';

/** Acts on each container named, printing it as docker does; one failure does not stop the rest. */
export async function each(ctx: Ctx, refs: readonly string[], fn: (ref: string) => Promise<unknown>): Promise<number> {
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

/** `stop -t`: docker's --timeout, and its deprecated --time. */
export const STOP_TIMEOUT: FlagSpec[] = [
  { long: 'timeout', short: 't', kind: 'string', type: 'int', description: 'Seconds to wait before killing the container' },
  { long: 'time', kind: 'string', type: 'int', description: 'Seconds to wait before killing the container (deprecated: use --timeout)' },
];

export function stopTimeout(p: Parsed): number {
  const t = str(p, 'timeout') ?? str(p, 'time');
  if (t === undefined) return 10;
  if (!/^-?\d+$/.test(t)) throw new FlagError(`invalid argument "${t}" for "-t, --timeout" flag: strconv.ParseInt: parsing "${t}": invalid syntax`);
  return Number(t);
}

export const stop: CommandDef = {
  names: ['container stop', 'stop'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Stop one or more running containers',
  flags: [...STOP_TIMEOUT, { long: 'signal', short: 's', kind: 'string', description: 'Signal to send to the container' }],
  args: { min: 1 },
  operands: ['running'],
  run: (ctx, p) => {
    const t = stopTimeout(p);
    const signal = str(p, 'signal');
    const sig = signal === undefined ? undefined : parseSignal(signal);
    return each(ctx, p.args, (ref) => ctx.d.containers.stop(ref, t, sig));
  },
};

export const kill: CommandDef = {
  names: ['container kill', 'kill'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Kill one or more running containers',
  flags: [{ long: 'signal', short: 's', kind: 'string', description: 'Signal to send to the container' }],
  args: { min: 1 },
  operands: ['running'],
  run: (ctx, p) => {
    const signal = str(p, 'signal');
    // docker's daemon parses the signal per request: a bad one fails each container, by name
    return each(ctx, p.args, async (ref) => ctx.d.containers.kill(ref, signal === undefined ? 9 : parseSignal(signal)));
  },
};

export const rm: CommandDef = {
  names: ['container rm', 'container remove', 'rm'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Remove one or more containers',
  flags: [
    { long: 'force', short: 'f', kind: 'bool', description: 'Force the removal of a running container (uses SIGKILL)' },
    { long: 'volumes', short: 'v', kind: 'bool', description: 'Remove anonymous volumes associated with the container' },
  ],
  args: { min: 1 },
  operands: ['container'],
  run: (ctx, p) => each(ctx, p.args, (ref) => ctx.d.containers.remove(ref, bool(p, 'force'))),
};
