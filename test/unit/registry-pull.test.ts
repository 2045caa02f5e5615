// docker pull over the distribution API against Debian's docker-registry
// (open, htpasswd, token auth from a token server in this file), seeded by
// skopeo from the bundled images and multi-arch indexes built here, into the
// real host-side store in memory.
import { execFileSync } from 'node:child_process';
import { createSign, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseReference } from '../../src/common/oci/reference.js';
import { MemoryBlobs } from '../../src/common/store/blobs.js';
import { HostStore } from '../../src/common/store/host-store.js';
import { memoryCredentials } from '../../src/runtime/credentials.js';
import { DistributionClient, isLoopback, parseChallenge, type Credentials } from '../../src/runtime/distribution.js';
import { ImageStore, type PullEvent } from '../../src/runtime/images.js';
import { push, type PushEvent } from '../../src/runtime/push.js';
import { Registries } from '../../src/runtime/registries.js';
import { remoteSource, type ImageSource } from '../../src/runtime/registry.js';
import { bundledLayout, freePort, HAVE_OPENSSL, HAVE_REGISTRY, multiArchLayout, skopeo, skopeoCopy, startRegistry, type LocalRegistry } from '../fixtures/registry.js';

const root = process.cwd();

function memoryStore(): HostStore {
  return new HostStore(new MemoryBlobs(), async (gz) => new Uint8Array(gunzipSync(gz)));
}

function source(o: { creds?: Credentials; authTimeoutMs?: number } = {}): ImageSource {
  const client = new DistributionClient({ credentials: () => o.creds, ...(o.authTimeoutMs ? { authTimeoutMs: o.authTimeoutMs } : {}) });
  return { ...remoteSource(client), runnable: ['busybox', 'hello-world'] };
}

async function pull(src: ImageSource, ref: string, signal?: AbortSignal) {
  const host = memoryStore();
  const events: PullEvent[] = [];
  const images = new ImageStore(host);
  const err = await images.pull(src, ref, (e) => events.push(e), signal).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  return { host, images, events, err };
}

async function empty(host: HostStore) {
  return { images: await host.imageList(), snapshots: await host.snapshotList(), content: await host.contentList() };
}

const NOTHING = { images: [], snapshots: [], content: [] };

/**
 * Three pulls of `ref` through one client, each into an empty store: logged
 * in, after logout, after a login with a wrong password. Returns each error.
 */
async function loggedOutPull(domain: string, ref: string, creds: Credentials): Promise<Array<{ err: string | undefined }>> {
  // as a session keeps them: one Registries, its client and its logins
  const registries = new Registries();
  const logins = registries.credentials;
  const src = { ...remoteSource(registries.client), runnable: ['busybox', 'hello-world'] };
  const out: Array<{ err: string | undefined }> = [];
  await logins.set(domain, creds);
  out.push({ err: (await pull(src, ref)).err?.message });
  await logins.remove(domain);
  out.push({ err: (await pull(src, ref)).err?.message });
  await logins.set(domain, { username: creds.username, password: `${creds.password}-not` });
  out.push({ err: (await pull(src, ref)).err?.message });
  return out;
}

describe('distribution client basics', () => {
  it('reaches localhost and 127.0.0.0/8 over http, everything else over https unless listed', () => {
    expect(isLoopback('localhost:5000')).toBe(true);
    expect(isLoopback('127.3.2.1:80')).toBe(true);
    expect(isLoopback('128.0.0.1')).toBe(false);
    expect(isLoopback('localhost.example.com')).toBe(false);
    const c = new DistributionClient({ insecure: ['reg.lan:5000'] });
    expect(c.base('docker.io')).toBe('https://registry-1.docker.io');
    expect(c.base('ghcr.io')).toBe('https://ghcr.io');
    expect(c.base('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(c.base('reg.lan:5000')).toBe('http://reg.lan:5000');
    expect(c.base('reg.lan:5001')).toBe('https://reg.lan:5001');
    expect(new DistributionClient({ mirrors: { 'docker.io': 'https://cache.example/' } }).base('docker.io')).toBe('https://cache.example');
  });

  it('parses bearer and basic challenges', () => {
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull' },
    });
    expect(parseChallenge('Basic realm="basic-realm"')).toEqual({ scheme: 'basic', params: { realm: 'basic-realm' } });
    expect(parseChallenge('Negotiate')).toBeUndefined();
    expect(parseChallenge(null)).toBeUndefined();
  });

  it('says a registry that is not there cannot be reached, as docker does', async () => {
    const port = await freePort();
    const { err, host } = await pull(source(), `127.0.0.1:${port}/x:1`);
    expect(err?.message).toBe(`Get "http://127.0.0.1:${port}/v2/x/manifests/1": dial tcp 127.0.0.1:${port}: connect: connection refused`);
    expect(await empty(host)).toEqual(NOTHING);
  });
});

describe.skipIf(!HAVE_REGISTRY)('pull from docker-registry', () => {
  let open: LocalRegistry;
  let basic: LocalRegistry;
  const user = { name: 'alice', password: 's3cret-pw' };

  beforeAll(async () => {
    [open, basic] = await Promise.all([startRegistry(), startRegistry({ user })]);
    const bb = `oci:${bundledLayout(root, 'busybox')}:latest`;
    // one at a time: concurrent uploads of one blob to one registry can race
    await skopeoCopy(bb, `docker://${open.host}/library/busybox:latest`);
    // Docker's own media types (schema 2), as Docker Hub mostly serves them
    await skopeo(['copy', '--quiet', '--format', 'v2s2', '--dest-tls-verify=false', bb, `docker://${open.host}/team/bb:v2s2`]);
    await skopeoCopy(`oci:${multiArchLayout(root, ['linux/amd64', 'linux/386'])}:latest`, `docker://${open.host}/multi/both:latest`, { all: true });
    await skopeoCopy(`oci:${multiArchLayout(root, ['linux/amd64', 'linux/arm64'], 'lts')}:lts`, `docker://${open.host}/jenkins/jenkins:lts`, { all: true });
    await skopeoCopy(bb, `docker://${basic.host}/private/bb:1`, { destCreds: `${user.name}:${user.password}` });
  });
  afterAll(async () => {
    await Promise.all([open?.stop(), basic?.stop()]);
  });

  it('pulls an OCI image: layers verified into content, applied as snapshots, docker progress events', async () => {
    const { err, events, images, host } = await pull(source(), `${open.host}/library/busybox`);
    expect(err).toBeUndefined();
    const rec = (await images.find(`${open.host}/library/busybox:latest`))!;
    expect(rec.name).toBe(`${open.host}/library/busybox:latest`);
    expect(rec.architecture).toBe('386');
    const bundledIndex = JSON.parse(readFileSync(join(bundledLayout(root, 'busybox'), 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    expect(rec.manifest.digest).toBe(bundledIndex.manifests[0]!.digest);
    expect(rec.repoDigest).toBe(`${open.host}/library/busybox@${rec.manifest.digest}`);
    expect((await host.contentList()).map((c) => c.digest).sort()).toEqual([rec.manifest.digest, rec.config.digest, ...rec.layers.map((l) => l.digest)].sort());
    expect(await host.snapshotList()).toEqual(rec.chainIds);
    const id = rec.layers[0]!.digest.slice(7, 19);
    const statuses = events.flatMap((e) => (e.kind === 'layer' && e.status !== 'Downloading' ? [`${e.id}: ${e.status}`] : []));
    expect(statuses).toEqual([`${id}: Pulling fs layer`, `${id}: Verifying Checksum`, `${id}: Download complete`, `${id}: Pull complete`]);
    const progress = events.flatMap((e) => (e.kind === 'layer' && e.status === 'Downloading' ? [e] : []));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ current: rec.layers[0]!.size, total: rec.layers[0]!.size });
    expect(events.at(-1)).toEqual({ kind: 'done', digest: rec.manifest.digest, ref: `${open.host}/library/busybox:latest`, upToDate: false });
    // the second time nothing is fetched
    const again: PullEvent[] = [];
    await images.pull(source(), `${open.host}/library/busybox`, (e) => again.push(e));
    expect(again.at(-1)).toMatchObject({ upToDate: true });
  });

  it("pulls Docker's schema 2 media types, and by digest", async () => {
    const { err, images } = await pull(source(), `${open.host}/team/bb:v2s2`);
    expect(err).toBeUndefined();
    const rec = (await images.find(`${open.host}/team/bb:v2s2`))!;
    expect(rec.manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    const byDigest = await pull(source(), `${open.host}/team/bb@${rec.manifest.digest}`);
    expect(byDigest.err).toBeUndefined();
    expect((await byDigest.images.list()).map((r) => r.name)).toEqual([`${open.host}/team/bb@${rec.manifest.digest}`]);
  });

  it('picks linux/386 from an index, skipping the attestation, and records the index digest', async () => {
    const { err, images } = await pull(source(), `${open.host}/multi/both`);
    expect(err).toBeUndefined();
    const rec = (await images.list())[0]!;
    expect(rec.architecture).toBe('386');
    const index = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${open.host}/multi/both:latest`]);
    const { createHash } = await import('node:crypto');
    expect(rec.repoDigest).toBe(`${open.host}/multi/both@sha256:${createHash('sha256').update(index).digest('hex')}`);
  });

  it('says an amd64/arm64-only image has no linux/386 manifest, and which images run here; stores nothing', async () => {
    const { err, host } = await pull(source(), `${open.host}/jenkins/jenkins:lts`);
    expect(err?.message).toBe(
      "no matching manifest for linux/386 in the manifest list entries: the image is built for linux/amd64, linux/arm64; Dockyard's emulated CPU runs linux/386 images only (these run here: busybox, hello-world)",
    );
    expect(await empty(host)).toEqual(NOTHING);
  });

  it('says manifest unknown for an unknown tag, and for a repository distribution does not have (it says MANIFEST_UNKNOWN too)', async () => {
    expect((await pull(source(), `${open.host}/library/busybox:nope`)).err?.message).toBe(`manifest for ${open.host}/library/busybox:nope not found: manifest unknown`);
    expect((await pull(source(), `${open.host}/no/such`)).err?.message).toBe(`manifest for ${open.host}/no/such:latest not found: manifest unknown`);
  });

  it('uses basic auth: refused without a login, unauthorized with a wrong one, pulled with the right one', async () => {
    const ref = `${basic.host}/private/bb:1`;
    expect((await pull(source(), ref)).err?.message).toBe(`pull access denied for ${basic.host}/private/bb, repository does not exist or may require 'docker login'`);
    const wrong = await pull(source({ creds: { username: user.name, password: 'nope' } }), ref);
    expect(wrong.err?.message).toBe('unauthorized: authentication required');
    expect(await empty(wrong.host)).toEqual(NOTHING);
    const right = await pull(source({ creds: { username: user.name, password: user.password } }), ref);
    expect(right.err).toBeUndefined();
    expect((await right.images.list()).map((r) => r.name)).toEqual([`${ref}`]);
  });

  it('stops sending a login after logout, and sends the new one after another login (one client, as a session keeps it)', async () => {
    expect((await loggedOutPull(basic.host, `${basic.host}/private/bb:1`, { username: user.name, password: user.password })).map((r) => r.err)).toEqual([
      undefined,
      `pull access denied for ${basic.host}/private/bb, repository does not exist or may require 'docker login'`,
      'unauthorized: authentication required',
    ]);
  });

  it('checks a login as docker login does', async () => {
    const c = new DistributionClient({});
    await expect(c.login(basic.host, { username: user.name, password: user.password })).resolves.toBeUndefined();
    await expect(c.login(basic.host, { username: user.name, password: 'x' })).rejects.toThrow(`Get "http://${basic.host}/v2/": unauthorized: authentication required`);
    await expect(c.login(open.host, { username: 'anyone', password: 'x' })).resolves.toBeUndefined();
  });

  it('stops a pull when cancelled and keeps nothing of it', async () => {
    const ctl = new AbortController();
    const src = source();
    const { err, host } = await pull(
      {
        async resolve(ref, signal) {
          const r = await src.resolve(ref, signal);
          // cancelled as the first layer starts downloading
          return { ...r, blob: async (d, o) => (d.mediaType.includes('layer') && ctl.abort(), r.blob(d, o)) };
        },
      },
      `${open.host}/library/busybox`,
      ctl.signal,
    );
    expect(err?.message).toBe('context canceled');
    expect(await empty(host)).toEqual(NOTHING);
  });
});

/** A token server (the distribution token protocol) signing with a self-signed RSA certificate. */
async function tokenServer(o: { user: { name: string; password: string }; service: string; issuer: string; silent?: boolean }) {
  const dir = mkdtempSync(join(tmpdir(), 'dockyard-token-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=token', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const keyPem = readFileSync(join(dir, 'key.pem'), 'utf8');
  const certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
  const der = certPem.replace(/-----[^-]+-----|\s/g, '');
  const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');
  const requests: Array<{ scope: string | null; user: string | undefined }> = [];
  const server: Server = createServer((req, res) => {
    if (o.silent) return; // never answers
    const u = new URL(req.url ?? '/', 'http://x');
    const auth = req.headers.authorization;
    let who: string | undefined;
    if (auth?.startsWith('Basic ')) {
      const [name, password] = Buffer.from(auth.slice(6), 'base64').toString().split(':');
      if (name !== o.user.name || password !== o.user.password) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'incorrect username or password' }] }));
        return;
      }
      who = name;
    }
    // one parameter per scope, as the token protocol has it
    const scope = u.searchParams.getAll('scope').join(' ') || null;
    requests.push({ scope, user: who });
    // anonymous users may pull library/*; the user may do anything
    const access = (scope ?? '')
      .split(' ')
      .filter(Boolean)
      .map((s) => {
        const [type, name, actions] = s.split(':') as [string, string, string];
        const allowed = who ? actions.split(',') : name.startsWith('library/') ? actions.split(',').filter((a) => a === 'pull') : [];
        return { type, name, actions: allowed };
      });
    const now = Math.floor(Date.now() / 1000);
    const header = b64u(JSON.stringify({ alg: 'RS256', typ: 'JWT', x5c: [der] }));
    const claims = b64u(JSON.stringify({ iss: o.issuer, sub: who ?? '', aud: o.service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access }));
    const sig = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(keyPem);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ token: `${header}.${claims}.${b64u(sig)}`, expires_in: 300 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { realm: `http://127.0.0.1:${port}/token`, certPem, requests, close: () => new Promise<void>((r) => server.close(() => r())), server };
}

describe.skipIf(!HAVE_REGISTRY || !HAVE_OPENSSL)('pull with token auth', () => {
  const user = { name: 'bob', password: 'tok-pw' };
  let tokens: Awaited<ReturnType<typeof tokenServer>>;
  let reg: LocalRegistry;

  beforeAll(async () => {
    tokens = await tokenServer({ user, service: 'test-registry', issuer: 'test-issuer' });
    reg = await startRegistry({ token: { realm: tokens.realm, service: 'test-registry', issuer: 'test-issuer', certPem: tokens.certPem } });
    // skopeo is a client of the token flow as well
    const bb = `oci:${bundledLayout(root, 'busybox')}:latest`;
    await skopeoCopy(bb, `docker://${reg.host}/library/busybox:latest`, { destCreds: `${user.name}:${user.password}` });
    await skopeoCopy(bb, `docker://${reg.host}/bob/private:1`, { destCreds: `${user.name}:${user.password}` });
  });
  afterAll(async () => {
    tokens.server.closeAllConnections();
    await Promise.all([reg?.stop(), tokens?.close()]);
  });

  it('gets an anonymous token for a public repository', async () => {
    const { err, images } = await pull(source(), `${reg.host}/library/busybox`);
    expect(err).toBeUndefined();
    expect((await images.list()).length).toBe(1);
    expect(tokens.requests).toContainEqual({ scope: 'repository:library/busybox:pull', user: undefined });
  });

  it('gets a token with the login for a private one, and says pull access denied without it', async () => {
    expect((await pull(source(), `${reg.host}/bob/private:1`)).err?.message).toBe(`pull access denied for ${reg.host}/bob/private, repository does not exist or may require 'docker login'`);
    const bad = await pull(source({ creds: { username: user.name, password: 'wrong' } }), `${reg.host}/bob/private:1`);
    expect(bad.err?.message).toBe('unauthorized: incorrect username or password');
    const ok = await pull(source({ creds: { username: user.name, password: user.password } }), `${reg.host}/bob/private:1`);
    expect(ok.err).toBeUndefined();
    expect(tokens.requests).toContainEqual({ scope: 'repository:bob/private:pull', user: user.name });
  });

  it('asks for a new token after logout, and after another login, instead of reusing the old one', async () => {
    expect((await loggedOutPull(reg.host, `${reg.host}/bob/private:1`, { username: user.name, password: user.password })).map((r) => r.err)).toEqual([
      undefined,
      `pull access denied for ${reg.host}/bob/private, repository does not exist or may require 'docker login'`,
      'unauthorized: incorrect username or password',
    ]);
  });

  it('pushes with a token for two scopes, mounting from the repository it was pulled from', async () => {
    const creds = { username: user.name, password: user.password };
    const client = new DistributionClient({ credentials: () => creds });
    const images = new ImageStore(memoryStore());
    await images.pull(remoteSource(client), `${reg.host}/library/busybox`);
    await images.tag(`${reg.host}/library/busybox`, `${reg.host}/bob/copy:1`);
    const events: PushEvent[] = [];
    await push(images, client, `${reg.host}/bob/copy:1`, (e) => events.push(e));
    expect(events.some((e) => e.kind === 'layer' && e.status === 'Mounted from library/busybox')).toBe(true);
    expect(tokens.requests).toContainEqual({ scope: 'repository:bob/copy:pull,push repository:library/busybox:pull', user: user.name });
  });

  it('gives up on a token endpoint that never answers, storing nothing', async () => {
    const silent = await tokenServer({ user, service: 'test-registry', issuer: 'test-issuer', silent: true });
    const reg2 = await startRegistry({ token: { realm: silent.realm, service: 'test-registry', issuer: 'test-issuer', certPem: silent.certPem } });
    try {
      const { err, host } = await pull(source({ authTimeoutMs: 1500 }), `${reg2.host}/library/busybox`);
      expect(err?.message).toBe(`Get "${silent.realm}?service=test-registry&scope=repository%3Alibrary%2Fbusybox%3Apull": the token endpoint did not answer within 1.5s`);
      expect(await empty(host)).toEqual(NOTHING);
    } finally {
      silent.server.closeAllConnections();
      await Promise.all([reg2.stop(), silent.close()]);
    }
  });
});

describe('credentials in memory (the page)', () => {
  it('are kept per registry and forgotten on logout', async () => {
    const c = memoryCredentials();
    await c.set('localhost:5000', { username: 'u', password: 'p' });
    expect(await c.get('localhost:5000')).toEqual({ username: 'u', password: 'p' });
    expect(await c.get('docker.io')).toBeUndefined();
    expect(await c.remove('localhost:5000')).toBe(true);
    expect(await c.remove('localhost:5000')).toBe(false);
    expect(parseReference('registry-1.docker.io/library/busybox').domain).toBe('registry-1.docker.io');
  });
});
