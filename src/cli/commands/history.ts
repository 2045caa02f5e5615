import type { Ctx } from '../context.js';
import { bool, parseFlags } from '../flags.js';
import { ago, humanSize, table } from '../format.js';

/** `docker history IMAGE`: the image's config history, newest first, with layer sizes. */
export async function history(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseFlags(argv, [
    { long: 'no-trunc', kind: 'bool' },
    { long: 'quiet', short: 'q', kind: 'bool' },
    { long: 'human', short: 'H', kind: 'bool' },
  ]);
  if (p.args.length !== 1) {
    ctx.io.err(`"docker history" requires exactly 1 argument.\nSee 'docker history --help'.\n`);
    return 1;
  }
  const rows = await ctx.d.images.history(p.args[0]!);
  const full = bool(p, 'no-trunc');
  const human = p.flags.get('human') !== false;
  const id = (s: string) => (s === '<missing>' || full ? s : s.slice(7, 19));
  if (bool(p, 'quiet')) {
    ctx.io.out(rows.map((r) => `${id(r.id)}\n`).join(''));
    return 0;
  }
  const by = (s: string) => (full || s.length <= 45 ? s : `${s.slice(0, 44)}…`);
  ctx.io.out(
    table(
      ['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT'],
      rows.map((r) => [id(r.id), r.created ? (human ? ago(Date.parse(r.created)) : r.created) : 'N/A', by(r.createdBy), human ? humanSize(r.size) : String(r.size), r.comment]),
    ),
  );
  return 0;
}
