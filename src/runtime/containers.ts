// Containers and their tasks: create from an image, run attached (streams and
// an exit promise) or detached, exec, list, logs, stop, kill, remove.
import { concat } from '../common/protocol/frame.js';
import { Op, reply, request, type OpRequest, type OpSpec } from '../common/protocol/ops.js';
import { DockerError, NoSuchContainerError, NoSuchImageError } from './errors.js';
import { parseSignal } from './signals.js';
import type { ImageRecord, ImageStore } from './images.js';
import { randomId, randomName } from './names.js';
import { mergeArgs, mergeEnv, parseTmpfs, parseVolume, type MountSpec } from './spec.js';
import type { VmBackend } from './backend.js';
import type { WireAttrs } from '../common/vm-api.js';
import type { Networks } from './networks.js';
import { exposedBindings, parsePublish, type PortBinding, type PortPublisher, type PortSink, type PortStream } from './ports.js';

export interface RunOptions {
  image: string;
  /** arguments after the image name */
  cmd?: string[];
  entrypoint?: string;
  env?: string[];
  hostEnv?: Record<string, string | undefined>;
  workdir?: string;
  /** `--stop-signal`: what `docker stop` sends instead of the image's STOPSIGNAL */
  stopSignal?: string;
  hostname?: string;
  user?: string;
  name?: string;
  tty?: boolean;
  interactive?: boolean;
  rm?: boolean;
  memory?: number;
  pidsLimit?: number;
  volumes?: string[];
  tmpfs?: string[];
  /** `--restart`: no, always, unless-stopped, on-failure[:N] */
  restart?: string;
  /** `--network`: bridge (default), none, host, container:NAME, or a user network */
  network?: string;
  /** `--network-alias` (user networks only) */
  networkAliases?: string[];
  /** `--add-host NAME:IP` (IP may be `host-gateway`) */
  addHosts?: string[];
  /** `-p` specs */
  publish?: string[];
  /** `-P`: the image's EXPOSEd ports on free host ports */
  publishAll?: boolean;
}

export interface Output {
  stdout(data: Uint8Array): void;
  stderr(data: Uint8Array): void;
}

export interface ExitStatus {
  exitCode: number;
  oom: boolean;
}

/** A running, attached process (container or exec). */
export interface Attached {
  readonly id: string;
  readonly exit: Promise<ExitStatus>;
  write(data: Uint8Array): Promise<void>;
  closeStdin(): Promise<void>;
  resize(cols: number, rows: number): Promise<void>;
}

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  imageId: string;
  command: string;
  status: 'created' | 'running' | 'exited';
  exitCode: number;
  oom: boolean;
  created: number;
  started: number;
  finished: number;
  pid: number;
  autoRemove: boolean;
  /** named volumes it mounts */
  volumes: string[];
  /** the environment its task was created with (an exec starts from it, as docker's does) */
  env: string[];
  /** the cgroup's memory.current (processes, page cache, writable layer); 0 unless running and listed with `memory` */
  memoryBytes: number;
  /** the chain id its rootfs is on (its image's top snapshot) */
  snapshot: string;
  /** its config as `docker commit` keeps it: the image's with the run's changes */
  config: RunConfig;
  /** `--network` as given: bridge, none, host, container:ID or a network's name */
  networkMode: string;
  hostname: string;
  /** published ports: as bound while it runs (host ports chosen), else as asked */
  ports: PortBinding[];
  /** created with -t / -i (what `start -a` / `start -i` attach) */
  tty: boolean;
  interactive: boolean;
  /** its cgroup is frozen (`docker pause`) */
  paused: boolean;
  /** exited, and its restart policy will start it again shortly */
  restarting: boolean;
  restartCount: number;
  /** `--restart` as given ("no" when none) */
  restartPolicy: string;
}

/** What `docker stats` shows of a running container, from its cgroup. */
export interface ContainerStats {
  id: string;
  name: string;
  /** cpu.stat usage_usec: CPU time used so far */
  cpuUsec: number;
  memoryBytes: number;
  /** its own memory.max, or 0 when it has none */
  memoryLimit: number;
  pids: number;
}

/** One process of `docker top`, as the VM sees it. */
export interface TopProcess {
  pid: number;
  ppid: number;
  uid: number;
  tty: number;
  cpuMs: number;
  startMs: number;
  cmd: string;
}

/**
 * `--restart`'s value as the daemon takes it (name and on-failure's count),
 * refused in moby's words.
 */
export function parseRestartPolicy(policy: string): { name: string; max: number } {
  const colon = policy.indexOf(':');
  const name = colon < 0 ? policy : policy.slice(0, colon);
  const count = colon < 0 ? '' : policy.slice(colon + 1);
  if (colon >= 0 && name === '') throw new DockerError('invalid restart policy format: no policy provided before colon');
  if (count !== '' && !/^[+-]?\d+$/.test(count)) throw new DockerError('invalid restart policy format: maximum retry count must be an integer');
  const max = count === '' ? 0 : Number(count);
  if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) {
    throw new DockerError(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if (max !== 0 && name !== 'on-failure') throw new DockerError("invalid restart policy: maximum retry count can only be used with 'on-failure'");
  if (max < 0) throw new DockerError('invalid restart policy: maximum retry count cannot be negative');
  return { name, max };
}

/** The parts of a container's config an image made of it keeps. */
export type RunConfig = ImageRecord['runConfig'];

interface ContainerRecord {
  name: string;
  image: string;
  imageId: string;
  command: string;
  created: number;
  autoRemove: boolean;
  volumes?: string[];
  env?: string[];
  snapshot?: string;
  config?: RunConfig;
  tty?: boolean;
  interactive?: boolean;
  restart?: string;
  networkMode?: string;
  hostname?: string;
  ports?: PortBinding[];
}

const enc = new TextEncoder();

/** A `mount` attr of container.create (PROTOCOL.md): a tmpfs carries its flags and data. */
/** A mount as container.create's nested `mount` record (tmpfs: its flags and data too). */
function mountFields(m: MountSpec) {
  const t = m.tmpfs;
  return {
    type: m.type,
    source: m.source,
    target: m.target,
    ro: m.readonly,
    ...(t ? { noexec: t.noexec, nosuid: t.nosuid, nodev: t.nodev, ...Object.fromEntries(t.data) } : {}),
  };
}

/** Maps an exec failure to docker's exit status: 127 not found, 126 not executable. */
export function startFailureStatus(errno: number | undefined): number {
  return errno === 2 ? 127 : errno === 13 ? 126 : 125;
}

export class StartError extends DockerError {}

/**
 * A container's config as `docker commit` takes it: the image's, with the
 * run's command, entrypoint, env (-e; not HOSTNAME or TERM, which the
 * daemon adds per container), workdir and user.
 */
function commitConfig(image: RunConfig, o: RunOptions, env: string[]): RunConfig {
  const cfg: RunConfig = { ...image };
  if (o.entrypoint !== undefined) {
    cfg.Entrypoint = o.entrypoint === '' ? null : [o.entrypoint];
    cfg.Cmd = o.cmd ?? [];
  } else if (o.cmd && o.cmd.length > 0) cfg.Cmd = o.cmd;
  const userEnv = new Set((o.env ?? []).map((e) => e.split('=')[0]));
  cfg.Env = env.filter((e) => {
    const k = e.slice(0, e.indexOf('='));
    return (k !== 'HOSTNAME' && k !== 'TERM') || userEnv.has(k);
  });
  if (o.workdir !== undefined) cfg.WorkingDir = o.workdir;
  if (o.user !== undefined) cfg.User = o.user;
  if (o.stopSignal !== undefined) cfg.StopSignal = o.stopSignal;
  return cfg;
}

/** The signal `docker stop` sends: the config's StopSignal, SIGTERM if it has none or one no kernel knows. */
function stopSignalOf(cfg: RunConfig): number {
  try {
    return cfg.StopSignal ? parseSignal(cfg.StopSignal) : 15;
  } catch {
    return 15;
  }
}

/** `--add-host NAME:IP` (IPv4 or `host-gateway`), as docker validates it. */
export function checkAddHost(h: string): string {
  const colon = h.indexOf(':');
  const name = h.slice(0, colon);
  const ip = h.slice(colon + 1);
  if (colon <= 0 || /\s/.test(name)) throw new DockerError(`invalid argument "${h}" for "--add-host" flag: bad format for add-host: "${h}"`);
  if (ip !== 'host-gateway' && !/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(ip)) {
    throw new DockerError(`invalid argument "${h}" for "--add-host" flag: invalid IP address in add-host: "${ip}"`);
  }
  return h;
}

export class Containers {
  constructor(
    private readonly vm: VmBackend,
    private readonly images: ImageStore,
    private readonly pull: (ref: string) => Promise<ImageRecord>,
    private readonly networks?: Networks,
  ) {}

  /** The host's way to publish ports (none: `-p` is refused). */
  publisher: PortPublisher | undefined;

  /** Host ports bound for running containers, by id. */
  private readonly published = new Map<string, PortBinding[]>();

  private async call<S extends OpSpec>(req: OpRequest<S>) {
    return reply(req.op, await this.vm.request(req.fields));
  }

  private known: ContainerInfo[] = [];

  /** The containers as of the last list() — what is lost if the VM dies. */
  lastKnown(): ContainerInfo[] {
    return this.known;
  }

  /** `memory`: also each running container's memoryBytes (a read per container in the guest). */
  async list(all = true, o: { memory?: boolean } = {}): Promise<ContainerInfo[]> {
    const r = await this.call(request(Op.ContainerList, { memory: o.memory ?? false }));
    const out: ContainerInfo[] = [];
    for (const c of r.nested('container')) {
      const rec = JSON.parse(c.get('record') ?? '{}') as Partial<ContainerRecord>;
      const info: ContainerInfo = {
        id: c.get('id') ?? '',
        name: c.get('name') ?? rec.name ?? '',
        image: rec.image ?? c.get('image') ?? '',
        imageId: rec.imageId ?? '',
        command: rec.command ?? '',
        status: (c.get('status') as ContainerInfo['status']) ?? 'created',
        exitCode: c.int('exit_code') ?? 0,
        oom: c.get('oom') === '1',
        created: c.int('created') ?? rec.created ?? 0,
        started: c.int('started') ?? 0,
        finished: c.int('finished') ?? 0,
        pid: c.int('pid') ?? 0,
        autoRemove: rec.autoRemove ?? false,
        volumes: rec.volumes ?? [],
        env: rec.env ?? [],
        memoryBytes: c.int('memory') ?? 0,
        snapshot: rec.snapshot ?? '',
        config: rec.config ?? {},
        tty: rec.tty ?? false,
        interactive: rec.interactive ?? false,
        paused: c.get('paused') === '1',
        restarting: c.get('restarting') === '1',
        restartCount: c.int('restart_count') ?? 0,
        restartPolicy: rec.restart ?? 'no',
        networkMode: rec.networkMode ?? 'bridge',
        hostname: rec.hostname ?? '',
        ports: [],
      };
      info.ports = (info.status === 'running' ? this.published.get(info.id) : undefined) ?? rec.ports ?? [];
      out.push(info);
    }
    this.known = out;
    return out.filter((c) => all || c.status === 'running').sort((a, b) => b.created - a.created);
  }

  /** By full id, unique id prefix, or name (Docker's lookup order). */
  async find(ref: string): Promise<ContainerInfo> {
    const all = await this.list();
    const exact = all.find((c) => c.id === ref || c.name === ref || `/${c.name}` === ref);
    if (exact) return exact;
    const byPrefix = /^[0-9a-f]+$/.test(ref) ? all.filter((c) => c.id.startsWith(ref)) : [];
    if (byPrefix.length === 1) return byPrefix[0]!;
    if (byPrefix.length > 1) throw new DockerError(`Multiple IDs found with provided prefix: ${ref}`);
    throw new NoSuchContainerError(ref);
  }

  /**
   * `docker create` (and the first half of run): pulls the image if missing.
   * `resolved`: the image, when the caller has already looked it up (saves a
   * round trip). The daemon refuses a name in use, with Docker's message.
   */
  async create(o: RunOptions, resolved?: ImageRecord): Promise<{ id: string; name: string; image: ImageRecord }> {
    for (let attempt = 0; ; attempt++) {
      const c = await this.createRequest(o, resolved);
      try {
        await this.call(c.req);
        return c;
      } catch (e) {
        if (!this.retryName(o, e, attempt)) throw e;
      }
    }
  }

  /**
   * `docker run` without -d: create and start attached, sent back to back so
   * the start does not wait for a round trip (the daemon takes requests in
   * order; if the create fails, so does the start, and the create's error is
   * the one thrown).
   */
  async run(o: RunOptions, out: Output, resolved?: ImageRecord): Promise<{ id: string; name: string; image: ImageRecord; proc: Attached }> {
    for (let attempt = 0; ; attempt++) {
      const c = await this.createRequest(o, resolved);
      if (c.ports.length > 0) {
        // created first: a port that cannot be had leaves it created, as Docker's
        try {
          await this.call(c.req);
        } catch (e) {
          if (!this.retryName(o, e, attempt)) throw e;
          continue;
        }
        await this.publish(c.id, c.name, c.ports);
        const proc = await this.attach(c.id, out).catch(async (e: unknown) => {
          await this.unpublish(c.id);
          throw e;
        });
        void proc.exit.then(() => this.unpublish(c.id)).catch(() => this.unpublish(c.id));
        return { id: c.id, name: c.name, image: c.image, proc };
      }
      const created = this.call(c.req);
      const proc = this.attach(c.id, out);
      try {
        await created;
      } catch (e) {
        void proc.then((p) => p.exit).catch(() => {}); // fails: no such container
        if (!this.retryName(o, e, attempt)) throw e;
        continue;
      }
      return { ...c, proc: await proc };
    }
  }

  /** A generated name that another container took meanwhile: pick another. */
  private retryName(o: RunOptions, e: unknown, attempt: number): boolean {
    return o.name === undefined && attempt < 5 && (e as { errno?: number }).errno === 17 /* EEXIST */ && /container name/.test((e as Error).message);
  }

  private async createRequest(
    o: RunOptions,
    resolved?: ImageRecord,
  ): Promise<{ id: string; name: string; image: ImageRecord; req: OpRequest<typeof Op.ContainerCreate>; ports: PortBinding[] }> {
    let image = resolved ?? (await this.images.find(o.image));
    if (!image) {
      image = await this.pull(o.image).catch((e: Error) => {
        throw e instanceof DockerError ? e : new NoSuchImageError(o.image);
      });
    }
    // the guest finds the image's tree in 9p (a no-op once it is there)
    await this.vm.mountSnapshot(image.chainIds[image.chainIds.length - 1]!);
    const id = randomId();
    if (o.name !== undefined && !/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(o.name)) {
      throw new DockerError(`Invalid container name (${o.name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    // the names last listed: a hint only (the daemon has the last word)
    const name = o.name?.replace(/^\//, '') ?? randomName(new Set(this.known.map((c) => c.name)));
    const args = mergeArgs(image.runConfig, o.cmd ?? [], o.entrypoint);
    if (args.length === 0) throw new DockerError('no command specified');
    const net = await this.networkFields(o);
    const ports = [...(o.publish ?? []).map(parsePublish), ...(o.publishAll ? exposedBindings(image.runConfig.ExposedPorts) : [])];
    if (ports.length > 0 && !this.publisher) throw new DockerError('ports cannot be published here');
    const hostname = o.hostname ?? id.slice(0, 12);
    const env = mergeEnv(image.runConfig.Env ?? [], o.env ?? [], hostname, o.tty ?? false, o.hostEnv);
    const mounts: MountSpec[] = [...(o.volumes ?? []).map(parseVolume), ...(o.tmpfs ?? []).map(parseTmpfs)];
    const restart = o.restart === undefined ? undefined : parseRestartPolicy(o.restart);
    if (restart && restart.name !== 'no' && o.rm) throw new DockerError('Conflicting options: cannot specify both --restart and --rm');
    const record: ContainerRecord = {
      name,
      image: o.image,
      imageId: image.id,
      command: args.join(' '),
      created: Date.now(),
      autoRemove: o.rm ?? false,
      volumes: mounts.filter((m) => m.type === 'volume').map((m) => m.source),
      env,
      snapshot: image.chainIds[image.chainIds.length - 1]!,
      config: commitConfig(image.runConfig, o, env),
      tty: o.tty ?? false,
      interactive: o.interactive ?? false,
      ...(o.restart !== undefined ? { restart: o.restart } : {}),
      networkMode: o.network ?? 'bridge',
      hostname,
      ports,
    };
    const req = request(Op.ContainerCreate, {
      id,
      name,
      image: image.name,
      snapshot: image.chainIds[image.chainIds.length - 1]!,
      arg: args,
      env,
      cwd: o.workdir ?? (image.runConfig.WorkingDir || '/'),
      user: o.user ?? image.runConfig.User ?? '',
      hostname,
      tty: o.tty ?? false,
      stdin: o.interactive ?? false,
      memory: o.memory ?? 0,
      pids: o.pidsLimit ?? 0,
      mount: mounts.map(mountFields),
      auto_remove: o.rm ?? false,
      restart: restart?.name,
      restart_max: restart?.max,
      ...net,
      extra_host: (o.addHosts ?? []).map(checkAddHost),
      record: enc.encode(JSON.stringify(record)),
    });
    return { id, name, image, req, ports };
  }

  /** container.create's network fields for `--network` (Docker's rules and words). */
  private async networkFields(o: RunOptions): Promise<{ network_mode: string; network: Array<{ name: string; alias: string[] }> }> {
    const mode = o.network ?? 'bridge';
    const aliases = o.networkAliases ?? [];
    if (mode === 'none' || mode === 'host') {
      if (aliases.length) throw new DockerError('network-scoped alias is supported only for containers in user defined networks');
      return { network_mode: mode, network: [] };
    }
    if (mode.startsWith('container:')) {
      if (o.hostname !== undefined) throw new DockerError('conflicting options: hostname and the network mode');
      if ((o.publish ?? []).length || o.publishAll) throw new DockerError('conflicting options: port publishing and the container type network mode');
      const other = await this.find(mode.slice(10));
      return { network_mode: `container:${other.id}`, network: [] };
    }
    if (mode === 'bridge' || mode === 'default') {
      if (aliases.length) throw new DockerError('network-scoped alias is supported only for containers in user defined networks');
      return { network_mode: 'bridge', network: [{ name: 'bridge', alias: [] }] };
    }
    if (!this.networks) throw new DockerError(`network ${mode} not found`);
    const n = await this.networks.find(mode).catch(() => {
      throw new DockerError(`network ${mode} not found`);
    });
    if (n.driver === 'host' || n.driver === 'null') return this.networkFields({ ...o, network: n.name });
    return { network_mode: n.name, network: [{ name: n.id, alias: aliases }] };
  }

  /**
   * Makes a container's ports reachable before its task starts (Docker
   * allocates them at start): on failure nothing is published and the
   * container stays created.
   */
  private async publish(id: string, name: string, ports: readonly PortBinding[]): Promise<void> {
    if (ports.length === 0 || !this.publisher) return;
    const bound = await this.publisher.publish({ id, name }, ports, (port, sink) => this.connectPort(id, port, sink));
    this.published.set(id, bound);
  }

  /** The container stopped or went away: its host ports are released. */
  async unpublish(id: string): Promise<void> {
    if (!this.published.delete(id)) return;
    await this.publisher?.unpublish(id);
  }

  /** Every published port released (the runtime closes). */
  async unpublishAll(): Promise<void> {
    for (const id of [...this.published.keys()]) await this.unpublish(id);
  }

  /** One connection to port `port` of container `id`: its bytes relayed by the daemon (port.connect). */
  async connectPort(id: string, port: number, sink: PortSink): Promise<PortStream> {
    let open = true;
    const reqId = await this.vm.open(request(Op.PortConnect, { id, port }).fields, {
      data: (_stream, bytes) => sink.data(bytes),
      end: () => {
        open = false;
        sink.end();
      },
      fail: (message) => {
        open = false;
        sink.fail(message);
        // a container that stopped on its own: its ports go too
        if (/is not running|No such container/.test(message)) void this.unpublish(id).catch(() => {});
      },
    });
    return {
      write: (data) => (open ? this.vm.sendStream(reqId, 0, data) : Promise.resolve()),
      end: () => (open ? this.vm.sendStream(reqId, 0, new Uint8Array(0)) : Promise.resolve()),
      close: () => {
        if (open) void this.vm.request(request(Op.Cancel, { req: reqId }).fields).catch(() => {});
        open = false;
      },
    };
  }

  /** Starts the container's task attached: output streams to `out`. */
  attach(id: string, out: Output): Promise<Attached> {
    return this.openTask(request(Op.TaskRun, { id }), id, out);
  }

  async start(id: string): Promise<void> {
    const c = this.publisher ? await this.find(id) : undefined;
    if (c && c.status !== 'running') await this.publish(c.id, c.name, c.ports);
    try {
      await this.call(request(Op.TaskStart, { id }));
    } catch (e) {
      if (c) await this.unpublish(c.id);
      throw e;
    }
  }

  /**
   * `docker start -a`: starts the stopped container with its output (and,
   * when it was created with -i, its stdin) attached, as run does.
   */
  async startAttached(ref: string, out: Output): Promise<{ info: ContainerInfo; proc: Attached }> {
    const info = await this.find(ref);
    return { info, proc: await this.attach(info.id, out) };
  }

  /**
   * Output of a running container from now on, until it exits (`docker
   * attach`, `docker wait`); resolves with its exit status.
   */
  async follow(ref: string, out: Output): Promise<ExitStatus> {
    const c = await this.find(ref);
    await this.logs(c.id, out, { follow: true, tail: 0 });
    const after = (await this.list()).find((x) => x.id === c.id);
    return { exitCode: after?.exitCode ?? c.exitCode, oom: after?.oom ?? false };
  }

  exec(
    ref: string,
    args: string[],
    o: { tty?: boolean; interactive?: boolean; env?: string[]; workdir?: string; user?: string; hostEnv?: Record<string, string | undefined> },
    out: Output,
  ): Promise<Attached> {
    return this.find(ref).then((c) => {
      if (c.status !== 'running') throw new DockerError(`container ${c.id} is not running`);
      if (c.paused) throw new DockerError(`Container ${c.id} is paused, unpause the container before exec`);
      // as docker's: the container's environment, then the exec's -e (`-e NAME` from the client's)
      const hostname = c.env.find((e) => e.startsWith('HOSTNAME='))?.slice(9) ?? c.id.slice(0, 12);
      const env = mergeEnv(c.env, o.env ?? [], hostname, o.tty ?? false, o.hostEnv);
      return this.openTask(
        request(Op.ExecRun, { id: c.id, arg: args, env, cwd: o.workdir, user: o.user ?? '', tty: o.tty ?? false, stdin: o.interactive ?? false }),
        c.id,
        out,
      );
    });
  }

  private async openTask(req: OpRequest<typeof Op.TaskRun | typeof Op.ExecRun>, id: string, out: Output): Promise<Attached> {
    let settle!: { resolve(s: ExitStatus): void; reject(e: Error): void };
    const exit = new Promise<ExitStatus>((resolve, reject) => (settle = { resolve, reject }));
    const reqId = await this.vm.open(req.fields, {
      data: (stream, bytes) => (stream === 2 ? out.stderr(bytes) : out.stdout(bytes)),
      end: (attrs: WireAttrs) => {
        const a = reply(req.op, attrs);
        settle.resolve({ exitCode: a.int('exit_code') ?? 0, oom: a.get('oom') === '1' });
      },
      fail: (message, errno) => settle.reject(new StartError(message, startFailureStatus(errno))),
    });
    return {
      id,
      exit,
      write: (data) => this.vm.sendStream(reqId, 0, data),
      closeStdin: () => this.vm.sendStream(reqId, 0, new Uint8Array(0)),
      resize: async (cols, rows) => {
        // an exec's terminal is named by its request id; the main task's by the container alone
        await this.call(request(Op.TaskResize, { id, rows, cols, exec: req.op === Op.ExecRun ? reqId : undefined }));
      },
    };
  }

  /**
   * `docker stop`: `signal` (else the container's stop signal: the run's
   * --stop-signal or the image's STOPSIGNAL, else SIGTERM), then SIGKILL
   * after `timeoutS`.
   */
  async stop(ref: string, timeoutS = 10, signal?: number): Promise<string> {
    const c = await this.find(ref);
    if (c.status === 'running') await this.call(request(Op.TaskStop, { id: c.id, timeout: timeoutS, signal: signal ?? stopSignalOf(c.config) }));
    await this.unpublish(c.id);
    return c.id;
  }

  async kill(ref: string, signal = 9): Promise<string> {
    const c = await this.find(ref);
    if (c.status !== 'running') throw new DockerError(`cannot kill container: ${ref}: container ${c.id} is not running`);
    await this.call(request(Op.TaskKill, { id: c.id, signal }));
    if (signal === 9) await this.unpublish(c.id);
    return c.id;
  }

  async remove(ref: string, force = false): Promise<string> {
    const c = await this.find(ref);
    if (c.status === 'running' && !force) {
      throw new DockerError(`cannot remove container "/${c.name}": container is running: stop the container before removing or force remove`);
    }
    await this.call(request(Op.ContainerRemove, { id: c.id, force }));
    await this.unpublish(c.id);
    return c.id;
  }

  /** `docker logs`: replays the kept output; with follow, until the container exits. */
  async logs(ref: string, out: Output, o: { follow?: boolean; tail?: number } = {}): Promise<void> {
    const c = await this.find(ref);
    await new Promise<void>((resolve, reject) => {
      void this.vm.open(
        request(Op.ContainerLogs, { id: c.id, follow: o.follow ?? false, tail: o.tail }).fields,
        {
          data: (stream, bytes) => (stream === 2 ? out.stderr(bytes) : out.stdout(bytes)),
          end: () => resolve(),
          fail: (message) => reject(new DockerError(message)),
        },
      ).catch(reject);
    });
  }

  /**
   * The container's writable layer as an OCI layer tar (whiteouts for what
   * it deleted), streamed by the guest (`container.diff`).
   */
  async layer(ref: string): Promise<{ container: ContainerInfo; tar: Uint8Array }> {
    const c = await this.find(ref);
    const parts: Uint8Array[] = [];
    let total = 0;
    await new Promise<void>((resolve, reject) => {
      void this.vm
        .open(request(Op.ContainerDiff, { id: c.id }).fields, {
          data: (_stream, bytes) => {
            parts.push(bytes);
            total += bytes.length;
          },
          end: () => resolve(),
          fail: (message) => reject(new DockerError(message)),
        })
        .catch(reject);
    });
    return { container: c, tar: concat(parts, total) };
  }

  /**
   * Unpacks `tar` into directory `dir` of a container, running or not
   * (`container.extract`: the guest joins its mount namespace, or mounts its
   * filesystem); the tar goes to the guest through the 9p directory. A
   * GuestError with errno ENOENT when `dir` is not a directory there.
   */
  async extract(ref: string, dir: string, tar: Uint8Array): Promise<void> {
    const c = await this.find(ref);
    const name = `cp-${[...crypto.getRandomValues(new Uint8Array(8))].map((b) => b.toString(16).padStart(2, '0')).join('')}.tar`;
    await this.vm.writeFile(name, tar);
    await this.call(request(Op.ContainerExtract, { id: c.id, path: dir, archive: name }));
  }

  async volumes(): Promise<Array<{ name: string; size: number; created: number }>> {
    const r = await this.call(request(Op.VolumeList, {}));
    return r.nested('volume').map((a) => ({ name: a.get('name') ?? '', size: a.int('size') ?? 0, created: a.int('created') ?? 0 }));
  }

  async createVolume(name: string): Promise<void> {
    await this.call(request(Op.VolumeCreate, { name }));
  }

  /** The cgroup figures of each running container (one request for all). */
  async stats(): Promise<ContainerStats[]> {
    const r = await this.call(request(Op.ContainerList, { stats: true }));
    return r
      .nested('container')
      .filter((c) => c.get('status') === 'running')
      .map((c) => ({
        id: c.get('id') ?? '',
        name: c.get('name') ?? '',
        cpuUsec: c.int('cpu_usec') ?? 0,
        memoryBytes: c.int('memory') ?? 0,
        memoryLimit: c.int('memory_max') ?? 0,
        pids: c.int('pids') ?? 0,
      }));
  }

  /** `docker top`: the processes in the container's cgroup. */
  async top(ref: string): Promise<TopProcess[]> {
    const c = await this.find(ref);
    if (c.status !== 'running') throw new DockerError(`container ${c.id} is not running`, 1);
    const r = await this.call(request(Op.ContainerTop, { id: c.id }));
    return r.nested('proc').map((p) => ({
      pid: p.int('pid') ?? 0,
      ppid: p.int('ppid') ?? 0,
      uid: p.int('uid') ?? 0,
      tty: p.int('tty') ?? 0,
      cpuMs: p.int('cpu_ms') ?? 0,
      startMs: p.int('start_ms') ?? 0,
      cmd: p.get('cmd') ?? '',
    }));
  }

  async rename(ref: string, name: string): Promise<void> {
    const c = await this.find(ref);
    await this.call(request(Op.ContainerRename, { id: c.id, name: name.replace(/^\//, '') }));
  }

  async pause(ref: string): Promise<void> {
    const c = await this.find(ref);
    if (c.status !== 'running') throw new DockerError(`Container ${c.id} is not running`, 1);
    if (c.paused) throw new DockerError(`Container ${c.id} is already paused`, 1);
    await this.call(request(Op.TaskPause, { id: c.id }));
  }

  async unpause(ref: string): Promise<void> {
    const c = await this.find(ref);
    if (!c.paused) throw new DockerError(`Container ${c.id} is not paused`, 1);
    await this.call(request(Op.TaskResume, { id: c.id }));
  }

  /** `docker wait`: the exit code once the container's main process exits. */
  async wait(ref: string): Promise<number> {
    const c = await this.find(ref);
    const r = await this.call(request(Op.TaskWait, { id: c.id }));
    return r.int('exit_code') ?? 0;
  }

  async removeVolume(name: string): Promise<void> {
    await this.call(request(Op.VolumeRemove, { name }));
  }
}

