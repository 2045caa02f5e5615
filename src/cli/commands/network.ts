// `docker network create|ls|inspect|rm|connect|disconnect|prune` and `docker port`.
import { DockerError } from '../../runtime/errors.js';
import type { NetworkInfo } from '../../runtime/networks.js';
import { confirm } from '../confirm.js';
import type { CommandDef } from '../command.js';
import { bool, list, str } from '../flags.js';
import { table } from '../format.js';
import { each } from './lifecycle.js';

const iso = (ms: number) => (ms > 0 ? new Date(ms).toISOString() : '0001-01-01T00:00:00Z');

/** docker's network JSON, the part Dockyard has. */
export function networkJson(n: NetworkInfo): Record<string, unknown> {
  return {
    Name: n.name,
    Id: n.id,
    Created: iso(n.created),
    Scope: 'local',
    Driver: n.driver,
    EnableIPv6: false,
    IPAM: { Driver: 'default', Options: null, Config: n.subnet ? [{ Subnet: n.subnet, Gateway: n.gateway }] : [] },
    Internal: false,
    Attachable: false,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: Object.fromEntries(
      n.endpoints
        .filter((e) => e.ip !== '')
        .map((e) => [e.id, { Name: e.name, EndpointID: `${n.id.slice(0, 32)}${e.id.slice(0, 32)}`, MacAddress: e.mac, IPv4Address: `${e.ip}/${n.subnet.split('/')[1]}`, IPv6Address: '' }]),
    ),
    Options: n.bridge ? { 'com.docker.network.bridge.name': n.bridge } : {},
    Labels: n.labels,
  };
}

export const networkCreate: CommandDef = {
  names: ['network create'],
  usage: '[OPTIONS] NETWORK',
  description: 'Create a network',
  flags: [
    { long: 'driver', short: 'd', kind: 'string', description: 'Driver to manage the Network', default: 'bridge' },
    { long: 'subnet', kind: 'list', description: 'Subnet in CIDR format that represents a network segment' },
    { long: 'gateway', kind: 'list', description: 'IPv4 or IPv6 Gateway for the master subnet' },
    { long: 'label', kind: 'list', description: 'Set metadata on a network' },
  ],
  args: { min: 1, max: 1 },
  operands: ['none'],
  run: async (ctx, p) => {
    const labels = Object.fromEntries(list(p, 'label').map((l) => [l.split('=')[0]!, l.split('=').slice(1).join('=')]));
    const subnet = list(p, 'subnet')[0];
    const gateway = list(p, 'gateway')[0];
    if (gateway !== undefined && subnet === undefined) throw new DockerError('every ip-range or gateway must have a corresponding subnet', 1);
    const driver = str(p, 'driver');
    const id = await ctx.d.networks.create(p.args[0]!, { ...(driver !== undefined ? { driver } : {}), ...(subnet ? { subnet } : {}), ...(gateway ? { gateway } : {}), labels });
    ctx.io.out(`${id}\n`);
    return 0;
  },
};

export const networkLs: CommandDef = {
  names: ['network ls', 'network list'],
  usage: '[OPTIONS]',
  description: 'List networks',
  flags: [
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Only display network IDs' },
    { long: 'no-trunc', kind: 'bool', description: 'Do not truncate the output' },
  ],
  args: { max: 0 },
  run: async (ctx, p) => {
    const all = await ctx.d.networks.list();
    const id = (n: NetworkInfo) => (bool(p, 'no-trunc') ? n.id : n.id.slice(0, 12));
    if (bool(p, 'quiet')) ctx.io.out(all.map((n) => `${id(n)}\n`).join(''));
    else ctx.io.out(table(['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'], all.map((n) => [id(n), n.name, n.driver, 'local'])));
    return 0;
  },
};

export const networkInspect: CommandDef = {
  names: ['network inspect'],
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  description: 'Display detailed information on one or more networks',
  flags: [],
  args: { min: 1 },
  operands: ['none'],
  run: async (ctx, p) => {
    const found: Array<Record<string, unknown>> = [];
    let status = 0;
    for (const ref of p.args) {
      try {
        found.push(networkJson(await ctx.d.networks.find(ref)));
      } catch (e) {
        ctx.io.err(`Error response from daemon: ${(e as Error).message}\n`);
        status = 1;
      }
    }
    ctx.io.out(`${JSON.stringify(found, null, 4)}\n`);
    return status;
  },
};

export const networkRm: CommandDef = {
  names: ['network rm', 'network remove'],
  usage: '[OPTIONS] NETWORK [NETWORK...]',
  description: 'Remove one or more networks',
  flags: [{ long: 'force', short: 'f', kind: 'bool', description: 'Do not error if the network does not exist' }],
  args: { min: 1 },
  operands: ['none'],
  run: (ctx, p) =>
    each(
      ctx,
      p.args,
      (ref) => ctx.d.networks.remove(ref).catch((e: Error) => {
        if (!(bool(p, 'force') && /not found/.test(e.message))) throw e;
      }),
    ),
};

export const networkConnect: CommandDef = {
  names: ['network connect'],
  usage: '[OPTIONS] NETWORK CONTAINER',
  description: 'Connect a container to a network',
  flags: [{ long: 'alias', kind: 'list', description: 'Add network-scoped alias for the container' }],
  args: { min: 2, max: 2 },
  operands: ['none', 'container'],
  run: async (ctx, p) => {
    const c = await ctx.d.containers.find(p.args[1]!);
    await ctx.d.networks.connect(p.args[0]!, c.id, list(p, 'alias'));
    return 0;
  },
};

export const networkDisconnect: CommandDef = {
  names: ['network disconnect'],
  usage: '[OPTIONS] NETWORK CONTAINER',
  description: 'Disconnect a container from a network',
  flags: [{ long: 'force', short: 'f', kind: 'bool', description: 'Force the container to disconnect from a network' }],
  args: { min: 2, max: 2 },
  operands: ['none', 'container'],
  run: async (ctx, p) => {
    const c = await ctx.d.containers.find(p.args[1]!);
    await ctx.d.networks.disconnect(p.args[0]!, c.id);
    return 0;
  },
};

export const networkPrune: CommandDef = {
  names: ['network prune'],
  usage: '[OPTIONS]',
  description: 'Remove all unused networks',
  flags: [{ long: 'force', short: 'f', kind: 'bool', description: 'Do not prompt for confirmation' }],
  args: { max: 0 },
  run: async (ctx, p) => {
    if (!bool(p, 'force') && !(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] '))) return 0;
    const gone = await ctx.d.networks.prune();
    ctx.io.out(gone.length ? `Deleted Networks:\n${gone.map((n) => `${n}\n`).join('')}` : '');
    return 0;
  },
};

/** `docker port CONTAINER [PRIVATE_PORT[/PROTO]]`. */
export const port: CommandDef = {
  names: ['container port', 'port'],
  usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  description: 'List port mappings or a specific mapping for the container',
  flags: [],
  args: { min: 1, max: 2 },
  operands: ['container', 'none'],
  run: async (ctx, p) => {
    const c = await ctx.d.containers.find(p.args[0]!);
    const ports = c.status === 'running' ? c.ports : [];
    const want = p.args[1];
    if (want !== undefined) {
      const [num, proto = 'tcp'] = want.split('/');
      const hits = ports.filter((b) => String(b.containerPort) === num && b.proto === proto);
      if (hits.length === 0) throw new DockerError(`No public port '${num}/${proto}' published for ${p.args[0]}`, 1);
      ctx.io.out(hits.map((b) => `${b.hostIp || '0.0.0.0'}:${b.hostPort}\n`).join(''));
      return 0;
    }
    ctx.io.out(ports.map((b) => `${b.containerPort}/${b.proto} -> ${b.hostIp || '0.0.0.0'}:${b.hostPort}\n`).join(''));
    return 0;
  },
};
