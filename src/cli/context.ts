// What a command gets: the runtime, and the user's terminal or streams.
import type { ContextFile } from '../runtime/build.js';
import type { Dockyard } from '../runtime/dockyard.js';

/** An interactive terminal (xterm.js in a page, the TTY under Node). */
export interface Terminal {
  readonly cols: number;
  readonly rows: number;
  /** raw mode while a container owns the terminal */
  setRaw(on: boolean): void;
  onData(cb: (data: Uint8Array) => void): () => void;
  onResize(cb: (cols: number, rows: number) => void): () => void;
}

/**
 * The client's stdin when it is not a terminal and not the CLI's own script
 * (`echo hi | dockyard run -i …`): read on demand, so that a container that
 * reads slowly holds the reader back instead of filling memory.
 */
export interface Input {
  /** the next chunk, or null at EOF */
  read(): Promise<Uint8Array | null>;
  /** stops reading (the process exited first) */
  close(): void;
}

export interface CliIO {
  out(s: string | Uint8Array): void;
  err(s: string | Uint8Array): void;
  /** present when the user sits at a terminal (`-t` needs one) */
  terminal?: Terminal;
  /** false when output goes to a file or pipe though input is a terminal: progress then prints as lines */
  outIsTerminal?: boolean;
  /** piped stdin for `run -i` / `exec -i` (one-shot CLI mode) */
  stdin?: Input;
  /** files on the user's side, for `load -i` / `save -o` / `--env-file` */
  readFile?(path: string): Promise<Uint8Array>;
  writeFile?(path: string, data: Uint8Array): Promise<void>;
  /** a directory on the user's side as a build context (`docker build DIR`) */
  readContext?(path: string): Promise<ContextFile[]>;
  /** `docker cp`: a path on the user's side as a tar (its name first), and a tar written out at one */
  readArchive?(path: string): Promise<Uint8Array>;
  writeArchive?(path: string, tar: Uint8Array): Promise<void>;
  /** the client's environment, for `-e NAME` without a value */
  env?: Record<string, string | undefined>;
}

export interface Ctx {
  d: Dockyard;
  io: CliIO;
  /** aborted when the user interrupts the command (Ctrl-C): a pull stops and keeps nothing, a build stops and names nothing */
  signal?: AbortSignal;
}

export type Command = (ctx: Ctx, args: string[]) => Promise<number>;
