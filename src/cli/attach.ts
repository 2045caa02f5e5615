// Connects a running process to the user: output to their streams; with a
// terminal and -t, raw keystrokes in and window resizes through.
import type { Attached } from '../runtime/containers.js';
import type { Ctx } from './context.js';

export async function attachTo(ctx: Ctx, proc: Attached, o: { tty: boolean; interactive: boolean }): Promise<number> {
  const term = ctx.io.terminal;
  const undo: Array<() => void> = [];
  if (term && o.interactive) {
    if (o.tty) {
      term.setRaw(true);
      undo.push(() => term.setRaw(false));
      undo.push(term.onResize((cols, rows) => void proc.resize(cols, rows).catch(() => {})));
      await proc.resize(term.cols, term.rows).catch(() => {});
    }
    undo.push(term.onData((d) => void proc.write(d).catch(() => {})));
  } else if (o.interactive) {
    await proc.closeStdin();
  }
  try {
    const s = await proc.exit;
    return s.exitCode;
  } finally {
    for (const f of undo.reverse()) f();
  }
}
