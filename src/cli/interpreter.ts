// The docker command interpreter shared by the `dockyard` CLI and the
// playground: argv in, docker's output and exit status out.
import { InvalidReferenceError } from '../common/oci/reference.js';
import { ImageError } from '../common/oci/verify.js';
import { GuestError } from '../common/channel.js';
import { StartError } from '../runtime/containers.js';
import { DockerError } from '../runtime/errors.js';
import type { CommandDef } from './command.js';
import { COMMANDS } from './commands/index.js';
import type { Ctx } from './context.js';
import { FlagError, parseFlags, type FlagSpec, type Parsed } from './flags.js';
import { commandHelp, groupHelp, groupsIn, topHelp, usageLine } from './help.js';
import { shellSplit, ShellSyntaxError } from './shellwords.js';

/** Every spelling of every command. */
const BY_NAME = new Map<string, CommandDef>(COMMANDS.flatMap((d) => d.names.map((n): [string, CommandDef] => [n, d])));
const GROUP_NAMES = new Set(groupsIn(COMMANDS));

/** The whole `docker --help`. */
export const USAGE = topHelp(COMMANDS);

/** What a command line names: a command (and the words after it), a management command alone, or nothing known. */
function lookup(args: readonly string[]): { def: CommandDef; name: string; rest: string[] } | { group: string; rest: string[] } | undefined {
  const two = args.length >= 2 ? `${args[0]} ${args[1]}` : '';
  const d2 = BY_NAME.get(two);
  if (d2) return { def: d2, name: two, rest: args.slice(2) };
  const d1 = BY_NAME.get(args[0]!);
  if (d1) return { def: d1, name: args[0]!, rest: args.slice(1) };
  if (GROUP_NAMES.has(args[0]!)) return { group: args[0]!, rest: args.slice(1) };
  return undefined;
}

/** docker's hidden --help, with -h unless the command uses -h itself (run's --hostname). */
function helpFlag(def: CommandDef): FlagSpec {
  return { long: 'help', ...(def.flags.some((f) => f.short === 'h') ? {} : { short: 'h' }), kind: 'bool', description: 'Print usage' };
}

/** docker's operand-count errors (cli/required.go), or undefined when the count fits. */
function argCountError(def: CommandDef, name: string, n: number): string | undefined {
  const { min, max } = def.args ?? {};
  const args = (k: number) => `${k} ${k === 1 ? 'argument' : 'arguments'}`;
  let what: string;
  if (max === 0 && n > 0) what = 'accepts no arguments';
  else if (min !== undefined && min === max && n !== min) what = `requires exactly ${args(min)}`;
  else if (min !== undefined && max !== undefined && (n < min || n > max)) what = `requires at least ${min} and at most ${args(max)}`;
  else if (min !== undefined && n < min) what = `requires at least ${args(min)}`;
  else if (max !== undefined && n > max) what = `requires at most ${args(max)}`;
  else return undefined;
  return `"docker ${name}" ${what}.\nSee 'docker ${name} --help'.\n\nUsage:  ${usageLine(def, name)}\n\n${def.description}`;
}

/** A command line settled without the VM (help, a usage error), or the command to run. */
export type Plan = { kind: 'done'; out?: string; err?: string; status: number } | { kind: 'run'; def: CommandDef; name: string; parsed: Parsed };

/** `docker help [COMMAND]`: cobra's help command. */
function helpTopic(topic: string[]): Plan {
  if (topic.length === 0) return { kind: 'done', out: USAGE, status: 0 };
  const hit = lookup(topic);
  if (hit && 'def' in hit && hit.rest.length === 0) return { kind: 'done', out: commandHelp(hit.def, hit.name), status: 0 };
  if (hit && 'group' in hit && hit.rest.length === 0) return { kind: 'done', out: groupHelp(hit.group, COMMANDS), status: 0 };
  return { kind: 'done', out: `Unknown help topic [\`${topic.join(' ')}\`]\n${USAGE}`, status: 0 };
}

/** Parses a command line (a leading "docker" is optional) into what to do. */
export function plan(argv: readonly string[]): Plan {
  const args = argv[0] === 'docker' ? argv.slice(1) : [...argv];
  const first = args[0];
  if (first === undefined || first === '--help' || first === '-h') return { kind: 'done', out: USAGE, status: 0 };
  if (first === 'help') return helpTopic(args.slice(1));
  const hit = lookup(args);
  if (!hit) {
    if (first.startsWith('-')) return { kind: 'done', err: `unknown flag: ${first}\nSee 'docker --help'.\n`, status: 125 };
    return { kind: 'done', err: `docker: '${first}' is not a docker command.\nSee 'docker --help'\n`, status: 1 };
  }
  if ('group' in hit) {
    const sub = hit.rest[0];
    if (sub === undefined || sub === '--help' || sub === '-h') return { kind: 'done', out: groupHelp(hit.group, COMMANDS), status: 0 };
    return { kind: 'done', err: `docker: unknown command: docker ${hit.group} ${sub}\n\nUsage:  docker ${hit.group} COMMAND\n\nRun 'docker ${hit.group} --help' for more information\n`, status: 1 };
  }
  const { def, name } = hit;
  let parsed: Parsed;
  try {
    parsed = parseFlags(hit.rest, [...def.flags, helpFlag(def)], { stopAtPositional: def.stopAtPositional ?? false });
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    return { kind: 'done', err: `${e.message}\nSee 'docker ${name} --help'.\n`, status: 125 };
  }
  if (parsed.flags.get('help') === true) return { kind: 'done', out: commandHelp(def, name), status: 0 };
  const countError = argCountError(def, name, parsed.args.length);
  if (countError) return { kind: 'done', err: `${def.runLike ? 'docker: ' : ''}${countError}\n`, status: def.runLike ? 125 : 1 };
  return { kind: 'run', def, name, parsed };
}

/** Runs one docker command line (already split); returns docker's exit status. */
export async function execute(ctx: Ctx, argv: string[]): Promise<number> {
  const p = plan(argv);
  if (p.kind === 'done') {
    if (p.out) ctx.io.out(p.out);
    if (p.err) ctx.io.err(p.err);
    return p.status;
  }
  // a VM that died while idle is replaced before the command runs
  if (ctx.d.stoppedReason !== undefined) await recoverVm(ctx);
  try {
    return await p.def.run(ctx, p.parsed);
  } catch (e) {
    if (ctx.d.stoppedReason !== undefined) {
      await recoverVm(ctx);
      return p.def.runLike ? 125 : 1;
    }
    return report(ctx, p.def, p.name, e);
  }
}

async function recoverVm(ctx: Ctx): Promise<void> {
  try {
    ctx.io.err(`docker: ${await ctx.d.recover()}\n`);
  } catch (e) {
    ctx.io.err(`docker: the VM stopped responding and could not be restarted: ${(e as Error).message}\n`);
  }
}

/** Prints a command's error as docker does; returns its exit status. */
export function report(ctx: Ctx, def: CommandDef, name: string, e: unknown): number {
  const msg = (e as Error).message ?? String(e);
  const runLike = def.runLike ?? false;
  if (e instanceof FlagError) {
    ctx.io.err(`${msg}\nSee 'docker ${name} --help'.\n`);
    return 125;
  }
  if (e instanceof StartError) {
    ctx.io.err(`docker: Error response from daemon: failed to create task for container: ${msg}: unknown.\n`);
    return e.status;
  }
  if (e instanceof DockerError || e instanceof InvalidReferenceError || e instanceof ImageError || e instanceof GuestError) {
    const status = e instanceof DockerError ? e.status : runLike ? 125 : 1;
    if (msg.startsWith('"docker ')) ctx.io.err(`${runLike ? 'docker: ' : ''}${msg}\n`);
    else ctx.io.err(`${runLike ? 'docker: ' : ''}Error response from daemon: ${msg}${runLike ? `\n\nRun 'docker ${name} --help' for more information` : ''}\n`);
    return runLike ? 125 : status === 125 ? 1 : status;
  }
  ctx.io.err(`${runLike ? 'docker: ' : ''}Error: ${msg}\n`);
  return runLike ? 125 : 1;
}

/** Splits one typed line; blank lines and comments give undefined. */
export function parseLine(line: string): string[] | undefined {
  const argv = shellSplit(line);
  return argv.length === 0 ? undefined : argv;
}

export { ShellSyntaxError };
