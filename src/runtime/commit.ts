// `docker diff` and `docker commit`: a container's writable layer (streamed
// by the guest as an OCI layer tar, container.diff) read against its image's
// tree, or kept as a new image layer.
import { GuestError } from '../common/channel.js';
import type { PathStat } from '../common/store/host-store.js';
import { readLayer, type LayerEntry } from '../common/store/layer.js';
import { TarBuilder } from '../common/store/layer-write.js';
import type { ImageConfig } from '../common/oci/types.js';
import type { Containers } from './containers.js';
import { parseRaw, DockerfileError } from './dockerfile.js';
import { DockerError, NoSuchImageError } from './errors.js';
import { applyConfig, envMap, type ConfigState } from './image-config.js';
import type { ImageRecord, ImageStore } from './images.js';

export interface Change {
  kind: 'A' | 'C' | 'D';
  /** absolute: `/etc/passwd` */
  path: string;
}

/** the guest's errno for "no such file or directory" */
const ENOENT = 2;

const parentOf = (p: string) => p.slice(0, Math.max(p.lastIndexOf('/'), 0));

/**
 * The changes `docker diff` lists for an overlay upper layer (its OCI tar
 * entries, in walk order) over a lower tree (`lower`: what each entry's path
 * is there), by moby's rules: a whiteout is D; an opaque directory that was
 * below is D (then what it holds now, A); a path that was below is C (a
 * directory too: moby skips one only when its size also matches below, which
 * an overlay upper directory's never does); the parent of an A or D not
 * listed yet is C, once, before it.
 */
export function changesOf(entries: readonly LayerEntry[], lower: ReadonlyMap<string, PathStat | undefined>): Change[] {
  const opaque = new Set(entries.filter((e) => e.path.endsWith('/.wh..wh..opq') || e.path === '.wh..wh..opq').map((e) => parentOf(e.path)));
  const out: Change[] = [];
  const changedDirs = new Set<string>();
  for (const e of entries) {
    const base = e.path.slice(e.path.lastIndexOf('/') + 1);
    if (base.startsWith('.wh..wh.')) continue;
    let path = e.path;
    let kind: Change['kind'];
    if (base.startsWith('.wh.')) {
      path = parentOf(e.path) === '' ? base.slice(4) : `${parentOf(e.path)}/${base.slice(4)}`;
      kind = 'D';
    } else if (e.kind === 'dir' && opaque.has(e.path) && lower.get(e.path) !== undefined) {
      kind = 'D';
    } else {
      kind = lower.get(e.path) === undefined ? 'A' : 'C';
    }
    if (e.kind === 'dir') changedDirs.add(e.path);
    if (kind === 'A' || kind === 'D') {
      const parent = parentOf(path);
      if (parent !== '' && !changedDirs.has(parent)) {
        out.push({ kind: 'C', path: `/${parent}` });
        changedDirs.add(parent);
      }
    }
    out.push({ kind, path: `/${path}` });
  }
  return out;
}

/** The paths of a layer's entries whose state below decides what `docker diff` says. */
function lowerPaths(entries: readonly LayerEntry[]): string[] {
  return entries.filter((e) => !e.path.slice(e.path.lastIndexOf('/') + 1).startsWith('.wh.')).map((e) => e.path);
}

export async function diff(containers: Containers, images: ImageStore, ref: string): Promise<Change[]> {
  const { container, tar } = await containers.layer(ref);
  const entries = readLayer(tar);
  const paths = lowerPaths(entries);
  const stats = await images.lookup(container.snapshot, paths);
  return changesOf(entries, new Map(paths.map((p, i) => [p, stats[i]])));
}

/** The instructions `docker commit --change` accepts. */
const COMMIT_CHANGES = new Set(['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'USER', 'VOLUME', 'WORKDIR', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL']);

export interface CommitOptions {
  /** REPO[:TAG]; none: a dangling image */
  name?: string;
  /** Dockerfile instructions (`-c`) */
  changes?: string[];
  message?: string;
  author?: string;
}

/** `docker commit`: the container's writable layer as a new layer over its image. */
export async function commit(containers: Containers, images: ImageStore, ref: string, o: CommitOptions = {}): Promise<ImageRecord> {
  const { container, tar } = await containers.layer(ref);
  const parent = await images.find(container.imageId);
  if (!parent) throw new NoSuchImageError(container.imageId);
  const base = await images.config(parent);
  const st: ConfigState = { config: JSON.parse(JSON.stringify(container.config)) as ConfigState['config'], vars: envMap(container.config.Env), escape: '\\', cmdSet: true };
  for (const change of o.changes ?? []) {
    let raws;
    try {
      raws = parseRaw(change).instructions;
    } catch (e) {
      if (e instanceof DockerfileError) throw new DockerError(e.message);
      throw e;
    }
    for (const r of raws) {
      if (!COMMIT_CHANGES.has(r.keyword)) throw new DockerError(`${r.keyword.toLowerCase()} is not a valid change command`);
      applyConfig(st, r);
    }
  }
  const entries = readLayer(tar);
  const empty = entries.length === 0;
  const created = new Date().toISOString();
  const config: Omit<ImageConfig, 'rootfs'> = {
    ...base,
    created,
    ...(o.author !== undefined ? { author: o.author } : {}),
    config: st.config,
    history: [
      ...(base.history ?? []),
      {
        created,
        ...(o.author !== undefined ? { author: o.author } : {}),
        created_by: [...(container.config.Entrypoint ?? []), ...(container.config.Cmd ?? [])].join(' '),
        ...(o.message !== undefined ? { comment: o.message } : {}),
        ...(empty ? { empty_layer: true } : {}),
      },
    ],
  };
  delete (config as Partial<ImageConfig>).rootfs;
  return images.create({ ...(o.name !== undefined ? { name: o.name } : {}), parent, config, layers: empty ? [] : [tar] });
}

/**
 * `docker cp CONTAINER:PATH -`: a tar of what is at `path` in the container
 * (its image's tree with its writable layer over it), entries named from the
 * path's last component; with path `/`, `docker export`'s whole tree.
 */
export async function archiveFrom(containers: Containers, images: ImageStore, ref: string, path: string): Promise<Uint8Array> {
  const { container, tar } = await containers.layer(ref);
  const out = await images.archive(container.snapshot || undefined, path, tar);
  if (!out) throw new DockerError(`Could not find the file ${path} in container ${ref}`, 1);
  return out;
}

/** `docker export`: the container's whole filesystem as one tar. */
export function exportContainer(containers: Containers, images: ImageStore, ref: string): Promise<Uint8Array> {
  return archiveFrom(containers, images, ref, '/');
}

/**
 * `docker import`: a tarball (tar or tar.gz: `gunzip`ped by the caller) as a
 * one-layer image, with `changes` applied to an empty config.
 */
export async function importImage(images: ImageStore, tar: Uint8Array, o: { name?: string; changes?: string[]; message?: string; source: string }): Promise<ImageRecord> {
  const st: ConfigState = { config: {}, vars: new Map(), escape: '\\', cmdSet: false };
  for (const change of o.changes ?? []) {
    for (const r of parseRaw(change).instructions) {
      if (!COMMIT_CHANGES.has(r.keyword)) throw new DockerError(`${r.keyword.toLowerCase()} is not a valid change command`);
      applyConfig(st, r);
    }
  }
  try {
    readLayer(tar);
  } catch (e) {
    throw new DockerError(`archive/tar: invalid tar header: ${(e as Error).message}`);
  }
  const created = new Date().toISOString();
  return images.create({
    ...(o.name !== undefined ? { name: o.name } : {}),
    config: {
      architecture: '386',
      os: 'linux',
      created,
      config: st.config,
      history: [{ created, created_by: '', comment: o.message ?? `Imported from ${o.source}` }],
    },
    layers: [tar],
  });
}

/**
 * `docker cp SRC CONTAINER:DEST`: `tar` (entries named from the source's
 * last component, as docker cp sends them) unpacked into DEST when it is a
 * directory, else as DEST (the tar's top entry renamed) in DEST's parent.
 * The guest unpacks it inside the container's filesystem, running or not
 * (`container.extract`), as Docker's daemon does: the image needs no tar.
 */
export async function copyInto(containers: Containers, ref: string, dest: string, tar: Uint8Array): Promise<void> {
  const c = await containers.find(ref);
  const notThere = (dir: string) => new DockerError(`Could not find the file ${dir} in container ${ref}`, 1);
  const isNotThere = (e: unknown) => e instanceof GuestError && e.errno === ENOENT;
  try {
    return await containers.extract(c.id, dest, tar);
  } catch (e) {
    if (!isNotThere(e)) throw e;
  }
  if (dest.endsWith('/')) throw notThere(dest);
  const slash = dest.lastIndexOf('/');
  const parent = slash <= 0 ? '/' : dest.slice(0, slash);
  try {
    return await containers.extract(c.id, parent, renameTop(tar, dest.slice(slash + 1)));
  } catch (e) {
    throw isNotThere(e) ? notThere(parent) : e;
  }
}

function renameTop(tar: Uint8Array, name: string): Uint8Array {
  const entries = readLayer(tar);
  const top = entries[0]?.path.split('/')[0] ?? '';
  const t = new TarBuilder();
  const re = (p: string) => (p === top ? name : p.startsWith(`${top}/`) ? `${name}${p.slice(top.length)}` : p);
  for (const e of entries) {
    t.add({
      path: re(e.path),
      kind: e.kind,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      mtime: e.mtime,
      ...(e.kind === 'file' ? { data: tar.subarray(e.data, e.data + e.size) } : {}),
      ...(e.kind === 'symlink' ? { link: e.link } : e.kind === 'hardlink' ? { link: re(e.link) } : {}),
    });
  }
  return t.finish();
}
