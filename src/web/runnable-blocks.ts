// Turns `<pre><code class="language-docker">` blocks into runnable ones: a
// Run button, the output under the block. Every block of the page shares one
// VM (booted on the first Run) and runs in order, so `docker pull` in one
// block serves `docker run` in the next. This part is light: the runtime,
// the VM client and the interpreter load on the first Run (block-runner.ts).
import { blockCommands } from './block-commands.js';
import { blockFile, FILE_SELECTOR, type BlockFile } from './block-files.js';
import { h } from './dom.js';
import { downloadMB } from './download-size.js';
import { inOrder } from './page-queue.js';

export const BLOCK_SELECTOR = 'pre > code.language-docker';

/** Where a block's run shows itself. */
export interface BlockView {
  setState(state: 'starting' | 'running' | 'done' | 'failed' | 'error', status: string): void;
  /** text as the user would see it (escape sequences already removed) */
  append(text: string, kind: 'prompt' | 'stdout' | 'stderr'): void;
}

function enhance(code: HTMLElement, files: BlockFile[]): void {
  const pre = code.parentElement!;
  const commands = blockCommands(code.textContent ?? '');
  if (commands.length === 0) return;
  const button = h('button', { type: 'button', className: 'dockyard-run', title: 'Run these commands in the Linux VM in this page' }, '▶ Run');
  const status = h('span', { className: 'dockyard-status' });
  const output = h('pre', { className: 'dockyard-output', 'aria-live': 'polite' });
  output.hidden = true;
  const block = h('div', { className: 'dockyard-block', dataset: { state: 'idle' } }, h('div', { className: 'dockyard-toolbar' }, button, status), output);
  pre.after(block);
  pre.classList.add('dockyard-code');
  code.dataset.dockyard = 'runnable';
  if (files.length > 0) {
    block.dataset.files = files.map((f) => f.path).join(' ');
    button.title = `Run these commands in the Linux VM in this page, with ${files.map((f) => f.path).join(', ')} in the current directory`;
  }

  const view: BlockView = {
    setState(state, text) {
      block.dataset.state = state;
      status.textContent = text;
    },
    append(text, kind) {
      if (!text) return;
      const cls = `dockyard-${kind}`;
      const last = output.lastElementChild;
      if (kind !== 'prompt' && last?.className === cls) last.append(text);
      else output.append(h('span', { className: cls }, text));
    },
  };
  button.addEventListener('click', () => {
    button.disabled = true;
    output.hidden = false;
    output.replaceChildren();
    block.dataset.state = 'queued';
    status.textContent = 'Waiting for the blocks above…';
    void inOrder(async () => {
      try {
        view.setState('starting', `Starting the VM (${downloadMB()} on first use)…`);
        const { runBlock } = await import('./block-runner.js');
        await runBlock(commands, view, files);
      } catch (e) {
        view.append(`Could not run this block: ${(e as Error).message}\n`, 'stderr');
        view.setState('error', 'Could not run.');
      } finally {
        button.disabled = false;
        button.textContent = '▶ Run again';
      }
    });
  });
}

/**
 * Makes every docker block under `root` runnable (again-safe); returns how
 * many there are. A block's files are the `data-dockyard-file` elements
 * between it and the block before it.
 */
export function makeRunnable(root: ParentNode = document): number {
  let files: BlockFile[] = [];
  let n = 0;
  for (const el of root.querySelectorAll<HTMLElement>(`${FILE_SELECTOR}, ${BLOCK_SELECTOR}`)) {
    if (el.matches(FILE_SELECTOR)) {
      files.push(blockFile(el));
      continue;
    }
    n++;
    if (!el.dataset.dockyard) enhance(el, files);
    files = [];
  }
  return n;
}
