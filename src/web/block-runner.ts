// Runs one block's commands in the page's shared VM (loaded on the first Run).
import type { CliIO } from '../cli/context.js';
import { execute, parseLine } from '../cli/interpreter.js';
import { explain, progressText } from './boot-status.js';
import type { BlockFile } from './block-files.js';
import { Project, projectIO } from './project.js';
import type { BlockView } from './runnable-blocks.js';
import { onSharedProgress, sharedSession } from './shared-session.js';
import { plainText } from './terminal-text.js';

function stream(view: BlockView, kind: 'stdout' | 'stderr'): (s: string | Uint8Array) => void {
  const dec = new TextDecoder();
  return (s) => view.append(plainText(typeof s === 'string' ? s : dec.decode(s, { stream: true })), kind);
}

const enc = new TextEncoder();

/**
 * Runs the commands in order, stopping at the first that fails (like `set
 * -e`), with the block's files as their current directory (a fresh copy each
 * Run: what `docker cp` writes there lasts for that Run).
 */
export async function runBlock(commands: string[], view: BlockView, files: BlockFile[] = []): Promise<void> {
  const unlisten = onSharedProgress((p) => view.setState('starting', progressText(p)));
  let session;
  try {
    session = await sharedSession();
  } catch (e) {
    const { message, advice } = explain(e);
    view.append(`Dockyard could not start: ${message}\n${advice}\n`, 'stderr');
    view.setState('error', 'Could not start the VM.');
    return;
  } finally {
    unlisten();
  }
  view.setState('running', 'Running…');
  const project = await Project.open(undefined);
  try {
    for (const f of files) project.writeFile(f.path, enc.encode(f.text), f.mode);
  } catch (e) {
    view.append(`This block's files: ${(e as Error).message}\n`, 'stderr');
    view.setState('error', 'Could not run.');
    return;
  }
  let exit = 0;
  for (const line of commands) {
    view.append(`$ ${line}\n`, 'prompt');
    const io: CliIO = { out: stream(view, 'stdout'), err: stream(view, 'stderr'), env: {}, ...projectIO(project) };
    try {
      const argv = parseLine(line);
      exit = argv ? await execute({ d: session.d, io }, argv) : 0;
    } catch (e) {
      io.err(`${(e as Error).message}\n`);
      exit = 1;
    }
    if (exit !== 0) break;
  }
  view.setState(exit === 0 ? 'done' : 'failed', exit === 0 ? 'Done.' : `Exit status ${exit}.`);
}
