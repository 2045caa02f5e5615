import { familiarString, parseReference } from '../../common/oci/reference.js';
import type { PullEvent } from '../../runtime/images.js';
import type { Ctx } from '../context.js';
import type { CommandDef } from '../command.js';
import type { Parsed } from '../flags.js';

/** Prints pull progress the way docker does (non-TTY form). */
export function pullPrinter(ctx: Ctx, input: string): (e: PullEvent) => void {
  return (e) => {
    if (e.kind === 'resolving') {
      const r = parseReference(input);
      if (!input.includes(':') && !input.includes('@')) ctx.io.out('Using default tag: latest\n');
      ctx.io.out(`${r.tag ?? r.digest}: Pulling from ${r.path}\n`);
    } else if (e.kind === 'layer' && e.status !== 'Download complete' && e.status !== 'Pulling fs layer') {
      ctx.io.out(`${e.id}: ${e.status}\n`);
    }
  };
}

export const pull: CommandDef = {
  names: ['image pull', 'pull'],
  usage: '[OPTIONS] NAME[:TAG|@DIGEST]',
  description: 'Download an image from a registry',
  flags: [{ long: 'quiet', short: 'q', kind: 'bool', description: 'Suppress verbose output' }],
  args: { min: 1, max: 1 },
  operands: ['pullable'],
  run: pullImage,
};

async function pullImage(ctx: Ctx, p: Parsed): Promise<number> {
  const input = p.args[0]!;
  const quiet = p.flags.get('quiet') === true;
  let upToDate = false;
  const print = pullPrinter(ctx, input);
  const img = await ctx.d.pull(input, (e) => {
    if (e.kind === 'done') upToDate = e.upToDate;
    if (!quiet) print(e);
  });
  const r = parseReference(input);
  if (!quiet) {
    ctx.io.out(`Digest: ${img.repoDigest.split('@')[1]}\n`);
    ctx.io.out(upToDate ? `Status: Image is up to date for ${familiarString(r)}\n` : `Status: Downloaded newer image for ${familiarString(r)}\n`);
  }
  ctx.io.out(`${r.domain}/${r.path}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}\n`);
  return 0;
}
