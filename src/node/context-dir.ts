// `docker build`'s context from a directory on disk: every file, directory
// and symlink under it with its mode and mtime, read until the build's
// context limit (a clear error past it, before the build reads more).
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BuildError, CONTEXT_LIMIT, type ContextFile } from '../runtime/build.js';

export async function readContextDir(root: string, limit = CONTEXT_LIMIT): Promise<ContextFile[]> {
  const out: ContextFile[] = [];
  let total = 0;
  const st = await lstat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new BuildError(`unable to prepare context: path "${root}" not found`);
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(join(root, rel))).sort();
    for (const name of names) {
      const path = rel === '' ? name : `${rel}/${name}`;
      const abs = join(root, path);
      const s = await lstat(abs);
      const base = { path, mode: s.mode & 0o7777, mtime: Math.floor(s.mtimeMs / 1000) };
      if (s.isDirectory()) {
        out.push({ ...base, kind: 'dir' });
        await walk(path);
      } else if (s.isSymbolicLink()) out.push({ ...base, kind: 'symlink', link: await readlink(abs) });
      else if (s.isFile()) {
        total += s.size;
        if (total > limit) throw new BuildError(`build context ${root} is over the limit of ${limit} bytes: list what the build does not need in .dockerignore`);
        out.push({ ...base, kind: 'file', data: new Uint8Array(await readFile(abs)) });
      }
    }
  };
  await walk('');
  return out;
}
