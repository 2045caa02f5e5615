// Docker's networks: the guest keeps them (a bridge each, PROTOCOL.md
// "Networks"); here are Docker's rules and words around them: the pseudo
// networks `host` and `none`, subnets picked as Docker's default pools
// (172.18.0.0/16 … 172.31.0.0/16, then 192.168.0.0/20 steps), names and
// errors.
import { Op, reply, request, type OpRequest, type OpSpec } from '../common/protocol/ops.js';
import type { VmBackend } from './backend.js';
import { DockerError } from './errors.js';
import { randomId } from './names.js';

export interface Endpoint {
  /** container id and name */
  id: string;
  name: string;
  /** empty unless the container runs */
  ip: string;
  mac: string;
  aliases: string[];
}

export interface NetworkInfo {
  name: string;
  id: string;
  driver: 'bridge' | 'host' | 'null';
  /** the Linux bridge in the VM ('' for host and none) */
  bridge: string;
  subnet: string;
  gateway: string;
  created: number;
  labels: Record<string, string>;
  /** every container attached to it (running or not) */
  endpoints: Endpoint[];
}

interface NetworkRecord {
  created: number;
  labels?: Record<string, string>;
}

const enc = new TextEncoder();
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** A network's prefix length and base address, e.g. 172.18.0.0/16. */
function cidr(s: string): { base: number; prefix: number } | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(s);
  if (!m) return undefined;
  const oct = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (oct.some((o) => o > 255) || prefix < 8 || prefix > 30) return undefined;
  const base = ((oct[0]! << 24) | (oct[1]! << 16) | (oct[2]! << 8) | oct[3]!) >>> 0;
  return { base, prefix };
}

const ipText = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const maskOf = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

function overlaps(a: { base: number; prefix: number }, b: { base: number; prefix: number }): boolean {
  const m = maskOf(Math.min(a.prefix, b.prefix));
  return ((a.base & m) >>> 0) === ((b.base & m) >>> 0);
}

/** Docker's default address pools, in its order. */
function* pools(): Generator<string> {
  for (let b = 18; b <= 31; b++) yield `172.${b}.0.0/16`;
  for (let c = 0; c < 256; c += 16) yield `192.168.${c}.0/20`;
}

export class Networks {
  /** the pseudo networks' ids: fixed for this runtime's life, as Docker's are for a daemon's */
  private readonly hostId = randomId();
  private readonly noneId = randomId();

  constructor(private readonly vm: VmBackend) {}

  private async call<S extends OpSpec>(req: OpRequest<S>) {
    return reply(req.op, await this.vm.request(req.fields));
  }

  async list(): Promise<NetworkInfo[]> {
    const r = await this.call(request(Op.NetworkList, {}));
    const out: NetworkInfo[] = r.nested('network').map((n) => {
      const spec = n.nested('spec')[0];
      const rec = JSON.parse(spec?.get('record') ?? '{}') as Partial<NetworkRecord>;
      return {
        name: spec?.get('name') ?? '',
        id: spec?.get('id') ?? '',
        driver: 'bridge',
        bridge: spec?.get('bridge') ?? '',
        subnet: spec?.get('subnet') ?? '',
        gateway: spec?.get('gateway') ?? '',
        created: rec.created ?? 0,
        labels: rec.labels ?? {},
        endpoints: n.nested('endpoint').map((e) => ({
          id: e.get('id') ?? '',
          name: e.get('name') ?? '',
          ip: e.get('ip') ?? '',
          mac: e.get('mac') ?? '',
          aliases: e.all('alias'),
        })),
      };
    });
    const pseudo = (name: string, id: string, driver: 'host' | 'null'): NetworkInfo => ({ name, id, driver, bridge: '', subnet: '', gateway: '', created: 0, labels: {}, endpoints: [] });
    return [...out, pseudo('host', this.hostId, 'host'), pseudo('none', this.noneId, 'null')].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** By name, full id or unique id prefix; Docker's `network NAME not found`. */
  async find(ref: string): Promise<NetworkInfo> {
    const all = await this.list();
    const hit = all.find((n) => n.name === ref || n.id === ref) ?? (() => {
      const byPrefix = all.filter((n) => ref !== '' && n.id.startsWith(ref));
      return byPrefix.length === 1 ? byPrefix[0] : undefined;
    })();
    if (!hit) throw new DockerError(`network ${ref} not found`, 1);
    return hit;
  }

  /** `docker network create`: returns the new network's id. */
  async create(name: string, o: { subnet?: string; gateway?: string; labels?: Record<string, string>; driver?: string } = {}): Promise<string> {
    if (o.driver !== undefined && o.driver !== 'bridge') throw new DockerError(`plugin "${o.driver}" not found`, 1);
    if (!NAME.test(name)) throw new DockerError(`invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`, 1);
    const all = await this.list();
    if (all.some((n) => n.name === name)) throw new DockerError(`network with name ${name} already exists`, 1);
    const used = all.flatMap((n) => (n.subnet ? [cidr(n.subnet)!] : []));
    let subnet = o.subnet;
    if (subnet !== undefined) {
      const c = cidr(subnet);
      if (!c) throw new DockerError(`invalid CIDR address: ${subnet}`, 1);
      if (((c.base & ~maskOf(c.prefix)) >>> 0) !== 0) throw new DockerError(`invalid subnet ${subnet}: it should be ${ipText((c.base & maskOf(c.prefix)) >>> 0)}/${c.prefix}`, 1);
      if (used.some((u) => overlaps(u, c))) throw new DockerError('Pool overlaps with other one on this address space', 1);
    } else {
      subnet = [...pools()].find((p) => !used.some((u) => overlaps(u, cidr(p)!)));
      if (!subnet) throw new DockerError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network', 1);
    }
    const c = cidr(subnet)!;
    const gateway = o.gateway ?? ipText(c.base + 1);
    const id = randomId();
    const record: NetworkRecord = { created: Date.now(), ...(o.labels ? { labels: o.labels } : {}) };
    await this.call(request(Op.NetworkCreate, { name, id, bridge: `br-${id.slice(0, 12)}`, subnet, gateway, record: enc.encode(JSON.stringify(record)) }));
    return id;
  }

  async remove(ref: string): Promise<string> {
    if (ref === 'host' || ref === 'none' || ref === 'bridge') throw new DockerError(`${ref} is a pre-defined network and cannot be removed`, 1);
    const n = await this.find(ref);
    if (n.driver !== 'bridge') throw new DockerError(`${n.name} is a pre-defined network and cannot be removed`, 1);
    await this.call(request(Op.NetworkRemove, { name: n.id }));
    return n.name;
  }

  async connect(ref: string, containerId: string, aliases: string[] = []): Promise<void> {
    const n = await this.find(ref);
    if (n.driver !== 'bridge') throw new DockerError('container cannot be disconnected from host network or connected to host network', 1);
    if (n.name === 'bridge' && aliases.length) throw new DockerError('network-scoped alias is supported only for containers in user defined networks', 1);
    await this.call(request(Op.NetworkConnect, { id: containerId, network: n.id, alias: aliases }));
  }

  async disconnect(ref: string, containerId: string): Promise<void> {
    const n = await this.find(ref);
    await this.call(request(Op.NetworkDisconnect, { id: containerId, network: n.id }));
  }

  /** `docker network prune`: user networks no container is attached to; their names. */
  async prune(): Promise<string[]> {
    const gone: string[] = [];
    for (const n of await this.list()) {
      if (n.driver !== 'bridge' || n.name === 'bridge' || n.endpoints.length > 0) continue;
      await this.call(request(Op.NetworkRemove, { name: n.id }));
      gone.push(n.name);
    }
    return gone;
  }
}
