import { DockerError } from '../../runtime/errors.js';
import type { Ctx } from '../context.js';
import { parseFlags, str } from '../flags.js';

export async function load(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseFlags(argv, [{ long: 'input', short: 'i', kind: 'string' }, { long: 'quiet', short: 'q', kind: 'bool' }]);
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

export async function save(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseFlags(argv, [{ long: 'output', short: 'o', kind: 'string' }]);
  const file = str(p, 'output');
  if (p.args.length === 0) throw new DockerError(`"docker save" requires at least 1 argument.\nSee 'docker save --help'.`, 1);
  if (file === undefined) throw new DockerError('cowardly refusing to save to a terminal. Use the -o flag or redirect', 1);
  if (!ctx.io.writeFile) throw new DockerError('save: no files can be written here', 1);
  const tar = await ctx.d.images.save(p.args);
  await ctx.io.writeFile(file, tar);
  return 0;
}
