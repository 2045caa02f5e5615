// An xterm.js terminal that fills its element and follows its size
// (FitAddon on every size change of the element: window resizes, panels,
// tabs becoming visible). xterm 6 renders with the DOM renderer.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';

export interface TerminalView {
  term: Terminal;
  /** refits now (e.g. after the element became visible) */
  fit(): void;
  /** everything in the buffer, scrollback included, as plain lines */
  text(): string;
  dispose(): void;
}

export const THEME = {
  background: '#0f1419',
  foreground: '#d8dee4',
  cursor: '#8bd5ca',
  selectionBackground: '#3a4a5a',
  scrollbarSliderBackground: 'rgba(138, 152, 168, 0.18)',
  scrollbarSliderHoverBackground: 'rgba(138, 152, 168, 0.35)',
  scrollbarSliderActiveBackground: 'rgba(138, 152, 168, 0.45)',
  black: '#1d232a',
  brightBlack: '#5c6773',
  cyan: '#5ccfe6',
  brightCyan: '#95e6cb',
  blue: '#59c2ff',
  green: '#aad94c',
  red: '#f07178',
  yellow: '#e6b450',
};

export function openTerminal(el: HTMLElement, opts: { fontSize?: number; scrollback?: number } = {}): TerminalView {
  const term = new Terminal({
    cursorBlink: true,
    fontSize: opts.fontSize ?? 14,
    fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
    scrollback: opts.scrollback ?? 5000,
    theme: THEME,
    allowProposedApi: false,
  });
  // Ctrl-C with text selected copies it, as in desktop terminals; without a selection it is ^C
  term.attachCustomKeyEventHandler((ev) => {
    if (ev.type === 'keydown' && ev.ctrlKey && !ev.altKey && ev.key.toLowerCase() === 'c' && term.hasSelection()) {
      void navigator.clipboard?.writeText(term.getSelection()).catch(() => {});
      term.clearSelection();
      return false;
    }
    return true;
  });
  const fitAddon = new FitAddon();
  term.loadAddon(fitAddon);
  term.open(el);
  const fit = () => {
    // a hidden element measures 0: keep the size it had
    if (el.offsetWidth === 0 || el.offsetHeight === 0) return;
    try {
      fitAddon.fit();
    } catch {
      // not measurable yet
    }
  };
  let frame = 0;
  const ro = new ResizeObserver(() => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(fit);
  });
  ro.observe(el);
  fit();
  return {
    term,
    fit,
    text() {
      const b = term.buffer.active;
      const lines: string[] = [];
      for (let i = 0; i < b.length; i++) {
        const line = b.getLine(i);
        if (!line) continue;
        // a wrapped row continues the line above it
        if (line.isWrapped && lines.length > 0) lines[lines.length - 1] += line.translateToString(false);
        else lines.push(line.translateToString(false));
      }
      for (let i = 0; i < lines.length; i++) lines[i] = lines[i]!.trimEnd();
      while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
      return lines.join('\n');
    },
    dispose() {
      ro.disconnect();
      term.dispose();
    },
  };
}
