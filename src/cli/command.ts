// What a docker command is: its spellings, usage line, description, flags and
// what it does. The interpreter parses, checks the operand count, prints
// help and completes from these definitions, so help cannot drift from
// behaviour. Each file in commands/ exports its definitions; commands/index.ts
// lists them.
import type { Ctx } from './context.js';
import type { FlagSpec, Parsed } from './flags.js';

/** What an operand names, for tab completion. */
export type Operand = 'image' | 'pullable' | 'container' | 'running' | 'volume' | 'none';

export interface CommandDef {
  /**
   * Every spelling docker accepts, in the order docker's help lists them
   * under "Aliases:" (management form first): ['container ls',
   * 'container list', 'container ps', 'ps']. A one-word name is a top-level
   * command; 'GROUP SUB' belongs to the management command GROUP.
   */
  names: readonly string[];
  /** what follows the name on docker's usage line: '[OPTIONS] IMAGE [COMMAND] [ARG...]' */
  usage: string;
  /** docker's one-line description */
  description: string;
  flags: readonly FlagSpec[];
  /** how many operands docker accepts (its "requires at least 1 argument" check); no bound when absent */
  args?: { min?: number; max?: number };
  /** flags end at the first operand: the rest is the container's command (run, exec) */
  stopAtPositional?: boolean;
  /** what each operand is, for completion; the last repeats */
  operands?: readonly Operand[];
  /** docker exits 125 for its own errors in these (run, create) and prefixes "docker: " */
  runLike?: boolean;
  run(ctx: Ctx, p: Parsed): Promise<number>;
}

