// Published-port figures (issue #13): busybox httpd in a container behind
// `-p 127.0.0.1:0:80`, a real HTTP client on the host. port_first_byte_ms:
// one request on a fresh connection, request sent → first response byte
// (median of 20, one at a time). port_rps: requests per second, each on its
// own connection, 8 at a time, for 200 requests. port_minstr_per_req: guest
// instructions (millions) per request in that run, which host load does not change.
import { request as httpRequest } from 'node:http';
import type { Dockyard } from '../src/runtime/dockyard.js';

function get(port: number): Promise<{ firstByteMs: number; body: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = httpRequest({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      const firstByteMs = performance.now() - t0;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ firstByteMs, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export async function portFigures(d: Dockyard, instructions: () => Promise<number>): Promise<{ port_first_byte_ms: number; port_rps: number; port_minstr_per_req: number }> {
  const { id } = await d.containers.create({
    image: 'busybox',
    cmd: ['sh', '-c', 'mkdir -p /www && echo bench > /www/index.html && exec httpd -f -p 80 -h /www'],
    publish: ['127.0.0.1:0:80'],
  });
  await d.containers.start(id);
  try {
    const port = (await d.containers.find(id)).ports[0]!.hostPort;
    // httpd needs a moment to listen; then a few to warm v86's compiled code
    for (let i = 0; ; i++) {
      try {
        await get(port);
        break;
      } catch (e) {
        if (i > 50) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    for (let i = 0; i < 20; i++) await get(port);
    const first: number[] = [];
    for (let i = 0; i < 20; i++) first.push((await get(port)).firstByteMs);
    const total = 200;
    let next = 0;
    const i0 = await instructions();
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < total) {
          next++;
          const r = await get(port);
          if (r.body !== 'bench\n') throw new Error(`port bench: unexpected body ${JSON.stringify(r.body)}`);
        }
      }),
    );
    const s = (performance.now() - t0) / 1000;
    const minstr = (((await instructions()) - i0) >>> 0) / 1e6;
    return { port_first_byte_ms: Math.round(median(first) * 10) / 10, port_rps: Math.round(total / s), port_minstr_per_req: Math.round((minstr / total) * 100) / 100 };
  } finally {
    await d.containers.remove(id, true);
  }
}
