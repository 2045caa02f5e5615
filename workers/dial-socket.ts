// Outbound connections from containers under Node: a real TCP socket each,
// and the names the daemon does not know resolved as this machine does.
// host.docker.internal (HOST_IP) is this machine's 127.0.0.1, as Docker
// Desktop's reaches the host's loopback; any other address is dialed as is.
import { connect } from 'node:net';
import { lookup } from 'node:dns/promises';
import { DialRefused, type Dialer } from '../src/common/netstack/dialer.js';
import { HOST_IP, ipText } from '../src/common/netstack/wire.js';

/** a far end that neither accepts nor refuses: the container is told at once rather than after its own long timeout */
const CONNECT_TIMEOUT_MS = 15_000;

export function socketDialer(): Dialer {
  return ({ ip, port }, sink) =>
    new Promise((resolve, reject) => {
      const host = ip === HOST_IP ? '127.0.0.1' : ipText(ip);
      const s = connect({ host, port, allowHalfOpen: true, noDelay: true });
      let open = false;
      s.setTimeout(CONNECT_TIMEOUT_MS, () => {
        if (!open) s.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }));
      });
      s.once('connect', () => {
        open = true;
        s.setTimeout(0);
        resolve({
          write: (b) => void s.write(b),
          get backlog() {
            return s.writableLength;
          },
          end: () => void s.end(),
          close: () => void s.destroy(),
          pause: () => void s.pause(),
          resume: () => void s.resume(),
        });
      });
      s.on('error', (e) => {
        if (!open) reject(new DialRefused(`${host}:${port}: ${e.code ?? e.message}`));
        else sink.reset();
      });
      s.on('data', (b) => sink.data(b));
      s.on('end', () => sink.end());
      s.on('drain', () => sink.drain());
      s.on('close', (hadError) => {
        if (open && hadError) sink.reset();
      });
    });
}

/** A name's IPv4 addresses as this machine resolves them (undefined: it does not). */
export async function socketResolve(name: string): Promise<number[] | undefined> {
  try {
    const found = await lookup(name, { all: true, family: 4 });
    return found.map((a) => a.address.split('.').reduce((n, x) => n * 256 + Number(x), 0));
  } catch {
    return undefined;
  }
}
