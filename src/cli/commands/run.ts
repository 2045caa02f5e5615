import { familiarString, parseReference } from '../../common/oci/reference.js';
import { DockerError } from '../../runtime/errors.js';
import { checkAddHost, StartError, type RunOptions } from '../../runtime/containers.js';
import { parsePublish } from '../../runtime/ports.js';
import { parseBytes, parseEnvFile } from '../../runtime/spec.js';
import { attachTo } from '../attach.js';
import type { ImageRecord } from '../../runtime/images.js';
import type { Ctx } from '../context.js';
import type { CommandDef } from '../command.js';
import { bool, FlagError, list, str, type FlagSpec, type Parsed } from '../flags.js';
import { pullPrinter } from './pull.js';
import { parseSignal } from '../../runtime/signals.js';

export const RUN_FLAGS: FlagSpec[] = [
  { long: 'interactive', short: 'i', kind: 'bool', description: 'Keep STDIN open even if not attached' },
  { long: 'tty', short: 't', kind: 'bool', description: 'Allocate a pseudo-TTY' },
  { long: 'detach', short: 'd', kind: 'bool', description: 'Run container in background and print container ID' },
  { long: 'rm', kind: 'bool', description: 'Automatically remove the container and its associated anonymous volumes when it exits' },
  { long: 'name', kind: 'string', description: 'Assign a name to the container' },
  { long: 'env', short: 'e', kind: 'list', description: 'Set environment variables' },
  { long: 'env-file', kind: 'list', description: 'Read in a file of environment variables' },
  { long: 'workdir', short: 'w', kind: 'string', description: 'Working directory inside the container' },
  { long: 'stop-signal', kind: 'string', description: 'Signal to stop the container' },
  { long: 'hostname', short: 'h', kind: 'string', description: 'Container host name' },
  { long: 'user', short: 'u', kind: 'string', description: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { long: 'entrypoint', kind: 'string', description: 'Overwrite the default ENTRYPOINT of the image' },
  { long: 'memory', short: 'm', kind: 'string', type: 'bytes', description: 'Memory limit' },
  { long: 'pids-limit', kind: 'string', type: 'int', description: 'Tune container pids limit (set -1 for unlimited)' },
  { long: 'volume', short: 'v', kind: 'list', description: 'Bind mount a volume' },
  { long: 'tmpfs', kind: 'list', description: 'Mount a tmpfs directory' },
  { long: 'restart', kind: 'string', description: 'Restart policy to apply when a container exits', default: 'no' },
  { long: 'network', kind: 'string', description: 'Connect a container to a network' },
  { long: 'network-alias', kind: 'list', description: 'Add network-scoped alias for the container' },
  { long: 'add-host', kind: 'list', description: 'Add a custom host-to-IP mapping (host:ip)' },
  { long: 'publish', short: 'p', kind: 'list', description: "Publish a container's port(s) to the host" },
  { long: 'publish-all', short: 'P', kind: 'bool', description: 'Publish all exposed ports to random ports' },
];

export async function runOptions(ctx: Ctx, p: Parsed): Promise<{ opts: RunOptions; detach: boolean }> {
  const env: string[] = [];
  for (const f of list(p, 'env-file')) {
    if (!ctx.io.readFile) throw new DockerError('--env-file: no files can be read here');
    const bytes = await ctx.io.readFile(f).catch(() => {
      throw new DockerError(`open ${f}: no such file or directory`);
    });
    env.push(...parseEnvFile(new TextDecoder().decode(bytes), f));
  }
  env.push(...list(p, 'env'));
  const pids = str(p, 'pids-limit');
  if (pids !== undefined && !/^-?\d+$/.test(pids)) throw new DockerError(`invalid argument "${pids}" for "--pids-limit" flag: strconv.ParseInt: parsing "${pids}": invalid syntax`);
  const mem = str(p, 'memory');
  const network = str(p, 'network');
  const publish = list(p, 'publish');
  for (const spec of publish) {
    try {
      parsePublish(spec);
    } catch (e) {
      // docker checks -p before it asks the daemon anything
      throw new FlagError(`docker: ${(e as Error).message}.`);
    }
  }
  const addHosts = list(p, 'add-host');
  addHosts.forEach(checkAddHost);
  const stopSignal = str(p, 'stop-signal');
  // docker refuses an unknown --stop-signal when the container is created
  if (stopSignal !== undefined) parseSignal(stopSignal);
  const opts: RunOptions = {
    image: p.args[0]!,
    cmd: p.args.slice(1),
    env,
    hostEnv: ctx.io.env ?? {},
    tty: bool(p, 'tty'),
    interactive: bool(p, 'interactive'),
    rm: bool(p, 'rm'),
    volumes: list(p, 'volume'),
    tmpfs: list(p, 'tmpfs'),
    networkAliases: list(p, 'network-alias'),
    addHosts,
    publish,
    publishAll: bool(p, 'publish-all'),
    ...(network !== undefined ? { network } : {}),
    ...(str(p, 'name') !== undefined ? { name: str(p, 'name')! } : {}),
    ...(str(p, 'workdir') !== undefined ? { workdir: str(p, 'workdir')! } : {}),
    ...(stopSignal !== undefined ? { stopSignal } : {}),
    ...(str(p, 'hostname') !== undefined ? { hostname: str(p, 'hostname')! } : {}),
    ...(str(p, 'user') !== undefined ? { user: str(p, 'user')! } : {}),
    ...(str(p, 'entrypoint') !== undefined ? { entrypoint: str(p, 'entrypoint')! } : {}),
    ...(mem !== undefined ? { memory: parseBytes(mem) } : {}),
    ...(pids !== undefined ? { pidsLimit: Number(pids) } : {}),
    ...(str(p, 'restart') !== undefined ? { restart: str(p, 'restart')! } : {}),
  };
  if (opts.workdir !== undefined && !opts.workdir.startsWith('/')) throw new DockerError(`the working directory '${opts.workdir}' is invalid, it needs to be an absolute path`);
  return { opts, detach: bool(p, 'detach') };
}

export const run: CommandDef = {
  names: ['container run', 'run'],
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create and run a new container from an image',
  flags: RUN_FLAGS,
  args: { min: 1 },
  stopAtPositional: true,
  operands: ['image', 'none'],
  runLike: true,
  run: runContainer,
};

/** `docker create`: the container, not started (`docker start` runs it; `docker cp` can fill it first). */
export const create: CommandDef = {
  names: ['container create', 'create'],
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  description: 'Create a new container',
  flags: RUN_FLAGS.filter((f) => f.long !== 'detach' && f.long !== 'rm'),
  args: { min: 1 },
  stopAtPositional: true,
  operands: ['image', 'none'],
  runLike: true,
  run: async (ctx, p) => {
    const { opts } = await runOptions(ctx, p);
    const image = await imageFor(ctx, opts.image);
    try {
      ctx.io.out(`${(await ctx.d.containers.create(opts, image)).id}\n`);
      return 0;
    } catch (e) {
      throw e instanceof DockerError ? e : new DockerError((e as Error).message);
    }
  },
};

/**
 * The image, pulled first as docker run and docker create do when it is not
 * here (the pull shown on stderr); `lazy` (docker run): mounted lazily where
 * the source can, the container starting before the image has arrived.
 */
async function imageFor(ctx: Ctx, ref: string, lazy = false): Promise<ImageRecord> {
  let image = (await ctx.d.images.find(ref)) ?? (lazy ? ctx.d.images.findLazy(ref) : undefined);
  if (!image) {
    // as docker run does: say so, and show the pull on stderr
    ctx.io.err(`Unable to find image '${ref.includes(':') || ref.includes('@') ? ref : `${ref}:latest`}' locally\n`);
    let digest = '';
    const print = pullPrinter({ ...ctx, io: { ...ctx.io, out: ctx.io.err } }, ref);
    // lazily where the source can: the container starts before the image has arrived
    image = await ctx.d.pull(
      ref,
      (e) => {
        if (e.kind === 'done') digest = e.digest;
        print(e);
      },
      ctx.signal,
      { lazy },
    );
    const name = familiarString(parseReference(ref));
    ctx.io.err(
      ctx.d.images.isLazy(image)
        ? `Digest: ${digest}\nStatus: Pulled lazily ${name}: its files arrive as they are read, the rest downloads in the background\n`
        : `Digest: ${digest}\nStatus: Downloaded newer image for ${name}\n`,
    );
  }
  return image;
}

async function runContainer(ctx: Ctx, p: Parsed): Promise<number> {
  const { opts, detach } = await runOptions(ctx, p);
  if (opts.tty && opts.interactive && !ctx.io.terminal && !detach) {
    ctx.io.err('the input device is not a TTY\n');
    return 1;
  }
  const image = await imageFor(ctx, opts.image, true);
  // a lazily pulled image completes in the background once its container has had its start
  // (its first output, or its end): the bytes it needs first do not queue behind the layers
  const lazy = ctx.d.images.isLazy(image);
  let completing = false;
  const complete = () => {
    if (!lazy || completing) return;
    completing = true;
    void ctx.d.images.completeLazy();
  };
  const failures = async () => {
    if (!lazy) return;
    for (const f of await ctx.d.images.lazyFailures().catch(() => [])) {
      ctx.io.err(`docker: a file of ${familiarString(parseReference(opts.image))} (pulled lazily) could not be read, the process got EIO: ${f}\n`);
    }
  };
  let id: string | undefined;
  try {
    if (detach) {
      id = (await ctx.d.containers.create(opts, image)).id;
      await ctx.d.containers.start(id);
      ctx.io.out(`${id}\n`);
      complete();
      return 0;
    }
    const out = (write: (b: Uint8Array) => void) => (b: Uint8Array) => {
      complete();
      write(b);
    };
    const run = await ctx.d.containers.run(opts, { stdout: out((b) => ctx.io.out(b)), stderr: out((b) => ctx.io.err(b)) }, image);
    id = run.id;
    try {
      return await attachTo(ctx, run.proc, { tty: opts.tty ?? false, interactive: opts.interactive ?? false });
    } finally {
      complete();
      await failures();
    }
  } catch (e) {
    // a container that never started is removed with --rm, as docker does
    if (opts.rm && id !== undefined) await ctx.d.containers.remove(id, true).catch(() => {});
    throw e instanceof StartError || e instanceof DockerError ? e : new DockerError((e as Error).message);
  }
}
