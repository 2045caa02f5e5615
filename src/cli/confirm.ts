// docker's [y/N] questions: asked on the user's terminal; without one the
// answer is no, as docker reads EOF from a closed stdin.
import type { Ctx } from './context.js';

export function confirm(ctx: Ctx, question: string): Promise<boolean> {
  ctx.io.out(question);
  const term = ctx.io.terminal;
  if (!term) {
    ctx.io.out('\n');
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    let line = '';
    const off = term.onData((d) => {
      for (const b of d) {
        if (b === 0x0d || b === 0x0a || b === 0x03 || b === 0x04) {
          off();
          ctx.io.out('\r\n');
          resolve(b !== 0x03 && b !== 0x04 && /^y(es)?$/i.test(line.trim()));
          return;
        }
        if (b === 0x7f) {
          if (line) {
            line = line.slice(0, -1);
            ctx.io.out('\b \b');
          }
        } else if (b >= 0x20) {
          line += String.fromCharCode(b);
          ctx.io.out(String.fromCharCode(b));
        }
      }
    });
  });
}
