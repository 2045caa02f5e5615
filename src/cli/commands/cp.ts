import { gunzipIfGzip } from '../../common/gzip.js';
import { concat } from '../../common/protocol/frame.js';
import { archiveFrom, copyInto, exportContainer, importImage } from '../../runtime/commit.js';
import { DockerError } from '../../runtime/errors.js';
import type { CommandDef } from '../command.js';
import type { Ctx } from '../context.js';
import { list, str } from '../flags.js';

/** `CONTAINER:PATH` (a container path is absolute; a relative one is from `/`, as docker's working dir default) */
function containerPath(arg: string): { ref: string; path: string } | undefined {
  const m = /^([a-zA-Z0-9][a-zA-Z0-9_.-]*):(.*)$/.exec(arg);
  if (!m || arg.startsWith('/') || arg.startsWith('.')) return undefined;
  return { ref: m[1]!, path: m[2]!.startsWith('/') ? m[2]! : `/${m[2]}` };
}

async function readAll(ctx: Ctx): Promise<Uint8Array> {
  if (!ctx.io.stdin) throw new DockerError('no input on stdin', 1);
  const parts: Uint8Array[] = [];
  for (let c; (c = await ctx.io.stdin.read()); ) parts.push(c);
  return concat(parts);
}

/** `docker cp CONTAINER:SRC DEST|-` and `docker cp SRC|- CONTAINER:DEST` */
export const cp: CommandDef = {
  names: ['container cp', 'cp'],
  usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|- | SRC_PATH|- CONTAINER:DEST_PATH',
  description: 'Copy files/folders between a container and the local filesystem',
  flags: [
    { long: 'archive', short: 'a', kind: 'bool', description: 'Archive mode (copy all uid/gid information)' },
    { long: 'follow-link', short: 'L', kind: 'bool', description: 'Always follow symbol link in SRC_PATH' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Suppress progress output during copy' },
  ],
  args: { min: 2, max: 2 },
  operands: ['container', 'container'],
  run: async (ctx, p) => {
    const [src, dest] = p.args as [string, string];
    const from = containerPath(src);
    const to = containerPath(dest);
    if (from && to) throw new DockerError('copying between containers is not supported', 1);
    if (!from && !to) throw new DockerError('must specify at least one container source', 1);
    if (from) {
      const tar = await archiveFrom(ctx.d.containers, ctx.d.images, from.ref, from.path);
      if (dest === '-') ctx.io.out(tar);
      else {
        if (!ctx.io.writeArchive) throw new DockerError('cp: no files can be written here', 1);
        await ctx.io.writeArchive(dest, tar);
      }
      return 0;
    }
    let tar: Uint8Array;
    if (src === '-') tar = await readAll(ctx);
    else {
      if (!ctx.io.readArchive) throw new DockerError('cp: no files can be read here', 1);
      tar = await ctx.io.readArchive(src);
    }
    // `-`: the tar is unpacked into the destination directory as it is
    await copyInto(ctx.d.containers, to!.ref, src === '-' && !to!.path.endsWith('/') ? `${to!.path}/` : to!.path, tar);
    return 0;
  },
};

export const exportCmd: CommandDef = {
  names: ['container export', 'export'],
  usage: '[OPTIONS] CONTAINER',
  description: "Export a container's filesystem as a tar archive",
  flags: [{ long: 'output', short: 'o', kind: 'string', description: 'Write to a file, instead of STDOUT' }],
  args: { min: 1, max: 1 },
  operands: ['container'],
  run: async (ctx, p) => {
    const tar = await exportContainer(ctx.d.containers, ctx.d.images, p.args[0]!);
    const file = str(p, 'output');
    if (file === undefined) ctx.io.out(tar);
    else {
      if (!ctx.io.writeFile) throw new DockerError('export: no files can be written here', 1);
      await ctx.io.writeFile(file, tar);
    }
    return 0;
  },
};

export const importCmd: CommandDef = {
  names: ['image import', 'import'],
  usage: '[OPTIONS] file|-  [REPOSITORY[:TAG]]',
  description: 'Import the contents from a tarball to create a filesystem image',
  flags: [
    { long: 'change', short: 'c', kind: 'list', description: 'Apply Dockerfile instruction to the created image' },
    { long: 'message', short: 'm', kind: 'string', description: 'Set commit message for imported image' },
  ],
  args: { min: 1, max: 2 },
  operands: ['none', 'none'],
  run: async (ctx, p) => {
    const [src, name] = p.args as [string, string | undefined];
    if (/^[a-z]+:\/\//i.test(src)) throw new DockerError(`importing from a URL (${src}) is not supported by Dockyard`, 1);
    let bytes: Uint8Array;
    if (src === '-') bytes = await readAll(ctx);
    else {
      if (!ctx.io.readFile) throw new DockerError('import: no files can be read here', 1);
      bytes = await ctx.io.readFile(src).catch(() => {
        throw new DockerError(`open ${src}: no such file or directory`, 1);
      });
    }
    const message = str(p, 'message');
    const img = await importImage(ctx.d.images, await gunzipIfGzip(bytes), {
      ...(name !== undefined ? { name } : {}),
      changes: list(p, 'change'),
      ...(message !== undefined ? { message } : {}),
      source: src === '-' ? '-' : src,
    });
    ctx.io.out(`${img.id}\n`);
    return 0;
  },
};
