import { DockerError } from '../../runtime/errors.js';
import type { Ctx } from '../context.js';
import type { CommandDef } from '../command.js';
import { str, type Parsed } from '../flags.js';

export const load: CommandDef = {
  names: ['image load', 'load'],
  usage: '[OPTIONS]',
  description: 'Load an image from a tar archive (OCI layout)',
  flags: [
    { long: 'input', short: 'i', kind: 'string', description: 'Read from tar archive file, instead of STDIN' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Suppress the load output' },
  ],
  args: { max: 0 },
  run: loadImages,
};

export const save: CommandDef = {
  names: ['image save', 'save'],
  usage: '[OPTIONS] IMAGE [IMAGE...]',
  description: 'Save one or more images to a tar archive (OCI layout)',
  flags: [{ long: 'output', short: 'o', kind: 'string', description: 'Write to a file, instead of STDOUT' }],
  args: { min: 1 },
  operands: ['image'],
  run: saveImages,
};

async function loadImages(ctx: Ctx, p: Parsed): Promise<number> {
  const file = str(p, 'input');
  if (file === undefined) throw new DockerError('requested load from stdin, but stdin is empty; use -i FILE', 1);
  if (!ctx.io.readFile) throw new DockerError('load: no files can be read here', 1);
  const bytes = await ctx.io.readFile(file).catch(() => {
    throw new DockerError(`open ${file}: no such file or directory`, 1);
  });
  const lines = await ctx.d.images.load(bytes);
  ctx.io.out(lines.map((l) => `${l}\n`).join(''));
  return 0;
}

async function saveImages(ctx: Ctx, p: Parsed): Promise<number> {
  const file = str(p, 'output');
  if (file === undefined) throw new DockerError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
  if (!ctx.io.writeFile) throw new DockerError('save: no files can be written here', 1);
  const tar = await ctx.d.images.save(p.args);
  await ctx.io.writeFile(file, tar);
  return 0;
}
