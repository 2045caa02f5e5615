// The prompt's line editor: a readline for a terminal that only knows how
// to draw. Keys in (see keys.ts), terminal output out. It tracks where the
// cursor is relative to the prompt's start, so long lines that wrap edit
// correctly. Pure logic, no DOM: unit-tested under Node.
import { isPrintable, keyName } from './keys.js';

export interface EditorOutput {
  write(s: string): void;
  /** the terminal's width now */
  cols(): number;
}

export type EditResult =
  | { kind: 'none' }
  | { kind: 'submit'; line: string }
  | { kind: 'cancel' }
  | { kind: 'clear' }
  | { kind: 'complete' }
  | { kind: 'eof' };

const NONE: EditResult = { kind: 'none' };
const SGR = /\x1b\[[0-9;]*m/g;

export function visibleWidth(s: string): number {
  return [...s.replace(SGR, '')].length;
}

export class LineEditor {
  private chars: string[] = [];
  private pos = 0;
  private prompt = '';
  private promptWidth = 0;
  /** where the terminal's cursor is, in cells from the prompt's first cell */
  private cell = 0;
  private historyIndex: number;
  private draft = '';
  private active = false;

  constructor(
    private readonly out: EditorOutput,
    readonly history: string[] = [],
    private readonly historyLimit = 500,
  ) {
    this.historyIndex = history.length;
  }

  get line(): string {
    return this.chars.join('');
  }

  get beforeCursor(): string {
    return this.chars.slice(0, this.pos).join('');
  }

  /** True between begin() and the Enter/Ctrl-C that ends the line. */
  get editing(): boolean {
    return this.active;
  }

  /** Prints the prompt (the cursor must be at a line's start) and starts a new line. */
  begin(prompt: string, initial = ''): void {
    this.prompt = prompt;
    this.promptWidth = visibleWidth(prompt);
    this.chars = [...initial];
    this.pos = this.chars.length;
    this.historyIndex = this.history.length;
    this.draft = '';
    this.active = true;
    this.reprint();
  }

  /** Draws prompt and line afresh at the cursor (at a line's start). */
  reprint(): void {
    this.cell = 0;
    this.out.write(this.prompt);
    this.cell = this.promptWidth;
    this.wrapFix();
    this.paintFrom(0);
  }

  key(k: string): EditResult {
    if (!this.active) return NONE;
    if (isPrintable(k)) {
      this.insert(k);
      return NONE;
    }
    switch (keyName(k)) {
      case 'enter': {
        const line = this.line;
        this.moveTo(this.chars.length);
        this.out.write('\r\n');
        this.active = false;
        this.remember(line);
        return { kind: 'submit', line };
      }
      case 'interrupt':
        this.moveTo(this.chars.length);
        this.out.write('^C\r\n');
        this.active = false;
        return { kind: 'cancel' };
      case 'eof':
        if (this.chars.length === 0) return { kind: 'eof' };
        this.deleteRange(this.pos, this.pos + 1);
        return NONE;
      case 'clear':
        return { kind: 'clear' };
      case 'tab':
        return { kind: 'complete' };
      case 'backspace':
        if (this.pos > 0) this.deleteRange(this.pos - 1, this.pos);
        return NONE;
      case 'delete':
        this.deleteRange(this.pos, this.pos + 1);
        return NONE;
      case 'left':
        this.moveTo(Math.max(0, this.pos - 1));
        return NONE;
      case 'right':
        this.moveTo(Math.min(this.chars.length, this.pos + 1));
        return NONE;
      case 'home':
        this.moveTo(0);
        return NONE;
      case 'end':
        this.moveTo(this.chars.length);
        return NONE;
      case 'wordLeft':
        this.moveTo(this.wordStart());
        return NONE;
      case 'wordRight':
        this.moveTo(this.wordEnd());
        return NONE;
      case 'killLine':
        this.deleteRange(0, this.pos);
        return NONE;
      case 'killToEnd':
        this.deleteRange(this.pos, this.chars.length);
        return NONE;
      case 'killWord':
        this.deleteRange(this.wordStart(), this.pos);
        return NONE;
      case 'up':
        this.historyStep(-1);
        return NONE;
      case 'down':
        this.historyStep(1);
        return NONE;
      default:
        return NONE; // unknown keys are ignored, never typed
    }
  }

  /** Types text at the cursor (completion, paste). */
  insert(text: string): void {
    const add = [...text].filter((c) => isPrintable(c));
    if (add.length === 0) return;
    const atEnd = this.pos === this.chars.length;
    this.chars.splice(this.pos, 0, ...add);
    this.pos += add.length;
    if (atEnd) {
      this.out.write(add.join(''));
      this.cell += add.length;
      this.wrapFix();
    } else {
      this.paintFrom(this.pos - add.length);
    }
  }

  /** Replaces the whole line. */
  setLine(text: string): void {
    this.chars = [...text];
    this.pos = this.chars.length;
    this.paintFrom(0);
  }

  /** Prints lines below the input (completion candidates), then the prompt again. */
  printBelow(text: string): void {
    this.moveTo(this.chars.length);
    this.out.write(`\r\n${text.replace(/\r?\n/g, '\r\n')}${text.endsWith('\n') ? '' : '\r\n'}`);
    this.reprint();
  }

  /** Leaves the line (e.g. output arrives for someone else): cursor to the next line's start. */
  end(): void {
    if (!this.active) return;
    this.moveTo(this.chars.length);
    this.out.write('\r\n');
    this.active = false;
  }

  private remember(line: string): void {
    if (line.trim() === '' || this.history[this.history.length - 1] === line) return;
    this.history.push(line);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
  }

  private historyStep(dir: 1 | -1): void {
    const next = this.historyIndex + dir;
    if (next < 0 || next > this.history.length) return;
    if (this.historyIndex === this.history.length) this.draft = this.line;
    this.historyIndex = next;
    this.setLine(next === this.history.length ? this.draft : this.history[next]!);
  }

  private wordStart(): number {
    let i = this.pos;
    while (i > 0 && this.chars[i - 1] === ' ') i--;
    while (i > 0 && this.chars[i - 1] !== ' ') i--;
    return i;
  }

  private wordEnd(): number {
    let i = this.pos;
    while (i < this.chars.length && this.chars[i] === ' ') i++;
    while (i < this.chars.length && this.chars[i] !== ' ') i++;
    return i;
  }

  private deleteRange(from: number, to: number): void {
    if (from >= to || from < 0 || to > this.chars.length) return;
    this.chars.splice(from, to - from);
    this.pos = from;
    this.paintFrom(from);
  }

  /** Redraws from character `from` to the end, then puts the cursor at `pos`. */
  private paintFrom(from: number): void {
    this.moveCursorToCell(this.promptWidth + from);
    this.out.write(`\x1b[J${this.chars.slice(from).join('')}`);
    this.cell = this.promptWidth + this.chars.length;
    this.wrapFix();
    this.moveTo(this.pos);
  }

  /**
   * A line that exactly fills the width leaves the cursor "pending wrap" on
   * the last column; write a space and return so it really is on the next
   * row, where the arithmetic below expects it.
   */
  private wrapFix(): void {
    const cols = this.out.cols();
    if (this.cell > 0 && this.cell % cols === 0) this.out.write(' \r');
  }

  private moveTo(pos: number): void {
    this.pos = pos;
    this.moveCursorToCell(this.promptWidth + pos);
  }

  private moveCursorToCell(target: number): void {
    const cols = this.out.cols();
    const dy = Math.floor(target / cols) - Math.floor(this.cell / cols);
    let s = dy < 0 ? `\x1b[${-dy}A` : dy > 0 ? `\x1b[${dy}B` : '';
    s += `\x1b[${(target % cols) + 1}G`;
    if (target !== this.cell || dy !== 0) this.out.write(s);
    this.cell = target;
  }
}
