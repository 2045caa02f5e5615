import type { CommandDef } from '../command.js';
import type { Ctx } from '../context.js';
import { bool, type Parsed } from '../flags.js';
import { ago, humanSize, table } from '../format.js';

/** `docker history IMAGE`: the image's config history, newest first, with layer sizes. */
export const history: CommandDef = {
  names: ['image history', 'history'],
  usage: '[OPTIONS] IMAGE',
  description: 'Show the history of an image',
  flags: [
    { long: 'human', short: 'H', kind: 'bool', description: 'Print sizes and dates in human readable format', default: 'true' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Only show image IDs' },
    { long: 'no-trunc', kind: 'bool', description: "Don't truncate output" },
  ],
  args: { min: 1, max: 1 },
  operands: ['image'],
  run: showHistory,
};

async function showHistory(ctx: Ctx, p: Parsed): Promise<number> {
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
