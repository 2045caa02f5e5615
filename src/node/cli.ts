// The `dockyard` command (bin/dockyard.mjs bundles and runs this):
//   dockyard <docker args>        one command in a fresh VM
//   dockyard < script             docker commands one per line, one VM
//   dockyard                      (on a TTY) an interactive docker prompt
import { TcpPublisher } from './ports.js';
import { readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ArtifactError } from '../common/manifest.js';
import type { CliIO, Ctx, Input, Terminal } from '../cli/context.js';
import { tarOfPath, writeTarAt } from './archive.js';
import { readContextDir } from './context-dir.js';
import { execute, parseLine, plan, ShellSyntaxError, USAGE } from '../cli/interpreter.js';
import { bundledRegistry, bundledThenRemote, remoteSource } from '../runtime/registry.js';
import { Registries } from '../runtime/registries.js';
import { fileCredentials, insecureRegistries } from './docker-config.js';
import { mirrorCommand } from './mirror-command.js';
import { Dockyard } from '../runtime/dockyard.js';
import type { WatchdogOptions } from '../runtime/watchdog.js';
import { withCatalog } from './catalog.js';
import { bootNodeVm } from './vm-host.js';

export interface CliContext {
  root: string;
  workerPath: string;
  stdout?: (s: string | Uint8Array) => void;
  stderr?: (s: string | Uint8Array) => void;
  stdin?: NodeJS.ReadStream;
}

export function registryDir(root: string): string {
  return join(root, 'images', 'dist', 'registry');
}

/**
 * Where the CLI keeps its images: $DOCKYARD_HOME, else dockyard/ in the
 * user's data directory ($XDG_DATA_HOME, default ~/.local/share), as Docker
 * keeps /var/lib/docker.
 */
export function dockyardHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DOCKYARD_HOME) return resolve(env.DOCKYARD_HOME);
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'dockyard');
}

export async function startDockyard(root: string, workerPath: string, o: { watchdog?: Required<WatchdogOptions>; home?: string } = {}): Promise<Dockyard> {
  const home = o.home ?? dockyardHome();
  const store = { kind: 'dir', path: home } as const;
  const { vm, boot, manifest } = await bootNodeVm({ root, workerPath, store });
  const dir = registryDir(root);
  // the catalog (debian, python) comes from `npm run catalog`'s cache when it has been built
  const bundled = withCatalog(bundledRegistry(manifest, (rel) => readFile(join(dir, rel)).then((b) => new Uint8Array(b), () => undefined)));
  const registries = new Registries(fileCredentials(home), { insecure: await insecureRegistries(home) });
  // a guest that stops answering is replaced by a fresh VM
  const reboot = () => bootNodeVm({ root, workerPath, store });
  const d = new Dockyard(vm, boot, bundledThenRemote(bundled, remoteSource(registries.client)), reboot, o.watchdog, registries);
  d.containers.publisher = new TcpPublisher();
  return d;
}

function nodeTerminal(stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream): Terminal {
  return {
    get cols() {
      return stdout.columns ?? 80;
    },
    get rows() {
      return stdout.rows ?? 24;
    },
    setRaw: (on) => stdin.setRawMode?.(on),
    onData(cb) {
      const f = (d: Buffer) => cb(new Uint8Array(d));
      stdin.on('data', f);
      stdin.resume();
      return () => {
        stdin.off('data', f);
        stdin.pause();
      };
    },
    onResize(cb) {
      const f = () => cb(stdout.columns ?? 80, stdout.rows ?? 24);
      stdout.on('resize', f);
      return () => stdout.off('resize', f);
    },
  };
}

/**
 * Piped stdin, pulled a chunk at a time: the stream reads no further than
 * its buffer until asked, so `cat big | dockyard run -i …` goes as fast as
 * the container reads.
 */
function nodeInput(stdin: NodeJS.ReadStream): Input {
  // made on the first read: a stdin nobody reads must not keep the process alive
  let it: AsyncIterator<Buffer | string> | undefined;
  let closed = false;
  return {
    async read() {
      if (closed) return null;
      it ??= stdin[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
      const r = await it.next();
      if (r.done) return null;
      return typeof r.value === 'string' ? new TextEncoder().encode(r.value) : new Uint8Array(r.value);
    },
    close() {
      if (closed) return;
      closed = true;
      if (it) stdin.destroy();
    },
  };
}

export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const out = ctx.stdout ?? ((s) => process.stdout.write(s));
  const err = ctx.stderr ?? ((s) => process.stderr.write(s));
  const stdin = ctx.stdin ?? process.stdin;
  let keepGoing = false;
  const args = [...argv];
  if (args[0] === '--keep-going') {
    keepGoing = true;
    args.shift();
  }
  if (args[0] === '--help' || args[0] === '-h') {
    out(`Usage:  dockyard [--keep-going] [COMMAND]\n\nWith a command: runs it in a fresh VM. Without: reads docker commands from\nstdin, one per line (a leading "docker" is optional), or prompts on a TTY.\n\n  dockyard mirror IMAGE... --out DIR   copy images into the bundled registry's layout (dockyard mirror --help)\n${USAGE}`);
    return 0;
  }
  // a site author's tool, not a docker verb: no VM either
  if (args[0] === 'mirror') return mirrorCommand(args.slice(1), dockyardHome(), (s) => void out(s), (s) => void err(s));
  // help and usage errors need no VM
  const settled = args.length > 0 ? plan(args) : undefined;
  if (settled?.kind === 'done') {
    if (settled.out) out(settled.out);
    // this CLI's own --help has docker's list of commands
    if (settled.err) err(settled.err.replace("See 'docker --help'", "See 'dockyard --help'"));
    return settled.status;
  }
  let d: Dockyard;
  try {
    d = await startDockyard(ctx.root, ctx.workerPath);
  } catch (e) {
    err(`dockyard: ${e instanceof ArtifactError ? e.message : `failed to start the VM: ${(e as Error).message}`}\n`);
    return 1;
  }
  const io: CliIO = {
    out,
    err,
    readFile: async (p) => new Uint8Array(await readFile(p)),
    writeFile: (p, data) => writeFile(p, data),
    readContext: (p) => readContextDir(p),
    readArchive: (p) => tarOfPath(p),
    writeArchive: (p, tar) => writeTarAt(p, tar),
    env: process.env,
    outIsTerminal: ctx.stdout === undefined && process.stdout.isTTY === true,
  };
  const c: Ctx = { d, io };
  try {
    if (args.length > 0) {
      if (stdin.isTTY) io.terminal = nodeTerminal(stdin, process.stdout);
      else io.stdin = nodeInput(stdin);
      const before = new Set((await d.images.list()).map((i) => i.id));
      const status = await interruptible(c, args);
      if ((await d.images.list().catch(() => [])).some((i) => !before.has(i.id))) await tellImagesKept(err);
      return status;
    }
    if (stdin.isTTY) return await interactive(c, stdin);
    return await script(c, stdin, keepGoing);
  } finally {
    await d.close();
  }
}


/**
 * Runs one command with Ctrl-C wired to ctx.signal: a pull stops and keeps
 * nothing, then the command ends; one that does not end within two seconds
 * (a container in the foreground) ends the CLI as Ctrl-C always did.
 */
async function interruptible(c: Ctx, argv: string[]): Promise<number> {
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onInt = () => {
    if (ctl.signal.aborted) process.exit(130);
    ctl.abort();
    timer = setTimeout(() => process.exit(130), 2000);
    timer.unref();
  };
  process.on('SIGINT', onInt);
  try {
    const status = await execute({ ...c, signal: ctl.signal }, argv);
    return ctl.signal.aborted ? 130 : status;
  } finally {
    process.off('SIGINT', onInt);
    clearTimeout(timer);
  }
}

/**
 * After a one-shot command pulled: says, once per image store, that images
 * are kept for the next command while containers end with this one's VM
 * (a learner would otherwise expect a fresh VM to have forgotten both).
 */
async function tellImagesKept(err: (s: string) => void, home = dockyardHome()): Promise<void> {
  const marker = join(home, '.told-images-kept');
  if (await readFile(marker).then(() => true, () => false)) return;
  err(`\nNote: Dockyard keeps pulled images in ${home}, so the next dockyard command finds them, as Docker does.\nEach command runs in a fresh VM, though: its containers end with it. For containers that stay, run dockyard with no command (a docker$ prompt) or give it a script on stdin.\n`);
  await writeFile(marker, '').catch(() => {});
}

async function script(c: Ctx, stdin: NodeJS.ReadStream, keepGoing: boolean): Promise<number> {
  const rl = createInterface({ input: stdin, crlfDelay: Infinity, terminal: false });
  let status = 0;
  let lineNo = 0;
  for await (const line of rl) {
    lineNo++;
    let argv: string[] | undefined;
    try {
      argv = parseLine(line);
    } catch (e) {
      c.io.err(`dockyard: line ${lineNo}: ${(e as ShellSyntaxError).message}\n`);
      status = 2;
      if (!keepGoing) break;
      continue;
    }
    if (!argv) continue;
    status = await interruptible(c, argv);
    if (status !== 0 && !keepGoing) break;
  }
  rl.close();
  return status;
}

async function interactive(c: Ctx, stdin: NodeJS.ReadStream): Promise<number> {
  c.io.terminal = nodeTerminal(stdin, process.stdout);
  c.io.out(`Dockyard: docker on an emulated Linux ${c.d.hello.kernel} (${c.d.hello.machine}). Type docker commands; Ctrl-D to quit.\n`);
  let status = 0;
  for (;;) {
    const line = await new Promise<string | undefined>((resolve) => {
      const rl = createInterface({ input: stdin, output: process.stdout, terminal: true });
      rl.once('line', (l) => {
        resolve(l); // before close(): it emits 'close' synchronously
        rl.close();
      });
      rl.once('close', () => resolve(undefined));
      // as a shell does: Ctrl-C throws the half-typed line away, it does not run it
      rl.on('SIGINT', () => {
        process.stdout.write('^C\n');
        resolve('');
        rl.close();
      });
      rl.setPrompt('docker$ ');
      rl.prompt();
    });
    if (line === undefined) break;
    try {
      const argv = parseLine(line);
      // `exit [N]` leaves the prompt, as it would leave a shell
      if (argv?.[0] === 'exit' && argv.length <= 2) return argv[1] !== undefined && /^\d+$/.test(argv[1]) ? Number(argv[1]) & 255 : status;
      if (argv) status = await interruptible(c, argv);
    } catch (e) {
      c.io.err(`${(e as Error).message}\n`);
    }
  }
  c.io.out('\n');
  return status;
}
