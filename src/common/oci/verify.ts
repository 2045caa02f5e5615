// Image verification: every blob is hashed and sized BEFORE it is parsed or
// used, digests are validated before they become names, documents are
// checked for the shape and media type their place demands.
import { sha256Hex } from '../manifest.js';
import { DIGEST } from './reference.js';
import {
  CONFIG_TYPES,
  INDEX_TYPES,
  LAYER_TYPES,
  MANIFEST_TYPES,
  type Descriptor,
  type ImageConfig,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from './types.js';

export class ImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageError';
  }
}

/** Largest blob Dockyard accepts (the guest is a 128–256 MB machine). */
export const MAX_BLOB = 512 * 1024 * 1024;
/** Largest JSON document (index, manifest, config). */
export const MAX_DOCUMENT = 4 * 1024 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkDescriptor(v: unknown, where: string): Descriptor {
  if (!isObject(v)) throw new ImageError(`${where}: descriptor is not an object`);
  const { mediaType, digest, size } = v;
  if (typeof mediaType !== 'string' || mediaType.length === 0) throw new ImageError(`${where}: missing mediaType`);
  if (typeof digest !== 'string' || !DIGEST.test(digest)) throw new ImageError(`${where}: invalid digest ${JSON.stringify(digest)?.slice(0, 80)}`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new ImageError(`${where}: invalid size ${JSON.stringify(size)?.slice(0, 40)}`);
  if (size > MAX_BLOB) throw new ImageError(`${where}: blob of ${size} bytes is larger than the ${MAX_BLOB} bytes allowed`);
  if (v.platform !== undefined && !isObject(v.platform)) throw new ImageError(`${where}: invalid platform`);
  return v as unknown as Descriptor;
}

/** Throws unless `bytes` are as long as `desc` says (the cheap half of verifyBlob). */
export function checkBlobSize(desc: Descriptor, bytes: Uint8Array): void {
  if (bytes.length !== desc.size) {
    throw new ImageError(`blob ${desc.digest}: size ${bytes.length} does not match the descriptor's ${desc.size}`);
  }
}

/** Throws unless `bytes` are exactly what `desc` names. */
export async function verifyBlob(desc: Descriptor, bytes: Uint8Array): Promise<void> {
  checkBlobSize(desc, bytes);
  const got = `sha256:${await sha256Hex(bytes)}`;
  if (got !== desc.digest) throw new ImageError(`blob ${desc.digest}: content hashes to ${got}`);
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  if (bytes.length > MAX_DOCUMENT) throw new ImageError(`${what}: document too large`);
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ImageError(`${what}: not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(v)) throw new ImageError(`${what}: not a JSON object`);
  return v;
}

/** An index or a manifest, told apart by mediaType (field, then descriptor). */
export function parseIndexOrManifest(bytes: Uint8Array, desc: Descriptor): { index: ImageIndex } | { manifest: ImageManifest } {
  const v = parseJson(bytes, desc.digest);
  const mt = typeof v.mediaType === 'string' ? v.mediaType : desc.mediaType;
  if (typeof v.mediaType === 'string' && v.mediaType !== desc.mediaType && desc.mediaType !== '') {
    throw new ImageError(`${desc.digest}: served as ${desc.mediaType} but is ${v.mediaType}`);
  }
  if (v.schemaVersion !== 2) throw new ImageError(`${desc.digest}: unsupported schemaVersion ${String(v.schemaVersion)}`);
  if (INDEX_TYPES.includes(mt)) {
    if (!Array.isArray(v.manifests) || 'layers' in v) throw new ImageError(`${desc.digest}: an index must have manifests and no layers`);
    v.manifests.forEach((m, i) => checkDescriptor(m, `${desc.digest} manifests[${i}]`));
    return { index: v as unknown as ImageIndex };
  }
  if (MANIFEST_TYPES.includes(mt)) return { manifest: checkManifest(v, desc.digest) };
  throw new ImageError(`${desc.digest}: unsupported media type ${mt}`);
}

export function parseIndex(bytes: Uint8Array, what: string): ImageIndex {
  const v = parseJson(bytes, what);
  if (v.schemaVersion !== 2 || !Array.isArray(v.manifests)) throw new ImageError(`${what}: not an OCI image index`);
  v.manifests.forEach((m, i) => checkDescriptor(m, `${what} manifests[${i}]`));
  return v as unknown as ImageIndex;
}

function checkManifest(v: Record<string, unknown>, what: string): ImageManifest {
  if ('manifests' in v) throw new ImageError(`${what}: a manifest must not have manifests`);
  const config = checkDescriptor(v.config, `${what} config`);
  if (!CONFIG_TYPES.includes(config.mediaType)) throw new ImageError(`${what}: config has media type ${config.mediaType}`);
  if (!Array.isArray(v.layers)) throw new ImageError(`${what}: missing layers`);
  if (v.layers.length === 0) throw new ImageError(`${what}: image has no layers`);
  v.layers.forEach((l, i) => {
    const d = checkDescriptor(l, `${what} layers[${i}]`);
    if (!LAYER_TYPES.includes(d.mediaType)) throw new ImageError(`${what} layers[${i}]: unsupported layer media type ${d.mediaType}`);
  });
  return v as unknown as ImageManifest;
}

export function parseConfig(bytes: Uint8Array, desc: Descriptor, layerCount: number): ImageConfig {
  const v = parseJson(bytes, `config ${desc.digest}`);
  const rootfs = v.rootfs;
  if (!isObject(rootfs) || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids)) {
    throw new ImageError(`config ${desc.digest}: missing rootfs.diff_ids`);
  }
  if (rootfs.diff_ids.length !== layerCount) {
    throw new ImageError(`config ${desc.digest}: ${rootfs.diff_ids.length} diff_ids for ${layerCount} layers`);
  }
  for (const d of rootfs.diff_ids) if (typeof d !== 'string' || !DIGEST.test(d)) throw new ImageError(`config ${desc.digest}: invalid diff_id`);
  if (typeof v.os !== 'string' || typeof v.architecture !== 'string') throw new ImageError(`config ${desc.digest}: missing os/architecture`);
  const c = v.config;
  if (c !== undefined && c !== null) {
    if (!isObject(c)) throw new ImageError(`config ${desc.digest}: config is not an object`);
    for (const k of ['Env', 'Entrypoint', 'Cmd'] as const) {
      const a = c[k];
      if (a !== undefined && a !== null && (!Array.isArray(a) || a.some((s) => typeof s !== 'string'))) {
        throw new ImageError(`config ${desc.digest}: ${k} must be a list of strings`);
      }
    }
    for (const k of ['User', 'WorkingDir'] as const) {
      if (c[k] !== undefined && typeof c[k] !== 'string') throw new ImageError(`config ${desc.digest}: ${k} must be a string`);
    }
  }
  return v as unknown as ImageConfig;
}

export function platformMatches(p: Platform | undefined, want: Platform): boolean {
  return p !== undefined && p.os === want.os && p.architecture === want.architecture && (want.variant === undefined || p.variant === want.variant);
}

/** chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)). */
export async function chainIds(diffIds: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const d of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? d : `sha256:${await sha256Hex(new TextEncoder().encode(`${prev} ${d}`))}`);
  }
  return out;
}
