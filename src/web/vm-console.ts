// The "VM shell" tab: a terminal on the VM's own console (hvc0), a root
// shell outside every container, where `ps` shows all their processes.
// Opened on first show: a hidden element cannot be measured.
import type { Session } from './session.js';
import { openTerminal, type TerminalView } from './xterm-view.js';

const enc = new TextEncoder();

export class VmConsole {
  private view: TerminalView | undefined;
  private session: Session | undefined;

  constructor(private readonly el: HTMLElement) {}

  attach(session: Session): void {
    this.session = session;
    if (this.view) this.connect(this.view, session);
  }

  /** Call when the tab becomes visible. */
  show(): void {
    if (!this.view) {
      this.view = openTerminal(this.el);
      if (this.session) this.connect(this.view, this.session);
    }
    this.view.fit();
    this.view.term.focus();
  }

  text(): string {
    return this.view?.text() ?? '';
  }

  private connect(view: TerminalView, session: Session): void {
    const vm = session.d.backend;
    const term = view.term;
    session.onConsole((data) => term.write(data));
    term.onData((d) => void vm.consoleWrite(0, enc.encode(d)));
    term.onResize(({ cols, rows }) => void vm.resizeConsole(0, cols, rows));
    void vm.resizeConsole(0, term.cols, term.rows);
    // a fresh prompt at the new size
    void vm.consoleWrite(0, enc.encode('\n'));
  }
}
