import { familiarString, parseReference } from '../../common/oci/reference.js';
import type { PullEvent } from '../../runtime/images.js';
import type { Ctx } from '../context.js';
import type { CommandDef } from '../command.js';
import type { Parsed } from '../flags.js';

/** Docker's sizes (go-units HumanSize: decimal, 4 significant digits): 1.235MB, 512B. */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${Number(n.toPrecision(4))}${units[i]}`;
}

/** `[=====>          ]  1.2MB/3.4MB`, as docker draws a download. */
export function progressBar(current: number, total: number): string {
  const pct = Math.min(50, Math.floor((current / total) * 100) / 2) | 0;
  return `[${'='.repeat(pct)}>${' '.repeat(50 - pct)}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/**
 * Prints pull progress the way docker does: on a terminal one line per layer
 * redrawn in place (with download bars); otherwise each status change as a
 * line of its own, the download's progress left out.
 */
export function pullPrinter(ctx: Ctx, input: string): (e: PullEvent) => void {
  const tty = ctx.io.terminal !== undefined && ctx.io.outIsTerminal !== false;
  const rows: string[] = [];
  const line = (id: string, text: string) => {
    const i = rows.indexOf(id);
    if (i < 0) {
      rows.push(id);
      ctx.io.out(`${id}: ${text}\n`);
      return;
    }
    const up = rows.length - i;
    ctx.io.out(`\x1b[${up}A\r\x1b[2K${id}: ${text}\r\x1b[${up}B`);
  };
  return (e) => {
    if (e.kind === 'resolving') {
      const r = parseReference(input);
      if (!input.includes(':') && !input.includes('@')) ctx.io.out('Using default tag: latest\n');
      ctx.io.out(`${r.tag ?? r.digest}: Pulling from ${r.path}\n`);
    } else if (e.kind === 'layer') {
      if (e.status === 'Downloading') {
        if (tty && e.current !== undefined && e.total) line(e.id, `Downloading ${progressBar(e.current, e.total)}`);
      } else if (tty) line(e.id, e.status);
      else ctx.io.out(`${e.id}: ${e.status}\n`);
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
  let digest = '';
  const print = pullPrinter(ctx, input);
  await ctx.d.pull(
    input,
    (e) => {
      if (e.kind === 'done') {
        upToDate = e.upToDate;
        digest = e.digest;
      }
      if (!quiet) print(e);
    },
    ctx.signal,
  );
  const r = parseReference(input);
  if (!quiet) {
    ctx.io.out(`Digest: ${digest}\n`);
    ctx.io.out(upToDate ? `Status: Image is up to date for ${familiarString(r)}\n` : `Status: Downloaded newer image for ${familiarString(r)}\n`);
  }
  ctx.io.out(`${r.domain}/${r.path}${r.tag ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}\n`);
  return 0;
}
