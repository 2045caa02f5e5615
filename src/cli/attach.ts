// Connects a running process to the user: output to their streams; with a
// terminal and -t, raw keystrokes in and window resizes through; with -i and
// piped stdin, that stream in (then EOF), read only as fast as the process
// takes it.
import type { Attached } from '../runtime/containers.js';
import type { Ctx, Input } from './context.js';

/**
 * Copies `input` to the process's stdin, then EOF. Each chunk is read only
 * once the previous one was accepted (proc.write resolves within the
 * request's stdin window), so a process that does not read holds the reader
 * back. Stops quietly when the process exits first (its write rejects).
 */
async function pipeIn(input: Input, proc: Attached, exited: Promise<unknown>): Promise<void> {
  let done = false;
  void exited.finally(() => (done = true)).catch(() => {});
  try {
    for (;;) {
      const chunk = await input.read();
      if (done) return;
      if (chunk === null) break;
      if (chunk.length > 0) await proc.write(chunk);
    }
    await proc.closeStdin();
  } catch {
    // the process exited (or the VM went away): its status says what happened
  }
}

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
  } else if (o.interactive && ctx.io.stdin) {
    const input = ctx.io.stdin;
    void pipeIn(input, proc, proc.exit);
    undo.push(() => input.close());
  } else if (o.interactive) {
    await proc.closeStdin().catch(() => {});
  }
  try {
    const s = await proc.exit;
    return s.exitCode;
  } finally {
    for (const f of undo.reverse()) f();
  }
}
