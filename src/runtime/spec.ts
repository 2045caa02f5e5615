// Turns `docker run` options and an image's config into the process spec the
// guest runs, with Docker's rules for entrypoint/cmd, env, user and workdir.
import type { ImageRecord } from './images.js';
import { DockerError } from './errors.js';

export interface MountSpec {
  type: 'volume' | 'bind' | 'tmpfs';
  source: string;
  target: string;
  readonly: boolean;
  /** tmpfs only: mount flags and data, Docker's defaults filled in */
  tmpfs?: TmpfsOptions;
}

export interface TmpfsOptions {
  noexec: boolean;
  nosuid: boolean;
  nodev: boolean;
  /** tmpfs data, as the kernel takes it: size (bytes, k/m/g or %), mode (octal), uid, gid, nr_inodes */
  data: [key: TmpfsDataKey, value: string][];
}

export type TmpfsDataKey = 'size' | 'mode' | 'uid' | 'gid' | 'nr_inodes';
const TMPFS_DATA: Record<TmpfsDataKey, RegExp> = {
  size: /^\d+[kmg%]?$/i,
  mode: /^[0-7]{1,4}$/,
  uid: /^\d+$/,
  gid: /^\d+$/,
  nr_inodes: /^\d+[kmg]?$/i,
};

export interface ProcessSpec {
  args: string[];
  env: string[];
  cwd: string;
  user: string;
  hostname: string;
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Entrypoint + Cmd, Docker's way: --entrypoint resets the image's Cmd. */
export function mergeArgs(image: ImageRecord['runConfig'], cmd: readonly string[], entrypoint?: string): string[] {
  if (entrypoint !== undefined) return [...(entrypoint === '' ? [] : [entrypoint]), ...cmd];
  const ep = image.Entrypoint ?? [];
  return [...ep, ...(cmd.length > 0 ? cmd : (image.Cmd ?? []))];
}

/** Image env, then -e/--env-file (later wins per key); PATH, HOSTNAME and TERM as Docker adds them. */
export function mergeEnv(imageEnv: readonly string[], userEnv: readonly string[], hostname: string, tty: boolean, hostEnv: Record<string, string | undefined> = {}): string[] {
  const m = new Map<string, string>();
  const put = (kv: string) => {
    const eq = kv.indexOf('=');
    if (eq === 0) throw new DockerError(`invalid environment variable: ${kv}`);
    if (eq < 0) {
      // `-e NAME` passes the client's value, or nothing when it has none
      const v = hostEnv[kv];
      if (v !== undefined) m.set(kv, v);
      return;
    }
    m.set(kv.slice(0, eq), kv.slice(eq + 1));
  };
  imageEnv.forEach(put);
  userEnv.forEach(put);
  if (!m.has('PATH')) m.set('PATH', DEFAULT_PATH);
  const out = [...m].map(([k, v]) => `${k}=${v}`);
  return [`HOSTNAME=${hostname}`, ...out.filter((e) => !e.startsWith('HOSTNAME=')), ...(tty && !m.has('TERM') ? ['TERM=xterm'] : [])];
}

/** Parses an --env-file's text: KEY=VALUE lines, # comments and blank lines skipped. */
export function parseEnvFile(text: string, name: string): string[] {
  const out: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) continue;
    if (/\s/.test(line.split('=')[0]!)) throw new DockerError(`poorly formatted environment: variable '${line.split('=')[0]}' contains whitespaces (${name}:${i + 1})`);
    out.push(line);
  }
  return out;
}

/** `-v` forms: NAME:/path[:ro|rw], /vm/path:/path[:ro|rw]. */
export function parseVolume(v: string): MountSpec {
  const parts = v.split(':');
  if (parts.length < 2 || parts.length > 3 || parts[0] === '' || parts[1] === '') {
    throw new DockerError(`invalid spec: ${v}: ${parts.length < 2 ? 'anonymous volumes are not supported; name the volume (NAME:/path)' : 'too many colons'}`);
  }
  const [source, target, mode = 'rw'] = parts as [string, string, string?];
  if (!target.startsWith('/')) throw new DockerError(`invalid mount config for type "volume": invalid mount path: '${target}' mount path must be absolute`);
  if (mode !== 'ro' && mode !== 'rw') throw new DockerError(`invalid mode: ${mode}`);
  if (source.startsWith('/')) return { type: 'bind', source, target, readonly: mode === 'ro' };
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(source)) {
    throw new DockerError(`create ${source}: "${source}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  return { type: 'volume', source, target, readonly: mode === 'ro' };
}

/**
 * `--tmpfs PATH[:OPTIONS]`: Docker's defaults `noexec,nosuid,nodev` (and the
 * kernel's mode 1777, no size limit but the VM's memory), then the options in
 * order, later winning: `ro`/`rw`, `exec`/`noexec`, `suid`/`nosuid`,
 * `dev`/`nodev`, and the tmpfs data `size=`, `mode=`, `uid=`, `gid=`,
 * `nr_inodes=`. Anything else is refused as moby's ParseTmpfsOptions does.
 */
export function parseTmpfs(t: string): MountSpec {
  const colon = t.indexOf(':');
  const target = colon < 0 ? t : t.slice(0, colon);
  if (!target.startsWith('/')) throw new DockerError(`invalid mount path: '${target}' mount path must be absolute`);
  const o: TmpfsOptions = { noexec: true, nosuid: true, nodev: true, data: [] };
  let readonly = false;
  const flags: Record<string, () => void> = {
    ro: () => (readonly = true),
    rw: () => (readonly = false),
    exec: () => (o.noexec = false),
    noexec: () => (o.noexec = true),
    suid: () => (o.nosuid = false),
    nosuid: () => (o.nosuid = true),
    dev: () => (o.nodev = false),
    nodev: () => (o.nodev = true),
  };
  for (const opt of colon < 0 ? [] : t.slice(colon + 1).split(',')) {
    if (opt === '') continue;
    const flag = flags[opt];
    if (flag) {
      flag();
      continue;
    }
    const eq = opt.indexOf('=');
    const kv = eq < 0 ? [opt] : [opt.slice(0, eq), opt.slice(eq + 1)];
    const key = kv[0] as TmpfsDataKey;
    if (!Object.hasOwn(TMPFS_DATA, key) || kv.length !== 2) throw new DockerError(`invalid tmpfs option [${kv.map((x) => JSON.stringify(x)).join(' ')}]`);
    if (!TMPFS_DATA[key].test(kv[1]!)) throw new DockerError(`invalid tmpfs option: ${opt}: invalid value`);
    o.data = [...o.data.filter(([k]) => k !== key), [key, kv[1]!]];
  }
  return { type: 'tmpfs', source: 'tmpfs', target, readonly, tmpfs: o };
}

/** `-m 64m`, `512k`, `1g`, plain bytes. */
export function parseBytes(s: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg]?)b?$/i.exec(s.trim());
  if (!m) throw new DockerError(`invalid size: '${s}'`);
  const mult = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'b' | 'k' | 'm' | 'g'];
  const n = Math.floor(Number(m[1]) * mult);
  if (n > 0 && n < 6 * 1024 * 1024) throw new DockerError('Minimum memory limit allowed is 6MB');
  return n;
}
