// Makes a one-layer linux/386 OCI image layout from a root filesystem tree.
// Run by images/build.sh:
//
//   npx tsx images/tools/oci-layout.ts --rootfs DIR --out DIR \
//       --name docker.io/library/busybox [--tag latest] \
//       [--config FILE] [--cmd JSON] [--entrypoint JSON] [--env K=V]... \
//       [--workdir DIR] [--user USER] [--created-by TEXT]
//
// --config is a JSON file with the image config's `config` fields (Env,
// Entrypoint, Cmd, WorkingDir, User); the other flags override its fields.
// OUT must not exist; it gets oci-layout, index.json and blobs/sha256/<hex>
// (manifest, config, one tar+gzip layer).
//
// Reproducible: `created` comes from SOURCE_DATE_EPOCH, the layer is GNU tar
// (sorted names, fixed mtime and owners, pax headers without atime/ctime)
// piped through `gzip -n -9`, JSON is compact with a fixed key order.
//
// Its pieces (reproducibleTar, gzipLayer, buildLayout, writeLayout) are
// exported for other builders (test/fixtures/debian-image.ts: a multi-layer
// image); run as a script it is the CLI above.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MT_INDEX = 'application/vnd.oci.image.index.v1+json';
export const MT_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const MT_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const MT_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

export interface RunConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  StopSignal?: string;
}
/** Field order of the OCI image-spec `config` object. */
export const RUN_CONFIG_KEYS = ['User', 'ExposedPorts', 'Env', 'Entrypoint', 'Cmd', 'Volumes', 'WorkingDir', 'StopSignal'] as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** A failure of one of the exported pieces (the CLI prints it and exits 1). */
export class OciLayoutError extends Error {}

/** RFC 3339, whole seconds, UTC: 2026-01-01T00:00:00Z */
export const rfc3339 = (epoch: number): string => new Date(epoch * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
/** Compact JSON, keys in the order the value was built with. */
export const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
/** Byte order of names (what GNU tar --sort=name uses). */
export const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

export function runTool(cmd: string, args: string[], input?: Buffer): Buffer {
  const r = spawnSync(cmd, args, {
    input,
    maxBuffer: 1 << 30,
    env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  if (r.error) throw new OciLayoutError(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new OciLayoutError(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}`);
  return r.stdout;
}

export interface TarOptions {
  /** 'root' (the default) stores every entry as 0:0; 'keep' stores the tree's numeric owners. */
  owners?: 'root' | 'keep';
  /**
   * Exactly these paths (relative to dir, no directory recursion), in this
   * order; by default every top-level name in byte order, recursively.
   */
  names?: string[];
}

/**
 * A layer tar of DIR: GNU tar, sorted names, every mtime EPOCH, numeric
 * owners, POSIX format with pax headers that carry neither atime nor ctime.
 * No "./" entry, as in the layers docker builds.
 */
export function reproducibleTar(dir: string, epoch: number, opts: TarOptions = {}): Buffer {
  const common = [
    '-C', dir,
    '--sort=name',
    `--mtime=@${epoch}`,
    ...(opts.owners === 'keep' ? [] : ['--owner=0', '--group=0']),
    '--numeric-owner',
    '--format=posix',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '-cf', '-',
  ];
  if (opts.names !== undefined) {
    if (opts.names.length === 0) throw new OciLayoutError(`no entries for a layer of ${dir}`);
    const list = Buffer.from(opts.names.map((n) => `${n}\0`).join(''));
    return runTool('tar', [...common, '--no-recursion', '--null', '--verbatim-files-from', '-T', '-'], list);
  }
  const top = readdirSync(dir).sort(byteOrder);
  if (top.length === 0) throw new OciLayoutError(`${dir} is empty`);
  return runTool('tar', [...common, '--', ...top]);
}

/** `gzip -n -9`: no name, no timestamp in the gzip header. */
export const gzipLayer = (tar: Buffer): Buffer => runTool('gzip', ['-n', '-9', '-c'], tar);

export interface LayerInput {
  /** the uncompressed layer (its sha256 is the diff_id) */
  tar: Buffer;
  /** the same, gzip-compressed (the blob) */
  gzip: Buffer;
  /** the history entry's created_by */
  createdBy?: string;
  /** the history entry's comment */
  comment?: string;
}

export interface Layout {
  /** sha256 hex → blob bytes */
  blobs: Map<string, Buffer>;
  config: Descriptor;
  manifest: Descriptor;
  layers: Descriptor[];
  /** index.json */
  index: Buffer;
}

/**
 * An image layout of one linux/386 image: blobs for the layers, the config
 * (created, architecture, os, config, rootfs, history: in this order) and
 * the manifest, and an index naming it `name:tag`.
 */
export function buildLayout(opts: { name: string; tag: string; created: string; run: RunConfig; layers: LayerInput[] }): Layout {
  const blobs = new Map<string, Buffer>();
  const blob = (mediaType: string, data: Buffer): Descriptor => {
    const hex = sha256(data);
    blobs.set(hex, data);
    return { mediaType, digest: `sha256:${hex}`, size: data.length };
  };
  const layers = opts.layers.map((l) => blob(MT_LAYER, l.gzip));
  const runConfig: RunConfig = {};
  for (const k of RUN_CONFIG_KEYS) {
    const v = opts.run[k];
    if (v !== undefined) (runConfig as Record<string, unknown>)[k] = v;
  }
  const history = opts.layers.map((l) => {
    const h: Record<string, string> = { created: opts.created };
    if (l.createdBy !== undefined) h.created_by = l.createdBy;
    if (l.comment !== undefined) h.comment = l.comment;
    return h;
  });
  const config = blob(
    MT_CONFIG,
    json({
      created: opts.created,
      architecture: '386',
      os: 'linux',
      config: runConfig,
      rootfs: { type: 'layers', diff_ids: opts.layers.map((l) => `sha256:${sha256(l.tar)}`) },
      history,
    }),
  );
  const manifest = blob(
    MT_MANIFEST,
    json({
      schemaVersion: 2,
      mediaType: MT_MANIFEST,
      config,
      layers,
    }),
  );
  const index = json({
    schemaVersion: 2,
    mediaType: MT_INDEX,
    manifests: [
      {
        ...manifest,
        annotations: {
          'io.containerd.image.name': `${opts.name}:${opts.tag}`,
          'org.opencontainers.image.ref.name': opts.tag,
        },
      },
    ],
  });
  return { blobs, config, manifest, layers, index };
}

/** The layout as files: OUT/oci-layout, OUT/index.json, OUT/blobs/sha256/<hex>. */
export function writeLayout(out: string, layout: Layout): void {
  mkdirSync(join(out, 'blobs', 'sha256'), { recursive: true });
  writeFileSync(join(out, 'oci-layout'), json({ imageLayoutVersion: '1.0.0' }));
  for (const hex of [...layout.blobs.keys()].sort()) {
    const data = layout.blobs.get(hex);
    if (data === undefined) throw new OciLayoutError('lost blob');
    writeFileSync(join(out, 'blobs', 'sha256', hex), data);
  }
  writeFileSync(join(out, 'index.json'), layout.index);
}

// --- the CLI ------------------------------------------------------------------------
function die(msg: string): never {
  process.stderr.write(`oci-layout: ${msg}\n`);
  process.exit(1);
}
function usage(msg: string): never {
  process.stderr.write(
    `oci-layout: ${msg}\nusage: oci-layout.ts --rootfs DIR --out DIR --name DOMAIN/REPO [--tag TAG] [--config FILE]` +
      ` [--cmd JSON] [--entrypoint JSON] [--env K=V]... [--workdir DIR] [--user USER] [--created-by TEXT]\n`,
  );
  process.exit(2);
}

const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

function parseList(flag: string, text: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    usage(`${flag} wants a JSON list of strings, not ${text}`);
  }
  if (!isStringList(v)) usage(`${flag} wants a JSON list of strings, not ${text}`);
  return v;
}

function readRunConfig(path: string): RunConfig {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    die(`${path}: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) die(`${path}: not a JSON object`);
  const o = v as Record<string, unknown>;
  const out: RunConfig = {};
  for (const [k, val] of Object.entries(o)) {
    if (k === 'Env' || k === 'Entrypoint' || k === 'Cmd') {
      if (!isStringList(val)) die(`${path}: ${k} must be a list of strings`);
      out[k] = val;
    } else if (k === 'User' || k === 'WorkingDir' || k === 'StopSignal') {
      if (typeof val !== 'string') die(`${path}: ${k} must be a string`);
      out[k] = val;
    } else if (k === 'ExposedPorts' || k === 'Volumes') {
      // a set, as the image spec writes it: { "80/tcp": {} }
      if (typeof val !== 'object' || val === null || Array.isArray(val) || !Object.values(val).every((e) => typeof e === 'object' && e !== null && Object.keys(e).length === 0)) {
        die(`${path}: ${k} must be an object of empty objects`);
      }
      out[k] = val as Record<string, Record<string, never>>;
    } else {
      die(`${path}: unsupported field ${k} (want ${RUN_CONFIG_KEYS.join(', ')})`);
    }
  }
  return out;
}

function main(argv: string[]): void {
  let rootfs: string | undefined;
  let out: string | undefined;
  let name: string | undefined;
  let tag = 'latest';
  let createdBy: string | undefined;
  let run: RunConfig = {};
  const overrides: RunConfig = {};
  const env: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const val = argv[i + 1];
    if (val === undefined) usage(`${arg} needs a value`);
    i++;
    switch (arg) {
      case '--rootfs': rootfs = val; break;
      case '--out': out = val; break;
      case '--name': name = val; break;
      case '--tag': tag = val; break;
      case '--config': run = readRunConfig(val); break;
      case '--cmd': overrides.Cmd = parseList(arg, val); break;
      case '--entrypoint': overrides.Entrypoint = parseList(arg, val); break;
      case '--env': env.push(val); break;
      case '--workdir': overrides.WorkingDir = val; break;
      case '--user': overrides.User = val; break;
      case '--created-by': createdBy = val; break;
      default: usage(`bad argument ${arg}`);
    }
  }
  if (rootfs === undefined || out === undefined || name === undefined) usage('--rootfs, --out and --name are required');
  if (!/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9]+(?:[._-][a-z0-9]+)*)+$/.test(name)) usage(`bad repository name ${name} (want e.g. docker.io/library/busybox)`);
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) usage(`bad tag ${tag}`);
  if (!existsSync(rootfs)) die(`${rootfs} does not exist`);
  if (existsSync(out)) die(`${out} exists`);
  if (env.length > 0) overrides.Env = env;
  run = { ...run, ...overrides };

  const epochText = process.env.SOURCE_DATE_EPOCH ?? '';
  if (!/^[0-9]+$/.test(epochText)) die('SOURCE_DATE_EPOCH must be set (seconds since the epoch)');
  const epoch = Number(epochText);

  try {
    const tar = reproducibleTar(rootfs, epoch);
    const layer = gzipLayer(tar);
    const layout = buildLayout({
      name,
      tag,
      created: rfc3339(epoch),
      run,
      layers: [{ tar, gzip: layer, ...(createdBy !== undefined ? { createdBy } : {}) }],
    });
    writeLayout(out, layout);
    process.stdout.write(`${name}:${tag} ${layout.manifest.digest}: layer ${layer.length} B gzip, ${tar.length} B tar\n`);
  } catch (e) {
    if (e instanceof OciLayoutError) die(e.message);
    throw e;
  }
}

const self = fileURLToPath(import.meta.url);
const invoked = process.argv[1];
if (invoked !== undefined && existsSync(invoked) && realpathSync(invoked) === realpathSync(self)) main(process.argv.slice(2));
