// A tiny static file server for the built site: serves DIR under a
// sub-path (e.g. /sub/path/) on 127.0.0.1, with no special headers — what
// any static host would do. Anything outside the prefix is 404.
import { createServer, type Server } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import type { AddressInfo } from 'node:net';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export interface StaticServer {
  /** e.g. http://127.0.0.1:43121/sub/path/ */
  url: string;
  /** paths requested so far (under the prefix) */
  requests: string[];
  close(): Promise<void>;
}

/** `swap`: bytes served instead of a file's own, by its path under the prefix (a file changed on the server). */
export async function serveStatic(dir: string, prefix = '/sub/path/', swap: ReadonlyMap<string, Uint8Array> = new Map()): Promise<StaticServer> {
  const root = normalize(dir);
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    if (!path.startsWith(prefix)) {
      res.writeHead(404).end();
      return;
    }
    let rel = path.slice(prefix.length);
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    requests.push(rel);
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    const swapped = swap.get(rel);
    if (swapped) {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': swapped.length });
      res.end(req.method === 'HEAD' ? undefined : swapped);
      return;
    }
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) throw new Error('not a file');
      size = st.size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${prefix}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
