// The embed script: `<script type="module" src=".../embed.js">` in any page.
// - defines <dockyard-terminal> (attributes: images, command, height, autostart)
// - makes `<pre><code class="language-docker">` blocks runnable inside any
//   element marked `data-dockyard-runnable` (or call makeRunnable yourself)
// All of it shares one VM per page, started on first use; the terminal, the
// runtime and the VM client load then too (this script itself is small).
import embedCss from './embed.css?inline';
import { makeRunnable } from './runnable-blocks.js';
import { defineDockyardTerminal } from './terminal-element.js';

export { makeRunnable } from './runnable-blocks.js';
export { blockCommands } from './block-commands.js';
/** The page's shared VM and runtime (loads them; boots the VM if not up yet). */
export async function dockyard(): Promise<import('./session.js').Session> {
  const { sharedSession } = await import('./shared-session.js');
  return sharedSession();
}
export { DockyardTerminalElement } from './terminal-element.js';
export { configure } from './page-config.js';

function injectStyles(): void {
  if (document.getElementById('dockyard-embed-styles')) return;
  const style = document.createElement('style');
  style.id = 'dockyard-embed-styles';
  style.textContent = embedCss;
  document.head.prepend(style); // the page's own styles come later and win
}

function enhanceMarked(): void {
  for (const root of document.querySelectorAll<HTMLElement>('[data-dockyard-runnable]')) makeRunnable(root);
}

injectStyles();
defineDockyardTerminal();
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', enhanceMarked, { once: true });
else enhanceMarked();
