import { push as pushImage, type PushEvent } from '../../runtime/push.js';
import type { Ctx } from '../context.js';
import type { CommandDef } from '../command.js';
import type { Parsed } from '../flags.js';

/** Push progress as docker prints it (terminal: lines redrawn in place; otherwise one line per change). */
function pushPrinter(ctx: Ctx): (e: PushEvent) => void {
  const tty = ctx.io.terminal !== undefined && ctx.io.outIsTerminal !== false;
  const rows: string[] = [];
  const line = (id: string, text: string) => {
    const i = rows.indexOf(id);
    if (!tty || i < 0) {
      if (i < 0) rows.push(id);
      ctx.io.out(`${id}: ${text}\n`);
      return;
    }
    const up = rows.length - i;
    ctx.io.out(`\x1b[${up}A\r\x1b[2K${id}: ${text}\r\x1b[${up}B`);
  };
  return (e) => {
    if (e.kind === 'start') ctx.io.out(`The push refers to repository [${e.repository}]\n`);
    else if (e.kind === 'layer') line(e.id, e.status);
    else ctx.io.out(`${e.tag}: digest: ${e.digest} size: ${e.size}\n`);
  };
}

export const push: CommandDef = {
  names: ['image push', 'push'],
  usage: '[OPTIONS] NAME[:TAG]',
  description: 'Upload an image to a registry',
  flags: [{ long: 'quiet', short: 'q', kind: 'bool', description: 'Suppress verbose output' }],
  args: { min: 1, max: 1 },
  operands: ['image'],
  run: pushImageCommand,
};

async function pushImageCommand(ctx: Ctx, p: Parsed): Promise<number> {
  const input = p.args[0]!;
  const quiet = p.flags.get('quiet') === true;
  if (!quiet && !/:[\w][\w.-]*$/.test(input.slice(input.lastIndexOf('/')))) ctx.io.out('Using default tag: latest\n');
  const print = pushPrinter(ctx);
  await pushImage(ctx.d.images, ctx.d.registries.client, input, quiet ? () => {} : print, ctx.signal);
  if (quiet) ctx.io.out(`${input}\n`);
  return 0;
}
