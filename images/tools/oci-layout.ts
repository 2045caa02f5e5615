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
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const MT_INDEX = 'application/vnd.oci.image.index.v1+json';
const MT_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MT_CONFIG = 'application/vnd.oci.image.config.v1+json';
const MT_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip';

interface RunConfig {
  User?: string;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  WorkingDir?: string;
}
/** Field order of the OCI image-spec `config` object. */
const RUN_CONFIG_KEYS = ['User', 'Env', 'Entrypoint', 'Cmd', 'WorkingDir'] as const;

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

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
    } else if (k === 'User' || k === 'WorkingDir') {
      if (typeof val !== 'string') die(`${path}: ${k} must be a string`);
      out[k] = val;
    } else {
      die(`${path}: unsupported field ${k} (want ${RUN_CONFIG_KEYS.join(', ')})`);
    }
  }
  return out;
}

// --- arguments ------------------------------------------------------------------
let rootfs: string | undefined;
let out: string | undefined;
let name: string | undefined;
let tag = 'latest';
let createdBy: string | undefined;
let run: RunConfig = {};
const overrides: RunConfig = {};
const env: string[] = [];
const argv = process.argv.slice(2);
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
/** RFC 3339, whole seconds, UTC: 2026-01-01T00:00:00Z */
const created = new Date(epoch * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

// --- layer ------------------------------------------------------------------------
function runTool(cmd: string, args: string[], input?: Buffer): Buffer {
  const r = spawnSync(cmd, args, {
    input,
    maxBuffer: 1 << 30,
    env: { ...process.env, LC_ALL: 'C', TZ: 'UTC' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  if (r.error) die(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) die(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}`);
  return r.stdout;
}

// Top-level names in byte order (tar --sort=name orders what is below them);
// no "./" entry, as in the layers docker builds.
const top = readdirSync(rootfs).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
if (top.length === 0) die(`${rootfs} is empty`);
const tar = runTool('tar', [
  '-C', rootfs,
  '--sort=name',
  `--mtime=@${epoch}`,
  '--owner=0', '--group=0', '--numeric-owner',
  '--format=posix',
  '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
  '-cf', '-',
  '--', ...top,
]);
const layer = runTool('gzip', ['-n', '-9', '-c'], tar);

// --- blobs --------------------------------------------------------------------------
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
const blobs = new Map<string, Buffer>();
function blob(mediaType: string, data: Buffer): Descriptor {
  const hex = sha256(data);
  blobs.set(hex, data);
  return { mediaType, digest: `sha256:${hex}`, size: data.length };
}

const layerDesc = blob(MT_LAYER, layer);
const runConfig: RunConfig = {};
for (const k of RUN_CONFIG_KEYS) {
  const v = run[k];
  if (v !== undefined) (runConfig as Record<string, unknown>)[k] = v;
}
const history: Record<string, string> = { created };
if (createdBy !== undefined) history.created_by = createdBy;
const configDesc = blob(
  MT_CONFIG,
  json({
    created,
    architecture: '386',
    os: 'linux',
    config: runConfig,
    rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(tar)}`] },
    history: [history],
  }),
);
const manifestDesc = blob(
  MT_MANIFEST,
  json({
    schemaVersion: 2,
    mediaType: MT_MANIFEST,
    config: configDesc,
    layers: [layerDesc],
  }),
);
const index = json({
  schemaVersion: 2,
  mediaType: MT_INDEX,
  manifests: [
    {
      ...manifestDesc,
      annotations: {
        'io.containerd.image.name': `${name}:${tag}`,
        'org.opencontainers.image.ref.name': tag,
      },
    },
  ],
});

// --- the layout ---------------------------------------------------------------------
mkdirSync(join(out, 'blobs', 'sha256'), { recursive: true });
writeFileSync(join(out, 'oci-layout'), json({ imageLayoutVersion: '1.0.0' }));
for (const hex of [...blobs.keys()].sort()) writeFileSync(join(out, 'blobs', 'sha256', hex), blobs.get(hex) ?? die('lost blob'));
writeFileSync(join(out, 'index.json'), index);
process.stdout.write(
  `${name}:${tag} ${manifestDesc.digest}: layer ${layer.length} B gzip, ${tar.length} B tar\n`,
);
