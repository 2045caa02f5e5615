import { familiarName, parseReference } from '../../common/oci/reference.js';
import type { Ctx } from '../context.js';
import type { CommandDef } from '../command.js';
import { bool, type Parsed } from '../flags.js';
import { ago, humanSize, table } from '../format.js';

export const images: CommandDef = {
  names: ['image ls', 'image list', 'images'],
  usage: '[OPTIONS] [REPOSITORY[:TAG]]',
  description: 'List images',
  flags: [
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Only show image IDs' },
    { long: 'all', short: 'a', kind: 'bool', description: 'Show all images (default hides intermediate and dangling images)' },
  ],
  args: { max: 1 },
  operands: ['image'],
  run: listImages,
};

async function listImages(ctx: Ctx, p: Parsed): Promise<number> {
  // `docker images REPOSITORY[:TAG]` lists only that repository (and tag)
  const arg = p.args[0];
  const want = arg === undefined ? undefined : parseReference(arg);
  // parseReference says `latest` when no tag was given: then every tag matches
  if (want && arg !== undefined && !/:[^/]*$/.test(arg)) want.tag = undefined;
  const list = (await ctx.d.images.list()).filter((img) => {
    if (!want) return true;
    const r = parseReference(img.name);
    return r.domain === want.domain && r.path === want.path && (want.tag === undefined || r.tag === want.tag);
  });
  const rows = list.map((img) => {
    const r = parseReference(img.name);
    // a dangling image (commit or build without a name) is kept as library/<id>@digest
    const dangling = r.digest !== undefined && r.path === `library/${img.id.slice(7, 19)}`;
    return { repo: dangling ? '<none>' : familiarName(r), tag: r.tag ?? '<none>', id: img.id.slice(7, 19), created: img.created ? Date.parse(img.created) : 0, size: img.size };
  });
  rows.sort((a, b) => b.created - a.created || a.repo.localeCompare(b.repo));
  if (bool(p, 'quiet')) {
    ctx.io.out([...new Set(rows.map((r) => r.id))].map((id) => `${id}\n`).join(''));
    return 0;
  }
  ctx.io.out(table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'], rows.map((r) => [r.repo, r.tag, r.id, r.created ? ago(r.created) : 'N/A', humanSize(r.size)])));
  return 0;
}
