import { familiarName, familiarString, parseReference } from '../../common/oci/reference.js';
import type { ContainerInfo } from '../../runtime/containers.js';
import type { ImageRecord } from '../../runtime/images.js';
import type { NetworkInfo } from '../../runtime/networks.js';
import type { Ctx } from '../context.js';
import type { CommandDef } from '../command.js';
import { str, type FlagSpec } from '../flags.js';

const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : '0001-01-01T00:00:00Z');

/** NetworkSettings and the network half of HostConfig, as docker shows them (addresses while it runs). */
function networkJson(c: ContainerInfo, networks: readonly NetworkInfo[]) {
  const running = c.status === 'running';
  const attached = networks.flatMap((n) => n.endpoints.filter((e) => e.id === c.id).map((e) => ({ n, e })));
  const nets = Object.fromEntries(
    attached.map(({ n, e }) => {
      const live = running && e.ip !== '';
      return [
        n.name,
        {
          IPAMConfig: null,
          Links: null,
          Aliases: n.name === 'bridge' ? null : [...e.aliases, c.id.slice(0, 12)],
          NetworkID: n.id,
          EndpointID: live ? `${n.id.slice(0, 32)}${c.id.slice(0, 32)}` : '',
          Gateway: live ? n.gateway : '',
          IPAddress: live ? e.ip : '',
          IPPrefixLen: live ? Number(n.subnet.split('/')[1]) : 0,
          MacAddress: live ? e.mac : '',
        },
      ];
    }),
  );
  const mode = c.networkMode;
  if (mode === 'host' || mode === 'none') {
    const n = networks.find((x) => x.name === mode);
    nets[mode] = { IPAMConfig: null, Links: null, Aliases: null, NetworkID: n?.id ?? '', EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, MacAddress: '' };
  }
  const bridge = nets['bridge'] as { Gateway: string; IPAddress: string; IPPrefixLen: number; MacAddress: string } | undefined;
  const ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> = {};
  for (const p of c.ports) (ports[`${p.containerPort}/${p.proto}`] ??= []).push({ HostIp: p.hostIp || '0.0.0.0', HostPort: p.hostPort ? String(p.hostPort) : '' });
  return {
    NetworkSettings: {
      Bridge: '',
      Ports: running ? ports : {},
      Gateway: bridge?.Gateway ?? '',
      IPAddress: bridge?.IPAddress ?? '',
      IPPrefixLen: bridge?.IPPrefixLen ?? 0,
      MacAddress: bridge?.MacAddress ?? '',
      Networks: nets,
    },
    HostConfig: { NetworkMode: mode === 'bridge' ? 'bridge' : mode, PortBindings: ports },
  };
}

/** HostConfig's restart policy beside its network half. */
function withRestartPolicy(net: ReturnType<typeof networkJson>, policy: string) {
  return { ...net, HostConfig: { RestartPolicy: { Name: policy.split(':')[0], MaximumRetryCount: Number(policy.split(':')[1] ?? 0) }, ...net.HostConfig } };
}

/** The part of docker's container JSON Dockyard knows. */
export function containerJson(c: ContainerInfo, networks: readonly NetworkInfo[] = []): Record<string, unknown> {
  return {
    Id: c.id,
    Created: iso(c.created),
    Path: c.command.split(' ')[0] ?? '',
    Args: c.command.split(' ').slice(1),
    State: {
      Status: c.paused ? 'paused' : c.restarting ? 'restarting' : c.status,
      Running: c.status === 'running',
      Paused: c.paused,
      Restarting: c.restarting,
      OOMKilled: c.oom,
      Dead: false,
      Pid: c.status === 'running' ? c.pid : 0,
      ExitCode: c.exitCode,
      StartedAt: iso(c.started),
      FinishedAt: iso(c.finished),
    },
    Image: c.imageId,
    Name: `/${c.name}`,
    RestartCount: c.restartCount,
    Config: { Hostname: c.hostname, Image: c.image, Cmd: c.command.split(' '), ...(c.config.StopSignal ? { StopSignal: c.config.StopSignal } : {}) },
    ...withRestartPolicy(networkJson(c, networks), c.restartPolicy),
  };
}

/** The part of docker's image JSON Dockyard knows (`names`: every record of one image id). */
export function imageJson(names: ImageRecord[]): Record<string, unknown> {
  const img = names[0]!;
  const refs = names.map((n) => parseReference(n.name));
  return {
    Id: img.id,
    RepoTags: refs.filter((r) => r.tag !== undefined).map((r) => familiarString(r)),
    RepoDigests: [...new Set(names.map((n) => { const r = parseReference(n.repoDigest); return `${familiarName(r)}@${r.digest}`; }))],
    Parent: '',
    Comment: '',
    Created: img.created,
    Config: img.runConfig,
    Architecture: img.architecture,
    Os: img.os,
    Size: img.size,
    RootFS: { Type: 'layers', Layers: img.diffIds },
  };
}

const FORMAT: FlagSpec = { long: 'format', short: 'f', kind: 'string', description: 'Format output using a custom template' };

/** `docker inspect` for containers and images, with `-f '{{.State.OOMKilled}}'`-style paths. */
export const inspect: CommandDef = {
  names: ['inspect'],
  usage: '[OPTIONS] NAME|ID [NAME|ID...]',
  description: 'Return low-level information on Docker objects',
  flags: [FORMAT, { long: 'type', kind: 'string', description: 'Only inspect objects of the given type' }],
  args: { min: 1 },
  operands: ['container'],
  run: (ctx, p) => inspectObjects(ctx, p.args, str(p, 'format'), str(p, 'type')),
};

export const imageInspect: CommandDef = {
  names: ['image inspect'],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Display detailed information on one or more images',
  flags: [FORMAT],
  args: { min: 1 },
  operands: ['image'],
  run: (ctx, p) => inspectObjects(ctx, p.args, str(p, 'format'), 'image'),
};

export const containerInspect: CommandDef = {
  names: ['container inspect'],
  usage: '[OPTIONS] CONTAINER [CONTAINER...]',
  description: 'Display detailed information on one or more containers',
  flags: [FORMAT],
  args: { min: 1 },
  operands: ['container'],
  run: (ctx, p) => inspectObjects(ctx, p.args, str(p, 'format'), 'container'),
};

async function inspectObjects(ctx: Ctx, refs: string[], format: string | undefined, type: string | undefined): Promise<number> {
  const found: Array<Record<string, unknown>> = [];
  let status = 0;
  const networks = type === 'image' ? [] : await ctx.d.networks.list();
  for (const ref of refs) {
    const obj = (type !== 'image' && (await ctx.d.containers.find(ref).then((c) => containerJson(c, networks), () => undefined))) || (type !== 'container' && (await findImage(ctx, ref)));
    if (obj) found.push(obj);
    else {
      ctx.io.err(type === 'image' ? `Error: No such image: ${ref}\n` : type === 'container' ? `Error: No such container: ${ref}\n` : `Error: No such object: ${ref}\n`);
      status = 1;
    }
  }
  if (format === undefined) {
    ctx.io.out(`${JSON.stringify(found, null, 4)}\n`);
    return status;
  }
  for (const obj of found) ctx.io.out(`${formatField(format, obj)}\n`);
  return status;
}

/** A `{{.Path.To.Field}}` template applied to one object (the only form supported). */
export function formatField(format: string, obj: Record<string, unknown>): string {
  const m = /^\{\{\s*((?:\.[A-Za-z]+)+)\s*\}\}$/.exec(format.trim());
  if (!m) throw new Error(`template: only {{.Path.To.Field}} formats are supported: ${format}`);
  let v: unknown = obj;
  for (const k of m[1]!.slice(1).split('.')) v = (v as Record<string, unknown> | undefined)?.[k];
  // as Go's templates print them: a list of strings as [a b], anything else nested as JSON
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) return `[${v.join(' ')}]`;
  return typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v ?? '<no value>');
}

async function findImage(ctx: Ctx, ref: string): Promise<Record<string, unknown> | undefined> {
  const img = await ctx.d.images.find(ref);
  return img && imageJson((await ctx.d.images.byId()).get(img.id) ?? [img]);
}
