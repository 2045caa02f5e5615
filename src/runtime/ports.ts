// Published ports (`-p`, `-P`): Docker's spec grammar, and the interface a
// host implements to make a port reachable (a TCP listener under Node, a
// service worker's URL in a page). Each connection becomes a `port.connect`
// request whose streams carry the bytes (PROTOCOL.md).
import { DockerError } from './errors.js';

export interface PortBinding {
  /** '' = the host's default (127.0.0.1 under Node) */
  hostIp: string;
  /** 0 = any free port, chosen when the container starts */
  hostPort: number;
  containerPort: number;
  proto: 'tcp';
}

/** One connection into a container's port, as the host end sees it. */
export interface PortStream {
  /** resolves once the guest took the bytes (its window: back-pressure) */
  write(data: Uint8Array): Promise<void>;
  /** no more bytes from the client (the container sees EOF) */
  end(): Promise<void>;
  /** the client went away: the guest closes its socket */
  close(): void;
}

/** What the container sends back on a connection. */
export interface PortSink {
  data(bytes: Uint8Array): void;
  /** the container closed the connection */
  end(): void;
  /** it could not be made (refused, not running, too many) */
  fail(message: string): void;
}

export type PortConnector = (containerPort: number, sink: PortSink) => Promise<PortStream>;

/** A host's way of publishing ports. */
export interface PortPublisher {
  /**
   * Makes each binding reachable until unpublish(id); returns them with the
   * host ports actually used. Throws a DockerError with docker's words when
   * a port cannot be had (in use), having published nothing.
   */
  publish(container: { id: string; name: string }, bindings: readonly PortBinding[], connect: PortConnector): Promise<PortBinding[]>;
  unpublish(id: string): Promise<void>;
}

function portNumber(s: string, what: string): number {
  if (!/^\d+$/.test(s) || Number(s) > 65535) throw new DockerError(`Invalid ${what}: ${s}`);
  return Number(s);
}

/** `-p [ip:][hostPort:]containerPort[/proto]` as docker parses it (go-connections nat.ParsePortSpec). */
export function parsePublish(spec: string): PortBinding {
  const slash = spec.lastIndexOf('/');
  const proto = slash < 0 ? 'tcp' : spec.slice(slash + 1);
  const rest = slash < 0 ? spec : spec.slice(0, slash);
  if (proto !== 'tcp') {
    if (proto === 'udp' || proto === 'sctp') throw new DockerError(`${proto} ports cannot be published here: only tcp is relayed`);
    throw new DockerError(`Invalid proto: ${proto}`);
  }
  const parts = rest.split(':');
  let ip = '';
  let host = '';
  let container: string;
  if (parts.length === 1) container = parts[0]!;
  else if (parts.length === 2) [host, container] = parts as [string, string];
  else if (parts.length === 3) [ip, host, container] = parts as [string, string, string];
  else throw new DockerError(`Invalid ip address: ${parts.slice(0, -2).join(':')}`);
  if (ip !== '' && !/^(\d{1,3})(\.\d{1,3}){3}$/.test(ip)) throw new DockerError(`Invalid ip address: ${ip}`);
  if (container === '') throw new DockerError(`No port specified: ${spec}<empty>`);
  const containerPort = portNumber(container, 'containerPort');
  if (containerPort === 0) throw new DockerError(`Invalid containerPort: ${container}`);
  return { hostIp: ip, hostPort: host === '' ? 0 : portNumber(host, 'hostPort'), containerPort, proto: 'tcp' };
}

/** `-P`: each port the image EXPOSEs, on a free host port. */
export function exposedBindings(exposed: Record<string, unknown> | undefined): PortBinding[] {
  return Object.keys(exposed ?? {}).flatMap((k) => {
    const [port, proto = 'tcp'] = k.split('/');
    return proto === 'tcp' && /^\d+$/.test(port ?? '') ? [{ hostIp: '', hostPort: 0, containerPort: Number(port), proto: 'tcp' as const }] : [];
  });
}

/** The PORTS column of `docker ps`: `127.0.0.1:8080->80/tcp`. */
export function portsText(bindings: readonly PortBinding[]): string {
  return bindings.map((b) => `${b.hostIp || '0.0.0.0'}:${b.hostPort}->${b.containerPort}/${b.proto}`).join(', ');
}
