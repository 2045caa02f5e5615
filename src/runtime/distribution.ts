// A client of the distribution API v2 (Docker Hub, ghcr.io, quay.io, Debian's
// docker-registry) on the platform's fetch, so the same code pulls and pushes
// from the CLI under Node and from the page. It speaks HTTP and auth only:
// what it returns is checked by the caller (digests, sizes, documents).
import { sha256Hex } from '../common/manifest.js';
import { DEFAULT_DOMAIN, DIGEST, familiarName, familiarString, type Reference } from '../common/oci/reference.js';
import { INDEX_TYPES, MANIFEST_TYPES, type Descriptor } from '../common/oci/types.js';
import { checkBlobSize, ImageError, MAX_DOCUMENT } from '../common/oci/verify.js';
import { DockerError } from './errors.js';

export interface Credentials {
  username: string;
  password: string;
}

export type FetchFn = (url: string, init?: RequestInit) => Promise<Response>;

export interface RegistryOptions {
  fetch?: FetchFn;
  /** The user's login for a registry host (`docker.io`, `localhost:5000`). */
  credentials?: (domain: string) => Credentials | undefined | Promise<Credentials | undefined>;
  /** Hosts reached over plain HTTP besides localhost and 127.0.0.0/8 (docker's insecure-registries). */
  insecure?: readonly string[];
  /**
   * Base URLs that stand in for a registry (a pull-through cache; the page's
   * registryProxy): `{ 'docker.io': 'https://mirror.example/' }`.
   */
  mirrors?: Readonly<Record<string, string>>;
  /** How long the token endpoint may take to answer (ms). */
  authTimeoutMs?: number;
  /** Running in a page: an unreachable registry is most often one without CORS headers. */
  page?: boolean;
  /** Docker Hub's index, for docker search */
  indexUrl?: string;
}

/** One result of Docker Hub's search. */
export interface SearchResult {
  name: string;
  description: string;
  stars: number;
  official: boolean;
}

/** The registry could not be reached at all (network, TLS, CORS, a redirect loop). */
export class UnreachableError extends DockerError {
  constructor(message: string) {
    super(message);
    this.name = 'UnreachableError';
  }
}

/** The registry has no such repository, or no such tag in it. */
export class NotFoundError extends DockerError {
  constructor(message: string) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** Docker Hub's registry host for `docker.io/…` names. */
export const DOCKER_HUB_REGISTRY = 'registry-1.docker.io';

const MANIFEST_ACCEPT = [...MANIFEST_TYPES, ...INDEX_TYPES].join(', ');

/** Hosts Docker reaches over plain HTTP without being told: localhost and 127.0.0.0/8. */
export function isLoopback(domain: string): boolean {
  const host = domain.replace(/:\d+$/, '');
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

interface Challenge {
  scheme: 'bearer' | 'basic';
  params: Record<string, string>;
}

/** `Bearer realm="…",service="…",scope="…"` → its scheme and parameters. */
export function parseChallenge(header: string | null): Challenge | undefined {
  if (!header) return undefined;
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'basic') return undefined;
  const params: Record<string, string> = {};
  for (const p of m[2]!.matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  }
  return { scheme, params };
}

/** The registry's error document: `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"…"}]}`. */
async function errorOf(res: Response): Promise<{ code: string; message: string } | undefined> {
  try {
    const text = await res.text();
    const v = JSON.parse(text.slice(0, 64 * 1024)) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    const e = v.errors?.[0];
    if (e && typeof e.code === 'string') return { code: e.code, message: typeof e.message === 'string' ? e.message : '' };
  } catch {
    // not JSON: the status says it
  }
  return undefined;
}

/** `Basic base64(user:password)`, the UTF-8 bytes encoded (btoa alone takes Latin-1 only). */
function basicAuth(c: Credentials): string {
  let bin = '';
  for (const b of new TextEncoder().encode(`${c.username}:${c.password}`)) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}

function verb(method: string): string {
  return method.charAt(0) + method.slice(1).toLowerCase();
}

/** Node's fetch hides the reason in `cause`; say it as Go's net package does, as docker prints it. */
function networkReason(e: unknown, page: boolean): string {
  const cause = (e as { cause?: { code?: string; message?: string; hostname?: string; address?: string; port?: number } }).cause;
  if (cause?.code === 'ECONNREFUSED') return `dial tcp ${cause.address ?? ''}:${cause.port ?? ''}: connect: connection refused`;
  if (cause?.code === 'ENOTFOUND' || cause?.code === 'EAI_AGAIN') return `dial tcp: lookup ${cause.hostname ?? ''}: no such host`;
  if (cause?.message && /redirect count exceeded/.test(cause.message)) return 'stopped after 20 redirects';
  if (cause?.message) return cause.message;
  const msg = e instanceof Error ? e.message : String(e);
  if (page) {
    return (
      `${msg}: the registry could not be read from this page — it is down, or (most often) it sends no CORS headers, ` +
      'which a page needs to read another origin, or it refuses the preflight (OPTIONS) request a browser makes first, ' +
      'as a registry with auth often does; use a registry proxy (the registryProxy option) or the bundled images'
    );
  }
  return msg;
}

/** Reads a body of at most `limit` bytes; `tooBig` is thrown as soon as more arrive. */
async function readLimited(res: Response, limit: number, tooBig: () => Error, onProgress?: (n: number) => void): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > limit) {
    await res.body?.getReader().cancel().catch(() => {});
    throw tooBig();
  }
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > limit) {
      await reader.cancel().catch(() => {});
      throw tooBig();
    }
    chunks.push(value);
    onProgress?.(n);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** The registry whose login a domain uses: registry-1.docker.io/… names Docker Hub too, whose login is docker.io's. */
function loginDomain(domain: string): string {
  return domain === DOCKER_HUB_REGISTRY || domain === 'index.docker.io' ? DEFAULT_DOMAIN : domain;
}

export class DistributionClient {
  private readonly f: FetchFn;
  /** Authorization header per `domain scope` (bearer tokens) or per domain (basic); forget() drops a registry's. */
  private readonly auth = new Map<string, string>();

  constructor(private readonly o: RegistryOptions = {}) {
    this.f = o.fetch ?? ((url, init) => fetch(url, init));
  }

  /** Where a registry's API is: a mirror, Docker Hub's registry host, https, or http where allowed. */
  base(domain: string): string {
    const mirror = this.o.mirrors?.[domain];
    if (mirror) return mirror.replace(/\/+$/, '');
    if (domain === DEFAULT_DOMAIN) return `https://${DOCKER_HUB_REGISTRY}`;
    const plain = isLoopback(domain) || (this.o.insecure ?? []).includes(domain);
    return `${plain ? 'http' : 'https'}://${domain}`;
  }

  private async creds(domain: string): Promise<Credentials | undefined> {
    return this.o.credentials?.(loginDomain(domain));
  }

  /** Drops the auth made from `domain`'s login: after a logout or another login it is not sent again. */
  forget(domain: string): void {
    for (const key of [...this.auth.keys()]) if (loginDomain(key.split(' ')[0]!) === loginDomain(domain)) this.auth.delete(key);
  }

  private async send(url: string, init: RequestInit): Promise<Response> {
    try {
      return await this.f(url, init);
    } catch (e) {
      if (init.signal?.aborted) throw new DockerError('context canceled');
      throw new UnreachableError(`${verb(init.method ?? 'GET')} "${url}": ${networkReason(e, this.o.page === true)}`);
    }
  }

  /**
   * One request to the registry, answering its auth challenge once: a bearer
   * token from its token endpoint (anonymous, or with the user's login) or
   * the login as basic auth. A 401 that remains is returned to the caller.
   */
  async request(domain: string, path: string, init: RequestInit, scope: string, signal?: AbortSignal): Promise<Response> {
    // an upload's Location may be a whole URL (another host: a registry's storage front)
    const url = /^https?:\/\//.test(path) ? path : `${this.base(domain)}${path}`;
    const key = `${domain} ${scope}`;
    const withAuth = (h: string | undefined): RequestInit => ({
      ...init,
      headers: { ...init.headers, ...(h ? { Authorization: h } : {}) },
      ...(signal ? { signal } : {}),
    });
    const known = this.auth.get(key) ?? this.auth.get(domain);
    const res = await this.send(url, withAuth(known));
    if (res.status !== 401) return res;
    const challenge = parseChallenge(res.headers.get('www-authenticate'));
    if (!challenge) return res;
    const creds = await this.creds(domain);
    let header: string | undefined;
    if (challenge.scheme === 'basic') {
      if (!creds) return res;
      header = basicAuth(creds);
      this.auth.set(domain, header);
    } else {
      header = `Bearer ${await this.token(challenge, scope, creds, signal)}`;
      this.auth.set(key, header);
    }
    await res.body?.getReader().cancel().catch(() => {});
    return this.send(url, withAuth(header));
  }

  /** A bearer token for `scope` from the challenge's realm, within authTimeoutMs. */
  private async token(c: Challenge, scope: string, creds: Credentials | undefined, signal?: AbortSignal): Promise<string> {
    const realm = c.params.realm;
    if (!realm) throw new DockerError('the registry asked for a bearer token but named no token endpoint (realm)');
    const u = new URL(realm);
    if (c.params.service) u.searchParams.set('service', c.params.service);
    // one scope parameter per scope, as the token protocol has it (a push that mounts asks for two)
    for (const one of scope.split(' ').filter(Boolean)) u.searchParams.append('scope', one);
    const ctl = new AbortController();
    const timeoutMs = this.o.authTimeoutMs ?? 30_000;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, timeoutMs);
    const onAbort = () => ctl.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const headers: Record<string, string> = creds ? { Authorization: basicAuth(creds) } : {};
      const res = await this.send(u.href, { headers, signal: ctl.signal });
      if (res.status === 401 || res.status === 403) {
        const e = await errorOf(res);
        throw new DockerError(`unauthorized: ${e?.message || (creds ? 'incorrect username or password' : 'authentication required')}`);
      }
      if (!res.ok) throw new DockerError(`Get "${u.href}": token endpoint answered ${res.status} ${res.statusText}`);
      const body = await readLimited(res, 1024 * 1024, () => new DockerError(`Get "${u.href}": token response too large`));
      const v = JSON.parse(new TextDecoder().decode(body)) as { token?: unknown; access_token?: unknown };
      const t = typeof v.token === 'string' ? v.token : typeof v.access_token === 'string' ? v.access_token : undefined;
      if (!t) throw new DockerError(`Get "${u.href}": the token endpoint sent no token`);
      return t;
    } catch (e) {
      if (timedOut) throw new UnreachableError(`Get "${u.href}": the token endpoint did not answer within ${timeoutMs / 1000}s`);
      if (e instanceof SyntaxError) throw new DockerError(`Get "${u.href}": the token endpoint sent no JSON`);
      throw e;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Why a pull of `ref` failed, in docker's words. */
  private async pullError(res: Response, ref: Reference, what: string): Promise<DockerError> {
    const e = await errorOf(res);
    const name = familiarName(ref);
    if (res.status === 401 || res.status === 403) {
      if (await this.creds(ref.domain)) return new DockerError(`unauthorized: ${e?.message || 'authentication required'}`);
      return new NotFoundError(`pull access denied for ${name}, repository does not exist or may require 'docker login'`);
    }
    if (res.status === 404) {
      if (e?.code === 'NAME_UNKNOWN') return new NotFoundError(`pull access denied for ${name}, repository does not exist or may require 'docker login'`);
      return new NotFoundError(`manifest for ${what} not found: manifest unknown`);
    }
    return new DockerError(`${e ? `${e.code.toLowerCase()}: ${e.message}` : `unexpected status ${res.status} ${res.statusText}`} (${res.url || this.base(ref.domain)})`);
  }

  /**
   * The manifest or index `ref` names (its tag or digest), at most
   * MAX_DOCUMENT bytes, with the descriptor that names it: its digest is
   * what its bytes hash to, and must be the digest asked for or announced.
   */
  async manifest(ref: Reference, signal?: AbortSignal, reference = ref.digest ?? ref.tag ?? 'latest'): Promise<{ desc: Descriptor; bytes: Uint8Array }> {
    const res = await this.request(ref.domain, `/v2/${ref.path}/manifests/${reference}`, { headers: { Accept: MANIFEST_ACCEPT } }, `repository:${ref.path}:pull`, signal);
    const what = familiarString({ ...ref, ...(DIGEST.test(reference) ? { digest: reference, tag: undefined } : { tag: reference, digest: undefined }) });
    if (!res.ok) throw await this.pullError(res, ref, what);
    const bytes = await readLimited(res, MAX_DOCUMENT, () => new ImageError(`manifest for ${what} is larger than the ${MAX_DOCUMENT} bytes allowed`));
    const digest = `sha256:${await sha256Hex(bytes)}`;
    if (DIGEST.test(reference) && digest !== reference) throw new ImageError(`manifest ${reference}: content hashes to ${digest}`);
    const announced = res.headers.get('docker-content-digest');
    if (announced && announced.startsWith('sha256:') && announced !== digest) {
      throw new ImageError(`manifest for ${what}: the registry says ${announced}, its content hashes to ${digest}`);
    }
    let mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    try {
      const v = JSON.parse(new TextDecoder().decode(bytes)) as { mediaType?: unknown };
      if (typeof v.mediaType === 'string') mediaType = v.mediaType;
    } catch {
      // parseIndexOrManifest says what is wrong with it
    }
    return { desc: { mediaType, digest, size: bytes.length }, bytes };
  }

  /**
   * A blob of `ref`'s repository, following redirects (to a CDN, as Docker
   * Hub's are), refused as soon as it runs past its descriptor's size.
   */
  async blob(ref: Reference, desc: Descriptor, o: { signal?: AbortSignal; onProgress?: (n: number) => void } = {}): Promise<Uint8Array> {
    const res = await this.request(ref.domain, `/v2/${ref.path}/blobs/${desc.digest}`, {}, `repository:${ref.path}:pull`, o.signal);
    if (!res.ok) {
      const e = await errorOf(res);
      if (res.status === 401 || res.status === 403) throw new DockerError(`unauthorized: ${e?.message || 'authentication required'}`);
      throw new ImageError(`blob ${desc.digest} of ${familiarName(ref)}: ${e ? `${e.code.toLowerCase()}: ${e.message}` : `${res.status} ${res.statusText}`}`);
    }
    const tooBig = () => new ImageError(`blob ${desc.digest}: the registry sent more than the descriptor's ${desc.size} bytes`);
    const bytes = await readLimited(res, desc.size, tooBig, o.onProgress);
    checkBlobSize(desc, bytes);
    return bytes;
  }

  /** `docker login`: the login works (or the registry asks for none). */
  async login(domain: string, creds: Credentials): Promise<void> {
    const probe = new DistributionClient({ ...this.o, credentials: () => creds });
    const res = await probe.request(domain, '/v2/', {}, '');
    if (res.status === 401 || res.status === 403) {
      const e = await errorOf(res);
      throw new DockerError(`Get "${this.base(domain)}/v2/": unauthorized: ${e?.message || 'incorrect username or password'}`);
    }
    await res.body?.getReader().cancel().catch(() => {});
  }

  /** docker search: Docker Hub's index (`/v1/search`). */
  async search(term: string, limit: number, signal?: AbortSignal): Promise<SearchResult[]> {
    const base = (this.o.indexUrl ?? 'https://index.docker.io').replace(/\/+$/, '');
    const url = `${base}/v1/search?q=${encodeURIComponent(term)}&n=${limit}`;
    const res = await this.send(url, signal ? { signal } : {});
    if (!res.ok) throw new DockerError(`Get "${url}": unexpected status ${res.status} ${res.statusText}`);
    const body = await readLimited(res, MAX_DOCUMENT, () => new DockerError(`Get "${url}": response too large`));
    let v: { results?: unknown };
    try {
      v = JSON.parse(new TextDecoder().decode(body)) as { results?: unknown };
    } catch {
      throw new DockerError(`Get "${url}": not a search result`);
    }
    if (!Array.isArray(v.results)) throw new DockerError(`Get "${url}": not a search result`);
    return v.results.flatMap((r: Record<string, unknown>) =>
      typeof r.name === 'string'
        ? [{ name: r.name, description: typeof r.description === 'string' ? r.description : '', stars: typeof r.star_count === 'number' ? r.star_count : 0, official: r.is_official === true }]
        : [],
    );
  }

  // --- push

  private pushScope(ref: Reference): string {
    return `repository:${ref.path}:pull,push`;
  }

  private async pushError(res: Response, what: string): Promise<DockerError> {
    const e = await errorOf(res);
    if (res.status === 401 || res.status === 403) return new DockerError(e?.code === 'DENIED' ? `denied: ${e.message}` : `unauthorized: ${e?.message || 'authentication required'}`);
    return new DockerError(`${what}: ${e ? `${e.code.toLowerCase()}: ${e.message}` : `${res.status} ${res.statusText}`}`);
  }

  /** Whether the repository has the blob already. */
  async hasBlob(ref: Reference, digest: string, signal?: AbortSignal): Promise<boolean> {
    const res = await this.request(ref.domain, `/v2/${ref.path}/blobs/${digest}`, { method: 'HEAD' }, this.pushScope(ref), signal);
    if (res.status === 404) return false;
    if (res.ok) return true;
    throw await this.pushError(res, `blob ${digest}`);
  }

  /**
   * Puts a blob into the repository: mounted from `from` (a repository of the
   * same registry that has it) when the registry allows, else uploaded in
   * one PUT. Returns how it got there.
   */
  async putBlob(ref: Reference, digest: string, bytes: () => Promise<Uint8Array>, from?: string, signal?: AbortSignal): Promise<'mounted' | 'pushed'> {
    const scope = from && from !== ref.path ? `${this.pushScope(ref)} repository:${from}:pull` : this.pushScope(ref);
    const q = from && from !== ref.path ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}` : '';
    const start = await this.request(ref.domain, `/v2/${ref.path}/blobs/uploads/${q}`, { method: 'POST' }, scope, signal);
    if (start.status === 201) return 'mounted';
    if (start.status !== 202) throw await this.pushError(start, `blob upload ${digest}`);
    const location = start.headers.get('location');
    if (!location) throw new DockerError(`blob upload ${digest}: the registry gave no upload location`);
    const u = new URL(location, `${this.base(ref.domain)}/`);
    u.searchParams.set('digest', digest);
    const body = await bytes();
    const put = await this.request(
      ref.domain,
      u.href,
      { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body: body as Uint8Array<ArrayBuffer> },
      scope,
      signal,
    );
    if (put.status !== 201) throw await this.pushError(put, `blob upload ${digest}`);
    return 'pushed';
  }

  /** Puts a manifest under a tag; returns the digest the registry gives it. */
  async putManifest(ref: Reference, tag: string, mediaType: string, bytes: Uint8Array, signal?: AbortSignal): Promise<string> {
    const res = await this.request(
      ref.domain,
      `/v2/${ref.path}/manifests/${tag}`,
      { method: 'PUT', headers: { 'Content-Type': mediaType }, body: bytes as Uint8Array<ArrayBuffer> },
      this.pushScope(ref),
      signal,
    );
    if (res.status !== 201) throw await this.pushError(res, `manifest ${tag}`);
    return res.headers.get('docker-content-digest') ?? `sha256:${await sha256Hex(bytes)}`;
  }
}
