// Image references parsed and normalised Docker's way (distribution/reference):
// `busybox` = `busybox:latest` = `docker.io/library/busybox:latest`.

export interface Reference {
  /** registry host, e.g. docker.io */
  domain: string;
  /** repository path, e.g. library/busybox */
  path: string;
  tag?: string;
  digest?: string;
}

export class InvalidReferenceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidReferenceError';
  }
}

export const DEFAULT_DOMAIN = 'docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
export const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function parseReference(input: string): Reference {
  const fail = (why?: string): never => {
    throw new InvalidReferenceError(why ? `invalid reference format: ${why}` : 'invalid reference format');
  };
  if (input.length === 0 || input.length > 255 + 128 + 72) fail();
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail();
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail();
  }
  let domain = DEFAULT_DOMAIN;
  let path = rest;
  const firstSlash = rest.indexOf('/');
  if (firstSlash >= 0) {
    const first = rest.slice(0, firstSlash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      domain = first;
      path = rest.slice(firstSlash + 1);
      if (!/^[a-zA-Z0-9.-]+(:\d+)?$/.test(domain)) fail();
    }
  }
  if (domain === 'index.docker.io') domain = DEFAULT_DOMAIN;
  if (path !== path.toLowerCase()) fail(`repository name (${path}) must be lowercase`);
  const parts = path.split('/');
  if (parts.some((p) => !COMPONENT.test(p))) fail();
  if (domain === DEFAULT_DOMAIN && parts.length === 1) path = `library/${path}`;
  if (path.length > 255) fail('repository name must not be more than 255 characters');
  if (tag === undefined && digest === undefined) tag = 'latest';
  return { domain, path, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The short name Docker prints: `busybox`, `user/app`, `example.com/x`; `library/a/b` stays (`a/b` is another repository). */
export function familiarName(r: Reference): string {
  if (r.domain !== DEFAULT_DOMAIN) return `${r.domain}/${r.path}`;
  const official = /^library\/([^/]+)$/.exec(r.path);
  return official ? official[1]! : r.path;
}

/** `busybox:latest`, `busybox@sha256:…`, `busybox:1@sha256:…` */
export function familiarString(r: Reference): string {
  return familiarName(r) + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest !== undefined ? `@${r.digest}` : '');
}

/** familiarString of a stored image name, or the name as it is if it does not parse. */
export function familiarNameOf(name: string): string {
  try {
    return familiarString(parseReference(name));
  } catch {
    return name;
  }
}

/** Fully qualified: `docker.io/library/busybox:latest`. */
export function canonicalString(r: Reference): string {
  return `${r.domain}/${r.path}` + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest !== undefined ? `@${r.digest}` : '');
}
