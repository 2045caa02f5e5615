// Registry logins, kept as docker keeps them: config.json's `auths`, one entry
// per registry, `auth` = base64("user:password"), Docker Hub under its
// historical key. The CLI keeps them in a file; the page for the session only.
import { DEFAULT_DOMAIN } from '../common/oci/reference.js';
import type { Credentials } from './distribution.js';

export interface CredentialStore {
  get(domain: string): Promise<Credentials | undefined>;
  set(domain: string, c: Credentials): Promise<void>;
  /** false when there was no login for it */
  remove(domain: string): Promise<boolean>;
  /** the file logins are written to (none: kept in memory) */
  readonly where?: string;
}

/** Docker Hub's key in `auths` (what `docker login` writes for it). */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/';

/** The `auths` key docker uses for a registry. */
export function authsKey(domain: string): string {
  return domain === DEFAULT_DOMAIN ? DOCKER_HUB_AUTH_KEY : domain;
}

/** The registry an `auths` key names (`https://index.docker.io/v1/`, `http://host:5000`, `host:5000`). */
export function domainOfKey(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//, '').replace(/\/.*$/, '');
  return host === 'index.docker.io' || host === 'registry-1.docker.io' || host === 'docker.io' ? DEFAULT_DOMAIN : host;
}

/** base64 of UTF-8, as docker writes `auth`. */
function b64(s: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(s)) bin += String.fromCharCode(b);
  return btoa(bin);
}

function unb64(s: string): string {
  const bin = atob(s);
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

export interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string }>;
  [k: string]: unknown;
}

/** A login from a config's `auths` for `domain`, if it has one. */
export function fromConfig(cfg: DockerConfig, domain: string): Credentials | undefined {
  for (const [key, v] of Object.entries(cfg.auths ?? {})) {
    if (domainOfKey(key) !== domain) continue;
    if (v.auth) {
      const s = unb64(v.auth);
      const i = s.indexOf(':');
      if (i > 0) return { username: s.slice(0, i), password: s.slice(i + 1) };
    }
    if (v.username && v.password) return { username: v.username, password: v.password };
  }
  return undefined;
}

/** `cfg` with the login for `domain` set (or removed, with undefined). */
export function withLogin(cfg: DockerConfig, domain: string, c: Credentials | undefined): DockerConfig {
  const auths = Object.fromEntries(Object.entries(cfg.auths ?? {}).filter(([k]) => domainOfKey(k) !== domain));
  if (c) auths[authsKey(domain)] = { auth: b64(`${c.username}:${c.password}`) };
  return { ...cfg, auths };
}

/** Logins for as long as the page lives. */
export function memoryCredentials(): CredentialStore {
  const m = new Map<string, Credentials>();
  return {
    get: async (d) => m.get(d),
    set: async (d, c) => void m.set(d, c),
    remove: async (d) => m.delete(d),
  };
}
