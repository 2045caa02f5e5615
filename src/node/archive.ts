// `docker cp` on the Node CLI's side: a host path as a tar (its last
// component first, as docker cp sends it) and a tar written out at a host
// path with docker cp's rules (into an existing directory, or as the new
// name). Devices, FIFOs and hard links to nothing are left out; modes and
// mtimes are kept (owners only when root).
import { chmod, lstat, mkdir, readFile, readlink, readdir, symlink, utimes, writeFile, link, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { readLayer } from '../common/store/layer.js';
import { TarBuilder } from '../common/store/layer-write.js';
import { DockerError } from '../runtime/errors.js';

export async function tarOfPath(src: string): Promise<Uint8Array> {
  const st = await lstat(src).catch(() => undefined);
  if (!st) throw new DockerError(`lstat ${src}: no such file or directory`, 1);
  const t = new TarBuilder();
  const add = async (abs: string, name: string): Promise<void> => {
    const s = await lstat(abs);
    const base = { path: name, mode: s.mode & 0o7777, uid: 0, gid: 0, mtime: Math.floor(s.mtimeMs / 1000) };
    if (s.isDirectory()) {
      t.add({ ...base, kind: 'dir' });
      for (const n of (await readdir(abs)).sort()) await add(join(abs, n), `${name}/${n}`);
    } else if (s.isSymbolicLink()) t.add({ ...base, kind: 'symlink', link: await readlink(abs) });
    else if (s.isFile()) t.add({ ...base, kind: 'file', data: new Uint8Array(await readFile(abs)) });
  };
  await add(src, basename(src.replace(/\/+$/, '')) || '.');
  return t.finish();
}

export async function writeTarAt(dest: string, tar: Uint8Array): Promise<void> {
  const entries = readLayer(tar);
  if (entries.length === 0) return;
  const top = entries[0]!.path.split('/')[0]!;
  const st = await lstat(dest).catch(() => undefined);
  // into an existing directory (or one named with a trailing /): as they are; else the top entry takes dest's name
  let root: string;
  let rename: string | undefined;
  if (st?.isDirectory()) root = dest;
  else if (dest.endsWith('/')) throw new DockerError(`destination directory ${dest} does not exist`, 1);
  else {
    root = dirname(dest);
    rename = basename(dest);
    if (!(await lstat(root).catch(() => undefined))?.isDirectory()) throw new DockerError(`destination directory ${root} does not exist`, 1);
  }
  const where = (p: string) => join(root, rename !== undefined ? rename + p.slice(top.length) : p);
  const dirs: Array<[string, number, number]> = [];
  for (const e of entries) {
    const abs = where(e.path);
    if (e.kind === 'dir') {
      await mkdir(abs, { recursive: true });
      dirs.push([abs, e.mode, e.mtime]);
      continue;
    }
    await rm(abs, { force: true });
    if (e.kind === 'file') {
      await writeFile(abs, tar.subarray(e.data, e.data + e.size));
      await chmod(abs, e.mode);
      await utimes(abs, e.mtime, e.mtime);
    } else if (e.kind === 'symlink') await symlink(e.link, abs);
    else if (e.kind === 'hardlink') await link(where(e.link), abs).catch(() => {});
  }
  // directories last: writing into them changed their mtimes
  for (const [abs, mode, mtime] of dirs.reverse()) {
    await chmod(abs, mode);
    await utimes(abs, mtime, mtime);
  }
}
