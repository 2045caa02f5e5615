// The working part of <dockyard-terminal>, loaded when it starts: an xterm
// with the docker prompt on the page's shared VM.
import xtermCss from '@xterm/xterm/css/xterm.css?inline';
import { coldBootNote, explain, progressText } from './boot-status.js';
import { DockerShell } from './docker-shell.js';
import { manifest } from './download-size.js';
import { onSharedProgress, sharedSession } from './shared-session.js';
import { bundledRepositories } from './web-registry.js';
import { openTerminal } from './xterm-view.js';

export interface TerminalSession {
  text(): string;
  /** the terminal's width in columns */
  cols(): number;
}

function injectXtermStyles(): void {
  if (document.getElementById('dockyard-xterm-styles')) return;
  const style = document.createElement('style');
  style.id = 'dockyard-xterm-styles';
  style.textContent = xtermCss;
  document.head.prepend(style);
}

export function startTerminal(host: HTMLElement, o: { images: string[]; command?: string; onState(s: 'ready' | 'error'): void }): TerminalSession {
  injectXtermStyles();
  const view = openTerminal(host, { fontSize: 13 });
  const shell = new DockerShell(view.term, { pullable: bundledRepositories(manifest) });
  view.term.focus();
  let toldWhy = false;
  const unlisten = onSharedProgress((p) => {
    if (p.stage === 'download' && p.coldBootReason !== undefined && !toldWhy) {
      toldWhy = true;
      view.term.write(`\r\n${coldBootNote(p.coldBootReason)}\r\n`);
    }
    if (p.stage !== 'ready') view.term.write(`\r\x1b[K${progressText(p)}`);
  });
  void sharedSession().then(
    (session) => {
      unlisten();
      view.term.write('\r\x1b[K');
      shell.start(session.d, `Docker on Linux ${session.d.hello.kernel} in this page. Tab completes; \u2191 recalls.\n`);
      o.onState('ready');
      for (const img of o.images) shell.type(`docker pull ${img}\r`);
      if (o.command) shell.type(`${o.command}\r`);
    },
    (e: unknown) => {
      unlisten();
      const { message, advice } = explain(e);
      view.term.write(`\r\n\x1b[1;31mDockyard could not start:\x1b[0m ${message}\r\n${advice}\r\n`);
      o.onState('error');
    },
  );
  return { text: () => view.text(), cols: () => view.term.cols };
}
