// <dockyard-terminal images="busybox,hello-world" command="docker run --rm
// hello-world" height="320px">: a docker prompt in any page. It shares the
// page's one VM; the VM starts when the user asks for it (click), or at
// once with the `autostart` attribute. Then the images are pulled and the
// command runs, typed at the prompt as a person would. The terminal and
// the runtime load on start (terminal-session.ts).
import { h } from './dom.js';
import { downloadMB } from './download-size.js';
import type { TerminalSession } from './terminal-session.js';

function cssLength(v: string | null, fallback: string): string {
  if (!v) return fallback;
  return /^\d+(\.\d+)?$/.test(v.trim()) ? `${v.trim()}px` : v;
}

export class DockyardTerminalElement extends HTMLElement {
  static readonly observedAttributes = ['height'];
  private host: HTMLElement | undefined;
  private session: TerminalSession | undefined;
  private started = false;

  connectedCallback(): void {
    if (this.host) return;
    this.host = h('div', { className: 'dockyard-terminal-host' });
    this.applyHeight();
    const start = h('button', { type: 'button', className: 'dockyard-start' }, '▶ Start Docker');
    const note = h('span', { className: 'dockyard-start-note' }, `Boots a Linux VM in this page (${downloadMB()} on first use, then cached).`);
    this.replaceChildren(this.host, h('div', { className: 'dockyard-cover' }, start, note));
    start.addEventListener('click', () => void this.start());
    if (this.hasAttribute('autostart')) void this.start();
  }

  attributeChangedCallback(): void {
    this.applyHeight();
  }

  /** The terminal's text (scrollback included), for tests and tooling. */
  screenText(): string {
    return this.session?.text() ?? '';
  }

  /** The terminal's width in columns (0 before it starts). */
  get cols(): number {
    return this.session?.cols() ?? 0;
  }

  /** Starts the VM (if this page's is not up yet) and the prompt. */
  async start(): Promise<void> {
    if (this.started || !this.host) return;
    this.started = true;
    this.dataset.state = 'starting';
    const cover = this.querySelector('.dockyard-cover');
    if (cover) cover.textContent = 'Loading…';
    try {
      const { startTerminal } = await import('./terminal-session.js');
      cover?.remove();
      const images = (this.getAttribute('images') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const command = this.getAttribute('command')?.trim();
      this.session = startTerminal(this.host, { images, ...(command ? { command } : {}), onState: (s) => (this.dataset.state = s) });
    } catch (e) {
      if (cover) cover.textContent = `Could not load the terminal: ${(e as Error).message}. Reload the page to try again.`;
      this.dataset.state = 'error';
    }
  }

  private applyHeight(): void {
    if (this.host) this.host.style.height = cssLength(this.getAttribute('height'), '22em');
  }
}

export function defineDockyardTerminal(name = 'dockyard-terminal'): void {
  if (!customElements.get(name)) customElements.define(name, DockyardTerminalElement);
}
