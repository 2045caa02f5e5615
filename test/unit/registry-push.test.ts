// docker push to Debian's docker-registry (open and htpasswd), checked with
// skopeo as an independent client: what was pushed inspects with the digest
// Dockyard printed and copies out whole (skopeo verifies every blob).
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBlobs } from '../../src/common/store/blobs.js';
import { HostStore } from '../../src/common/store/host-store.js';
import { DistributionClient, type Credentials } from '../../src/runtime/distribution.js';
import { ImageStore } from '../../src/runtime/images.js';
import { push, type PushEvent } from '../../src/runtime/push.js';
import { remoteSource } from '../../src/runtime/registry.js';
import { bundledLayout, HAVE_REGISTRY, skopeoCopy, startRegistry, type LocalRegistry } from '../fixtures/registry.js';

const root = process.cwd();

describe.skipIf(!HAVE_REGISTRY)('push to docker-registry', () => {
  let open: LocalRegistry;
  let basic: LocalRegistry;
  const user = { name: 'carol', password: 'push-pw' };
  let images: ImageStore;

  beforeAll(async () => {
    [open, basic] = await Promise.all([startRegistry(), startRegistry({ user })]);
    await skopeoCopy(`oci:${bundledLayout(root, 'busybox')}:latest`, `docker://${open.host}/library/busybox:latest`);
    images = new ImageStore(new HostStore(new MemoryBlobs(), async (gz) => new Uint8Array(gunzipSync(gz))));
    await images.pull(remoteSource(new DistributionClient()), `${open.host}/library/busybox`);
  });
  afterAll(async () => {
    await Promise.all([open?.stop(), basic?.stop()]);
  });

  const client = (creds?: Credentials) => new DistributionClient({ credentials: () => creds });
  const pushed = async (ref: string, creds?: Credentials) => {
    const events: PushEvent[] = [];
    const r = await push(images, client(creds), ref, (e) => events.push(e));
    return { ...r, events, lines: events.flatMap((e) => (e.kind === 'layer' ? [`${e.id}: ${e.status}`] : [])) };
  };
  const inspect = (ref: string, creds?: string) =>
    JSON.parse(execFileSync('skopeo', ['inspect', '--tls-verify=false', ...(creds ? ['--creds', creds] : []), `docker://${ref}`]).toString()) as { Digest: string; Architecture: string };

  it('uploads a tagged image: skopeo sees the digest it printed and copies it out whole', async () => {
    await images.tag(`${open.host}/library/busybox`, `${open.host}/team/pushed:v1`);
    const rec = (await images.find(`${open.host}/team/pushed:v1`))!;
    const r = await pushed(`${open.host}/team/pushed:v1`);
    const id = rec.layers[0]!.digest.slice(7, 19);
    // the blobs are in the registry already (another repository): mounted, as docker does
    expect(r.lines).toEqual([`${id}: Preparing`, `${id}: Mounted from library/busybox`]);
    expect(r.events[0]).toEqual({ kind: 'start', repository: `${open.host}/team/pushed` });
    expect(r.events.at(-1)).toEqual({ kind: 'done', tag: 'v1', digest: rec.manifest.digest, size: rec.manifest.size });
    expect(inspect(`${open.host}/team/pushed:v1`)).toMatchObject({ Digest: rec.manifest.digest, Architecture: '386' });
    const out = mkdtempSync(join(tmpdir(), 'dockyard-pushed-'));
    await skopeoCopy(`docker://${open.host}/team/pushed:v1`, `oci:${out}:v1`);
    // again: the repository has every blob
    expect((await pushed(`${open.host}/team/pushed:v1`)).lines).toEqual([`${id}: Preparing`, `${id}: Layer already exists`]);
  });

  it('uploads to another registry, with the login it asks for', async () => {
    await images.tag(`${open.host}/library/busybox`, `${basic.host}/carol/app:2`);
    await expect(push(images, client(), `${basic.host}/carol/app:2`)).rejects.toThrow('unauthorized: authentication required');
    const rec = (await images.find(`${basic.host}/carol/app:2`))!;
    const r = await pushed(`${basic.host}/carol/app:2`, { username: user.name, password: user.password });
    expect(r.lines).toEqual([`${rec.layers[0]!.digest.slice(7, 19)}: Preparing`, `${rec.layers[0]!.digest.slice(7, 19)}: Pushed`]);
    expect(inspect(`${basic.host}/carol/app:2`, `${user.name}:${user.password}`).Digest).toBe(rec.manifest.digest);
  });

  it('says an image it does not have does not exist locally', async () => {
    await expect(push(images, client(), `${open.host}/team/nothing:1`)).rejects.toThrow(`An image does not exist locally with the tag: ${open.host}/team/nothing`);
  });
});
