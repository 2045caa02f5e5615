import { UnreachableError, type SearchResult } from '../../runtime/distribution.js';
import { DockerError } from '../../runtime/errors.js';
import type { CommandDef } from '../command.js';
import type { Ctx } from '../context.js';
import { bool, list, str, type Parsed } from '../flags.js';
import { table } from '../format.js';

/** docker's description column: 45 characters, then an ellipsis. */
function ellipsis(s: string, max = 45): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** docker search's --filter: stars=N, is-official=true|false. */
function filterOf(filters: string[]): (r: SearchResult) => boolean {
  const tests = filters.map((f) => {
    const [k, v] = f.split('=', 2) as [string, string | undefined];
    if (k === 'stars') {
      const n = Number(v);
      if (!Number.isInteger(n)) throw new DockerError(`invalid filter 'stars=${v ?? ''}'`, 1);
      return (r: SearchResult) => r.stars >= n;
    }
    if (k === 'is-official') {
      if (v !== 'true' && v !== 'false') throw new DockerError(`invalid filter 'is-official=${v ?? ''}'`, 1);
      return (r: SearchResult) => r.official === (v === 'true');
    }
    throw new DockerError(`invalid filter '${k}'`, 1);
  });
  return (r) => tests.every((t) => t(r));
}

export const search: CommandDef = {
  names: ['search'],
  usage: '[OPTIONS] TERM',
  description: 'Search Docker Hub for images',
  flags: [
    { long: 'filter', short: 'f', kind: 'list', type: 'filter', description: 'Filter output based on conditions provided' },
    { long: 'limit', kind: 'string', type: 'int', description: 'Max number of search results' },
    { long: 'no-trunc', kind: 'bool', description: "Don't truncate output" },
  ],
  args: { min: 1, max: 1 },
  operands: ['none'],
  run: searchHub,
};

async function searchHub(ctx: Ctx, p: Parsed): Promise<number> {
  const term = p.args[0]!;
  const limitArg = str(p, 'limit') ?? '25';
  const limit = Number(limitArg);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new DockerError(`limit ${limitArg} is outside the range of [1, 100]`, 1);
  const keep = filterOf(list(p, 'filter'));
  let results: SearchResult[];
  try {
    results = await ctx.d.registries.client.search(term, limit, ctx.signal);
  } catch (e) {
    if (!(e instanceof UnreachableError)) throw e;
    // offline (or a page Docker Hub sends no CORS headers to): what is bundled here
    ctx.io.err(`Docker Hub cannot be reached (${e.message}); searching the images bundled with Dockyard\n`);
    const t = term.toLowerCase();
    results = (ctx.d.registry.runnable ?? [])
      .filter((n) => n.includes(t))
      .map((name) => ({ name, description: ctx.d.registry.describe?.(name) ?? 'Bundled with Dockyard: linux/386, offline', stars: 0, official: !name.includes('/') }));
  }
  const rows = results.filter(keep).slice(0, limit);
  const noTrunc = bool(p, 'no-trunc');
  ctx.io.out(table(['NAME', 'DESCRIPTION', 'STARS', 'OFFICIAL'], rows.map((r) => [r.name, noTrunc ? r.description : ellipsis(r.description), String(r.stars), r.official ? '[OK]' : ''])));
  return 0;
}
