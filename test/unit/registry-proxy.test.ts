// The shipped pull-through cache config (docs/registry-proxy.yml), run by
// Debian's docker-registry with its upstream pointed at a second local
// registry: pulls through it as the page's registryProxy, its CORS headers,
// and what it serves once the upstream is gone.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBlobs } from '../../src/common/store/blobs.js';
import { HostStore } from '../../src/common/store/host-store.js';
import { DistributionClient } from '../../src/runtime/distribution.js';
import { ImageStore } from '../../src/runtime/images.js';
import { remoteSource } from '../../src/runtime/registry.js';
import { bundledLayout, HAVE_REGISTRY, skopeoCopy, startRegistry, type LocalRegistry } from '../fixtures/registry.js';

const root = process.cwd();

describe.skipIf(!HAVE_REGISTRY)('docs/registry-proxy.yml, a pull-through cache', () => {
  let upstream: LocalRegistry;
  let cache: LocalRegistry;

  beforeAll(async () => {
    upstream = await startRegistry();
    await skopeoCopy(`oci:${bundledLayout(root, 'busybox')}:latest`, `docker://${upstream.host}/team/tool:1`);
    cache = await startRegistry({ configFile: join(root, 'docs', 'registry-proxy.yml'), proxy: { remoteurl: upstream.url } });
  });
  afterAll(async () => {
    await Promise.all([upstream?.stop(), cache?.stop()]);
  });

  const pull = async (ref: string) => {
    const images = new ImageStore(new HostStore(new MemoryBlobs(), async (gz) => new Uint8Array(gunzipSync(gz))));
    const client = new DistributionClient({ mirrors: { 'docker.io': cache.url } });
    return images.pull(remoteSource(client), ref);
  };

  it('answers a preflight from any origin, as a page needs', async () => {
    const r = await fetch(`${cache.url}/v2/team/tool/manifests/1`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://page.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'accept,authorization' },
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(r.headers.get('access-control-expose-headers')).toMatch(/Docker-Content-Digest/);
  });

  it('serves a Docker Hub name (docker.io/team/tool) from its upstream, then from its cache alone', async () => {
    const rec = await pull('team/tool:1');
    expect(rec.name).toBe('docker.io/team/tool:1');
    expect(rec.architecture).toBe('386');
    // the cache writes what it served to its storage as it streams it, finishing a moment
    // after the client has it: wait for every blob before taking its upstream away
    const blobs = [rec.manifest.digest, rec.config.digest, ...rec.layers.map((l) => l.digest)];
    const stored = (d: string) => existsSync(join(cache.dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', d.slice(7, 9), d.slice(7), 'data'));
    for (const deadline = Date.now() + 15_000; !blobs.every(stored) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
    expect(blobs.filter((d) => !stored(d))).toEqual([]);
    await upstream.stop();
    // the upstream is gone: the tag and every blob come from the cache
    const again = await pull('team/tool:1');
    expect(again.manifest.digest).toBe(rec.manifest.digest);
    const byDigest = await pull(`team/tool@${rec.manifest.digest}`);
    expect(byDigest.id).toBe(rec.id);
  });
});
