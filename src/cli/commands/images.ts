import { familiarName, parseReference } from '../../common/oci/reference.js';
import type { Ctx } from '../context.js';
import { bool, parseFlags } from '../flags.js';
import { ago, humanSize, table } from '../format.js';

export async function images(ctx: Ctx, argv: string[]): Promise<number> {
  const p = parseFlags(argv, [{ long: 'quiet', short: 'q', kind: 'bool' }, { long: 'all', short: 'a', kind: 'bool' }]);
  const list = await ctx.d.images.list();
  const rows = list.map((img) => {
    const r = parseReference(img.name);
    return { repo: familiarName(r), tag: r.tag ?? '<none>', id: img.id.slice(7, 19), created: img.created ? Date.parse(img.created) : 0, size: img.size };
  });
  rows.sort((a, b) => b.created - a.created || a.repo.localeCompare(b.repo));
  if (bool(p, 'quiet')) {
    ctx.io.out([...new Set(rows.map((r) => r.id))].map((id) => `${id}\n`).join(''));
    return 0;
  }
  ctx.io.out(table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows.map((r) => [r.repo, r.tag, r.id, r.created ? ago(r.created) : 'N/A', humanSize(r.size)])));
  return 0;
}
