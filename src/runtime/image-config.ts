// The Dockerfile instructions that only change an image's config (CMD,
// ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL, SHELL,
// HEALTHCHECK, ONBUILD, MAINTAINER), applied as BuildKit applies them; also
// what `docker commit -c` takes.
import type { ImageConfig } from '../common/oci/types.js';
import { duration, expand, flag, pairs, words, DockerfileError, type Raw } from './dockerfile.js';

export type RunConfig = NonNullable<ImageConfig['config']>;

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** What applying instructions needs and tracks within one stage. */
export interface ConfigState {
  config: RunConfig;
  /** variables for substitution: the stage's ARGs and ENVs */
  vars: Map<string, string>;
  escape: string;
  /** CMD was set in this stage (ENTRYPOINT then keeps it) */
  cmdSet: boolean;
  author?: string;
}

/** The env list as a map (first `=` splits). */
export function envMap(env: readonly string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of env ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) m.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  return m;
}

/** A command in exec form, or the shell form run by the stage's SHELL. */
export function commandOf(r: Raw, shell: readonly string[]): string[] {
  return r.json ?? [...shell, r.rest];
}

/** A path joined onto the working directory, cleaned (`..` clamped at /). */
export function resolvePath(base: string, p: string): string {
  const parts: string[] = [];
  for (const c of (p.startsWith('/') ? p : `${base}/${p}`).split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') parts.pop();
    else parts.push(c);
  }
  return `/${parts.join('/')}`;
}

/** Applies one config-only instruction; false if `r` is not one. */
export function applyConfig(st: ConfigState, r: Raw): boolean {
  const c = st.config;
  const x = (s: string) => expand(s, st.vars, st.escape, r.line);
  switch (r.keyword) {
    case 'CMD':
      c.Cmd = commandOf(r, c.Shell ?? DEFAULT_SHELL);
      st.cmdSet = true;
      return true;
    case 'ENTRYPOINT':
      c.Entrypoint = r.json ?? (r.rest === '' ? null : [...(c.Shell ?? DEFAULT_SHELL), r.rest]);
      if (!st.cmdSet) c.Cmd = null;
      return true;
    case 'ENV': {
      const env = envMap(c.Env);
      for (const [k, v] of pairs(r, st.escape, true)) {
        const val = x(v ?? '');
        env.set(x(k), val);
        st.vars.set(x(k), val);
      }
      c.Env = [...env].map(([k, v]) => `${k}=${v}`);
      return true;
    }
    case 'LABEL':
      c.Labels = { ...(c.Labels ?? {}) };
      for (const [k, v] of pairs(r, st.escape, true)) c.Labels[x(k)] = x(v ?? '');
      return true;
    case 'EXPOSE':
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const p of words(x(r.rest), st.escape)) {
        const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
        if (!m) throw new DockerfileError(`invalid containerPort: ${p}`, r.line);
        const proto = (m[3] ?? 'tcp').toLowerCase();
        for (let n = Number(m[1]); n <= Number(m[2] ?? m[1]); n++) c.ExposedPorts[`${n}/${proto}`] = {};
      }
      return true;
    case 'USER':
      c.User = x(r.rest);
      return true;
    case 'VOLUME':
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const v of r.json ?? words(x(r.rest), st.escape)) {
        if (v.trim() === '') throw new DockerfileError('VOLUME specified can not be an empty string', r.line);
        c.Volumes[v] = {};
      }
      return true;
    case 'WORKDIR':
      c.WorkingDir = resolvePath(c.WorkingDir || '/', x(r.rest));
      return true;
    case 'STOPSIGNAL':
      c.StopSignal = x(r.rest);
      return true;
    case 'SHELL':
      c.Shell = r.json!;
      return true;
    case 'HEALTHCHECK': {
      const w = words(r.rest, st.escape);
      if (w[0]!.toUpperCase() === 'NONE') {
        c.Healthcheck = { Test: ['NONE'] };
        return true;
      }
      const cmdText = r.rest.replace(/^\S+\s*/, '');
      const json = cmdText.startsWith('[') ? tryJson(cmdText) : undefined;
      const hc: NonNullable<RunConfig['Healthcheck']> = { Test: json ? ['CMD', ...json] : ['CMD-SHELL', cmdText] };
      for (const [name, key] of [['interval', 'Interval'], ['timeout', 'Timeout'], ['start-period', 'StartPeriod'], ['start-interval', 'StartInterval']] as const) {
        const v = flag(r, name);
        if (v !== undefined) hc[key] = duration(v, r, name);
      }
      const retries = flag(r, 'retries');
      if (retries !== undefined) {
        if (!/^\d+$/.test(retries)) throw new DockerfileError(`strconv.ParseInt: parsing "${retries}": invalid syntax`, r.line);
        hc.Retries = Number(retries);
      }
      c.Healthcheck = hc;
      return true;
    }
    case 'ONBUILD':
      c.OnBuild = [...(c.OnBuild ?? []), r.rest.replace(/^(\S+)/, (k) => k.toUpperCase())];
      return true;
    case 'MAINTAINER':
      st.author = r.rest;
      return true;
    default:
      return false;
  }
}

function tryJson(s: string): string[] | undefined {
  try {
    const v = JSON.parse(s) as unknown;
    return Array.isArray(v) && v.every((e) => typeof e === 'string') ? (v as string[]) : undefined;
  } catch {
    return undefined;
  }
}

/** BuildKit's `created_by` for a step that makes a layer (COPY, ADD): `KEYWORD args # buildkit`. */
export function createdBy(r: Raw): string {
  return `${r.text} # buildkit`;
}
