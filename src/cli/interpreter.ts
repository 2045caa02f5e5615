// The docker command interpreter shared by the `dockyard` CLI and the
// playground: argv in, docker's output and exit status out.
import { InvalidReferenceError } from '../common/oci/reference.js';
import { ImageError } from '../common/oci/verify.js';
import { GuestError } from '../common/channel.js';
import { StartError } from '../runtime/containers.js';
import { DockerError } from '../runtime/errors.js';
import type { Command, Ctx } from './context.js';
import { FlagError } from './flags.js';
import { exec } from './commands/exec.js';
import { images } from './commands/images.js';
import { history } from './commands/history.js';
import { imageInspect, inspect } from './commands/inspect.js';
import { imagePrune } from './commands/prune.js';
import { system } from './commands/system.js';
import { info, version } from './commands/info.js';
import { kill, rm, stop } from './commands/lifecycle.js';
import { load, save } from './commands/loadsave.js';
import { logs } from './commands/logs.js';
import { ps } from './commands/ps.js';
import { pull } from './commands/pull.js';
import { rmi } from './commands/rmi.js';
import { run } from './commands/run.js';
import { tag } from './commands/tag.js';
import { volume } from './commands/volume.js';
import { shellSplit, ShellSyntaxError } from './shellwords.js';

export const COMMANDS: Record<string, Command> = {
  run,
  exec,
  ps,
  images,
  pull,
  rmi,
  tag,
  rm,
  stop,
  kill,
  logs,
  load,
  save,
  volume,
  info,
  version,
  inspect,
  history,
  system,
  // docker's management-command spellings
  'container ls': (c, a) => ps(c, a),
  'image ls': (c, a) => images(c, a),
  'image rm': (c, a) => rmi(c, a),
  'image pull': (c, a) => pull(c, a),
  'image inspect': imageInspect,
  'image history': (c, a) => history(c, a),
  'image prune': imagePrune,
  'image tag': (c, a) => tag(c, a),
  'image load': (c, a) => load(c, a),
  'image save': (c, a) => save(c, a),
  'system df': (c, a) => system(c, ['df', ...a]),
  'container rm': (c, a) => rm(c, a),
};

/** Whether `name` starts a command this interpreter knows (a verb, `container …`, `image …`, help). */
export function isCommand(name: string): boolean {
  return name in COMMANDS || name === 'container' || name === 'image' || name === 'help';
}

export const USAGE = `Usage:  docker [OPTIONS] COMMAND

Docker in a browser tab: containers on one emulated Linux kernel.

Commands:
  run         Create and run a new container from an image
  exec        Execute a command in a running container
  ps          List containers
  images      List images
  pull        Download an image from the bundled registry
  logs        Fetch the logs of a container
  inspect     Return low-level information on containers and images
  history     Show the history of an image
  stop        Stop one or more running containers
  kill        Kill one or more running containers
  rm          Remove one or more containers
  rmi         Remove one or more images
  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
  load        Load an image from a tar archive (OCI layout)
  save        Save one or more images to a tar archive (OCI layout)
  volume      Manage volumes (ls, rm)
  image       Manage images (ls, rm, pull, inspect, history, prune, tag, load, save)
  system      Manage Docker (df)
  info        Display system-wide information
  version     Show the Docker version information
`;

/** Runs one docker command line (already split); returns docker's exit status. */
export async function execute(ctx: Ctx, argv: string[]): Promise<number> {
  const args = argv[0] === 'docker' ? argv.slice(1) : argv;
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === 'help' || name === '-h') {
    ctx.io.out(USAGE);
    return 0;
  }
  const two = `${name} ${rest[0] ?? ''}`;
  const cmd = COMMANDS[two] ?? COMMANDS[name];
  const cmdArgs = COMMANDS[two] ? rest.slice(1) : rest;
  if (!cmd || name.startsWith('-')) {
    ctx.io.err(`docker: '${name}' is not a docker command.\nSee 'docker --help'\n`);
    return 1;
  }
  if (cmdArgs.includes('--help')) {
    ctx.io.out(`See 'docker ${name} --help' in Docker's documentation; Dockyard supports the flags docker users use most.\n`);
    return 0;
  }
  // a VM that died while idle is replaced before the command runs
  if (ctx.d.stoppedReason !== undefined) await recoverVm(ctx);
  try {
    return await cmd(ctx, cmdArgs);
  } catch (e) {
    if (ctx.d.stoppedReason !== undefined) {
      await recoverVm(ctx);
      return name === 'run' ? 125 : 1;
    }
    return report(ctx, name, e);
  }
}

async function recoverVm(ctx: Ctx): Promise<void> {
  try {
    ctx.io.err(`docker: ${await ctx.d.recover()}\n`);
  } catch (e) {
    ctx.io.err(`docker: the VM stopped responding and could not be restarted: ${(e as Error).message}\n`);
  }
}

function report(ctx: Ctx, name: string, e: unknown): number {
  const msg = (e as Error).message ?? String(e);
  const runLike = name === 'run' || name === 'create';
  if (e instanceof FlagError) {
    ctx.io.err(`${msg}\nSee 'docker ${name} --help'.\n`);
    return runLike ? 125 : 1;
  }
  if (e instanceof StartError) {
    ctx.io.err(`docker: Error response from daemon: failed to create task for container: ${msg}: unknown.\n`);
    return e.status;
  }
  if (e instanceof DockerError || e instanceof InvalidReferenceError || e instanceof ImageError || e instanceof GuestError) {
    const status = e instanceof DockerError ? e.status : runLike ? 125 : 1;
    if (msg.startsWith('"docker ')) ctx.io.err(`${runLike ? 'docker: ' : ''}${msg}\n`);
    else ctx.io.err(`${runLike ? 'docker: ' : ''}Error response from daemon: ${msg}${runLike ? "\n\nRun 'docker run --help' for more information" : ''}\n`);
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
