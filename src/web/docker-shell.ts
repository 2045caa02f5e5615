// The docker prompt in an xterm.js terminal: reads lines with the line
// editor (history, completion), runs them with the shared interpreter, and
// while a command runs hands it the terminal (`run -it` puts it in raw mode:
// every key, Ctrl-C included, goes to the container; the PTY follows the
// terminal's size).
import type { Terminal as XTerm } from '@xterm/xterm';
import type { CliIO, Ctx, Terminal } from '../cli/context.js';
import { execute, parseLine } from '../cli/interpreter.js';
import { familiarString, parseReference } from '../common/oci/reference.js';
import type { Dockyard } from '../runtime/dockyard.js';
import { columns, commonPrefix, complete, type CompletionData } from './completion.js';
import { splitKeys, keyName, isPrintable } from './keys.js';
import { LineEditor } from './line-editor.js';
import { ByteWriter } from './terminal-text.js';

export const PROMPT = '\x1b[1;36mdocker\x1b[0m$ ';

export interface ShellOptions {
  prompt?: string;
  /** lines typed before, oldest first (kept by the caller) */
  history?: string[];
  /** repositories `docker pull` can complete */
  pullable?: string[];
  /** after every command (refresh a side panel) */
  onCommandDone?: (line: string, status: number) => void;
  /** files on the user's side: load -i / save -o / --env-file, the build context, docker cp's */
  files?: Pick<CliIO, 'readFile' | 'writeFile' | 'readContext' | 'readArchive' | 'writeArchive'>;
}

interface Running {
  live: boolean;
  /** resolves when Ctrl-C abandons the command (its promise may never settle) */
  abandoned: Promise<void>;
  abandon(): void;
  raw: boolean;
  data: Set<(d: Uint8Array) => void>;
  /** cooked-mode input line (run -i without -t) */
  cooked: string;
}

const enc = new TextEncoder();

/** Leaves modes a full-screen program may have set, after it ends. */
const RESET_MODES = '\x1b[0m\x1b[?25h\x1b[?1l\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l';

export class DockerShell {
  private d: Dockyard | undefined;
  private readonly editor: LineEditor;
  private readonly prompt: string;
  private pending: string[] = [];
  private pumping = false;
  private running: Running | undefined;

  constructor(
    private readonly term: XTerm,
    private readonly o: ShellOptions = {},
  ) {
    this.prompt = o.prompt ?? PROMPT;
    this.editor = new LineEditor({ write: (s) => term.write(s), cols: () => term.cols }, o.history ?? []);
    term.onData((data) => this.input(data));
  }

  get history(): string[] {
    return this.editor.history;
  }

  /** True once a Dockyard is attached and no command is running. */
  get idle(): boolean {
    return this.d !== undefined && this.running === undefined;
  }

  /** The VM is up: show the prompt and start taking commands. */
  start(d: Dockyard, banner?: string): void {
    this.d = d;
    if (banner) this.term.write(banner.replace(/\r?\n/g, '\r\n'));
    this.showPrompt();
    void this.pump(); // keys typed while the VM was starting
  }

  /** A line from the host's side (why a container's outbound connection failed): between a command's output, or below the prompt. */
  notice(text: string): void {
    const line = `\x1b[33m${text}\x1b[0m`;
    if (this.d && !this.running) this.editor.printBelow(line);
    else this.term.write(`${this.term.buffer.active.cursorX !== 0 ? '\r\n' : ''}${line}\r\n`);
  }

  /** Types text as if the user had (e.g. "docker images\r"). */
  type(text: string): void {
    this.input(text);
  }

  private input(data: string): void {
    const r = this.running;
    if (r?.raw) {
      if (r.data.size > 0) {
        const bytes = enc.encode(data);
        for (const cb of r.data) cb(bytes);
      } else if (data.includes('\x03')) this.interrupt();
      return;
    }
    if (r && r.data.size > 0) {
      this.cookedInput(r, data);
      return;
    }
    if (r && data.includes('\x03')) {
      this.interrupt();
      return;
    }
    this.pending.push(...splitKeys(data));
    void this.pump();
  }

  /** Line discipline for a command reading stdin without a TTY (`run -i`). */
  private cookedInput(r: Running, data: string): void {
    const send = (s: string | Uint8Array) => {
      const b = typeof s === 'string' ? enc.encode(s) : s;
      for (const cb of r.data) cb(b);
    };
    for (const k of splitKeys(data)) {
      const name = keyName(k);
      if (name === 'interrupt') return this.interrupt();
      if (name === 'enter') {
        this.term.write('\r\n');
        send(`${r.cooked}\n`);
        r.cooked = '';
      } else if (name === 'eof') {
        if (r.cooked === '') send(new Uint8Array(0)); // EOF
        else send(r.cooked);
        r.cooked = '';
      } else if (name === 'backspace') {
        if (r.cooked.length > 0) {
          r.cooked = [...r.cooked].slice(0, -1).join('');
          this.term.write('\b \b');
        }
      } else if (isPrintable(k)) {
        r.cooked += k;
        this.term.write(k);
      }
    }
  }

  /** Ctrl-C while a command runs without owning the keyboard: stop waiting for it. */
  private interrupt(): void {
    const r = this.running;
    if (!r) return;
    r.live = false;
    r.data.clear();
    r.abandon();
    this.running = undefined;
    this.term.write(`${r.raw ? RESET_MODES : ''}^C\r\n`);
    this.showPrompt();
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.pending.length > 0 && this.idle && this.editor.editing) {
        const k = this.pending.shift()!;
        const res = this.editor.key(k);
        if (res.kind === 'submit') await this.runLine(res.line);
        else if (res.kind === 'cancel') this.showPrompt();
        else if (res.kind === 'clear') this.clearScreen();
        else if (res.kind === 'complete') await this.complete();
      }
    } finally {
      this.pumping = false;
    }
  }

  private showPrompt(): void {
    this.editor.begin(this.prompt);
  }

  private clearScreen(): void {
    this.term.clear();
    this.term.write('\x1b[H\x1b[2J');
    this.editor.reprint();
  }

  private async complete(): Promise<void> {
    const data = await this.completionData().catch((): CompletionData => ({ images: [], pullable: this.o.pullable ?? [], containers: [] }));
    const c = complete(this.editor.beforeCursor, data);
    if (c.candidates.length === 1) {
      this.editor.insert(`${c.candidates[0]!.slice(c.word.length)} `);
    } else if (c.candidates.length > 1) {
      const p = commonPrefix(c.candidates);
      if (p.length > c.word.length) this.editor.insert(p.slice(c.word.length));
      else this.editor.printBelow(columns(c.candidates, this.term.cols));
    }
  }

  private async completionData(): Promise<CompletionData> {
    const d = this.d!;
    const [images, containers] = await Promise.all([d.images.list(), d.containers.list()]);
    return {
      images: images.map((i) => {
        try {
          return familiarString(parseReference(i.name));
        } catch {
          return i.name;
        }
      }),
      pullable: this.o.pullable ?? [],
      containers: containers.map((c) => ({ name: c.name, id: c.id, running: c.status === 'running' })),
    };
  }

  private async runLine(line: string): Promise<void> {
    let argv: string[] | undefined;
    try {
      argv = parseLine(line);
    } catch (e) {
      this.term.write(`docker: ${(e as Error).message}\r\n`);
    }
    if (!argv) return this.showPrompt();
    if (argv[0] === 'exit' && argv.length <= 2) {
      // a learner's reflex from a container's shell: here there is no shell around the prompt to leave
      this.term.write("Nothing to exit: this is the page's docker prompt, not a shell.\r\nexit leaves a container's shell (docker run -it busybox sh); the VM runs\r\nuntil you close the tab.\r\n");
      return this.showPrompt();
    }
    if (argv.length === 1 && (argv[0] === 'clear' || argv[0] === 'cls')) {
      this.term.clear();
      this.term.write('\x1b[H\x1b[2J');
      return this.showPrompt();
    }
    let abandon = () => {};
    // Ctrl-C also cancels what listens (a pull stops and keeps nothing)
    const interrupted = new AbortController();
    const abandoned = new Promise<void>((resolve) => (abandon = () => (interrupted.abort(), resolve())));
    const r: Running = { live: true, abandoned, abandon, raw: false, data: new Set(), cooked: '' };
    this.running = r;
    const ctx: Ctx = { d: this.d!, io: this.commandIO(r), signal: interrupted.signal };
    let status = 1;
    try {
      // Ctrl-C stops the wait, not the command (`logs -f` may never end)
      status = (await Promise.race([execute(ctx, argv), abandoned])) ?? 130;
    } catch (e) {
      if (r.live) this.term.write(`docker: ${(e as Error).message}\r\n`);
    }
    if (!r.live) return; // Ctrl-C: the prompt is already back
    this.running = undefined;
    // the prompt starts at a line's start, whatever the output ended with
    await new Promise<void>((resolve) => this.term.write('', resolve));
    if (this.term.buffer.active.cursorX !== 0) this.term.write('\r\n');
    this.o.onCommandDone?.(line, status);
    this.showPrompt();
  }

  private commandIO(r: Running): CliIO {
    const out = new ByteWriter((s) => this.term.write(s));
    const err = new ByteWriter((s) => this.term.write(s));
    const term = this.term;
    const terminal: Terminal = {
      get cols() {
        return term.cols;
      },
      get rows() {
        return term.rows;
      },
      setRaw: (on) => {
        if (!r.live) return;
        r.raw = on;
        if (!on) term.write(`${term.buffer.active.type === 'alternate' ? '\x1b[?1049l' : ''}${RESET_MODES}`);
      },
      onData: (cb) => {
        if (!r.live) return () => {};
        r.data.add(cb);
        return () => r.data.delete(cb);
      },
      onResize: (cb) => {
        const sub = term.onResize(({ cols, rows }) => {
          if (r.live) cb(cols, rows);
        });
        return () => sub.dispose();
      },
    };
    return {
      out: (s) => r.live && out.write(s, r.raw),
      err: (s) => r.live && err.write(s, r.raw),
      terminal,
      env: {},
      ...this.o.files,
    };
  }
}
