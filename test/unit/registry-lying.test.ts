// A registry that lies (a small node:http server speaking just enough of the
// distribution API): every lie gets a clear error and leaves nothing in the
// store. And one that tells the truth through a redirect, as Docker Hub's
// blobs go to a CDN.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBlobs } from '../../src/common/store/blobs.js';
import { HostStore } from '../../src/common/store/host-store.js';
import { DistributionClient } from '../../src/runtime/distribution.js';
import { ImageStore } from '../../src/runtime/images.js';
import { remoteSource } from '../../src/runtime/registry.js';
import { bundledLayout } from '../fixtures/registry.js';

const layout = bundledLayout(process.cwd(), 'busybox');
const blob = (digest: string) => readFileSync(join(layout, 'blobs', 'sha256', digest.replace('sha256:', '')));
const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
const manifestDigest = index.manifests[0]!.digest;
const manifestBytes = blob(manifestDigest);
const manifest = JSON.parse(manifestBytes.toString()) as { config: { digest: string }; layers: Array<{ digest: string; size: number }> };
const layerDigest = manifest.layers[0]!.digest;

type Lie = (req: IncomingMessage, res: ServerResponse, honest: () => void) => void;

let server: Server;
let base = '';
let host = '';
const lies = new Map<string, Lie>();

/** The repository `lie/<name>` serves busybox, except where its lie says otherwise. */
function serve(req: IncomingMessage, res: ServerResponse) {
  const m = /^\/v2\/lie\/([\w-]+)\/(manifests|blobs)\/([^/?]+)/.exec(req.url ?? '');
  if (req.url === '/v2/') return void res.end('{}');
  if (req.url?.startsWith('/cdn/')) {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    return void res.end(blob(req.url.slice(5)));
  }
  if (!m) return void res.writeHead(404).end();
  const [, name, kind, ref] = m as unknown as [string, string, string, string];
  const honest = () => {
    if (kind === 'manifests') {
      res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Docker-Content-Digest': manifestDigest });
      return void res.end(manifestBytes);
    }
    res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
    res.end(blob(ref));
  };
  const lie = lies.get(`${name} ${kind}`);
  if (lie) lie(req, res, honest);
  else honest();
}

beforeAll(async () => {
  server = createServer(serve);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  base = `http://${host}`;
  lies.set('wrong-digest blobs', (req, res, honest) => {
    if (!req.url!.includes(layerDigest)) return honest();
    const b = Buffer.from(blob(layerDigest));
    b[b.length >> 1]! ^= 0xff;
    res.end(b);
  });
  lies.set('too-long blobs', (req, res, honest) => (req.url!.includes(layerDigest) ? res.end(Buffer.concat([blob(layerDigest), Buffer.alloc(100)])) : honest()));
  lies.set('too-short blobs', (req, res, honest) => (req.url!.includes(layerDigest) ? res.end(blob(layerDigest).subarray(0, 100)) : honest()));
  lies.set('huge-manifest manifests', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
    // no Content-Length: the client must stop reading by itself
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let n = 0;
    const more = () => {
      while (n < 64) {
        n++;
        if (!res.write(chunk)) return void res.once('drain', more);
      }
      res.end();
    };
    more();
  });
  lies.set('bad-manifest-digest manifests', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json', 'Docker-Content-Digest': `sha256:${'0'.repeat(64)}` });
    res.end(manifestBytes);
  });
  lies.set('loop blobs', (req, res, honest) => {
    if (!req.url!.includes(layerDigest)) return honest();
    res.writeHead(307, { Location: req.url! }).end();
  });
  lies.set('cdn blobs', (req, res) => {
    res.writeHead(307, { Location: `${base}/cdn/${req.url!.split('/').pop()}` }).end();
  });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function pull(ref: string) {
  const store = new HostStore(new MemoryBlobs(), async (gz) => new Uint8Array(gunzipSync(gz)));
  const err = await new ImageStore(store)
    .pull(remoteSource(new DistributionClient()), `${host}/${ref}`)
    .then(() => undefined, (e: unknown) => e as Error);
  return { err, store, left: { images: await store.imageList(), snapshots: await store.snapshotList(), content: await store.contentList() } };
}

const NOTHING = { images: [], snapshots: [], content: [] };

describe('a registry that lies', () => {
  it('serves the image honestly, through a redirect to another path', async () => {
    const { err, left } = await pull('lie/cdn');
    expect(err).toBeUndefined();
    expect(left.images.length).toBe(1);
  });

  it.each([
    ['a layer that does not hash to its digest', 'wrong-digest', new RegExp(`^blob ${layerDigest}: content hashes to sha256:[0-9a-f]{64}$`)],
    ['a layer longer than its descriptor', 'too-long', new RegExp(`^blob ${layerDigest}: the registry sent more than the descriptor's ${manifest.layers[0]!.size} bytes$`)],
    ['a layer shorter than its descriptor', 'too-short', new RegExp(`^blob ${layerDigest}: size 100 does not match the descriptor's ${manifest.layers[0]!.size}$`)],
    ['a manifest over the 4 MiB limit', 'huge-manifest', /^manifest for 127\.0\.0\.1:\d+\/lie\/huge-manifest:latest is larger than the 4194304 bytes allowed$/],
    ['a manifest whose announced digest is not its own', 'bad-manifest-digest', /^manifest for .*: the registry says sha256:0{64}, its content hashes to sha256:[0-9a-f]{64}$/],
    ['a blob redirected in a loop', 'loop', /^Get "http:\/\/127\.0\.0\.1:\d+\/v2\/lie\/loop\/blobs\/sha256:[0-9a-f]{64}": stopped after 20 redirects$/],
  ])('refuses %s, storing nothing', async (_what, name, message) => {
    const { err, left } = await pull(`lie/${name}`);
    expect(err?.message).toMatch(message);
    expect(left).toEqual(NOTHING);
  });
});
