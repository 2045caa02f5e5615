// Published ports under Node: a real TCP listener per binding (127.0.0.1
// unless an address is given), each accepted connection relayed into the
// container through the daemon (Containers.connectPort). Bounded: at most
// MAX_CONNECTIONS per listener (Node refuses more at accept), and a client
// is read only as fast as the guest takes its bytes (the request's window).
import { createServer, type Server, type Socket } from 'node:net';
import { DockerError } from '../runtime/errors.js';
import type { PortBinding, PortConnector, PortPublisher, PortStream } from '../runtime/ports.js';

/** The daemon relays at most 32 connections at once (CL_PORTS_MAX); a few more wait for it here. */
const MAX_CONNECTIONS = 48;

export class TcpPublisher implements PortPublisher {
  private readonly servers = new Map<string, Server[]>();
  /** open client connections, by container: cut when it stops (its end would never answer again) */
  private readonly sockets = new Map<string, Set<Socket>>();

  async publish(c: { id: string; name: string }, bindings: readonly PortBinding[], connect: PortConnector): Promise<PortBinding[]> {
    const servers: Server[] = [];
    const bound: PortBinding[] = [];
    try {
      for (const b of bindings) {
        const host = b.hostIp || '127.0.0.1';
        const open = this.sockets.get(c.id) ?? new Set<Socket>();
        this.sockets.set(c.id, open);
        const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (socket) => {
          open.add(socket);
          socket.on('close', () => open.delete(socket));
          relay(socket, b.containerPort, connect);
        });
        server.maxConnections = MAX_CONNECTIONS;
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host, port: b.hostPort, exclusive: true }, () => {
            server.off('error', reject);
            resolve();
          });
        }).catch((e: NodeJS.ErrnoException) => {
          const ours = [...this.servers.values()].flat().some((s) => (s.address() as { port?: number } | null)?.port === b.hostPort);
          const why = ours
            ? `Bind for ${host}:${b.hostPort} failed: port is already allocated`
            : `Error starting userland proxy: listen tcp4 ${host}:${b.hostPort}: bind: ${e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.message}`;
          throw new DockerError(`driver failed programming external connectivity on endpoint ${c.name} (${c.id}): ${why}`);
        });
        servers.push(server);
        bound.push({ ...b, hostIp: host, hostPort: (server.address() as { port: number }).port });
      }
    } catch (e) {
      await Promise.all(servers.map(closeServer));
      throw e;
    }
    this.servers.set(c.id, servers);
    return bound;
  }

  async unpublish(id: string): Promise<void> {
    const servers = this.servers.get(id) ?? [];
    this.servers.delete(id);
    for (const s of this.sockets.get(id) ?? []) s.destroy();
    this.sockets.delete(id);
    await Promise.all(servers.map(closeServer));
  }
}

function closeServer(s: Server): Promise<void> {
  return new Promise((resolve) => s.close(() => resolve()));
}

/** One client connection, both ways; whichever side ends first ends the other. */
function relay(socket: Socket, port: number, connect: PortConnector): void {
  let stream: PortStream | undefined;
  let closed = false;
  socket.setNoDelay(true);
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
    stream?.close();
  });
  void connect(port, {
    data: (bytes) => {
      if (!closed) socket.write(bytes);
    },
    end: () => socket.end(),
    fail: () => socket.destroy(),
  }).then(
    (s) => {
      stream = s;
      if (closed) {
        s.close();
        return;
      }
      socket.on('data', (chunk: Buffer) => {
        // paused until the guest took it: the client waits, nothing piles up
        socket.pause();
        s.write(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)).then(
          () => socket.resume(),
          () => socket.destroy(),
        );
      });
      socket.on('end', () => void s.end().catch(() => {}));
      socket.resume();
    },
    () => socket.destroy(),
  );
}
