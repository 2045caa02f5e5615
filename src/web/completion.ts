// Tab completion for docker command lines: subcommands, flags, image names
// and container names/ids, by position, from the interpreter's command
// table. Pure: the caller fetches the lists.
import type { CommandDef, Operand } from '../cli/command.js';
import { COMMANDS } from '../cli/commands/index.js';
import type { FlagSpec } from '../cli/flags.js';

export interface CompletionData {
  /** familiar image names with tags ("busybox:latest") */
  images: string[];
  /** repositories the bundled registry can pull ("busybox") */
  pullable: string[];
  containers: Array<{ name: string; id: string; running: boolean }>;
  volumes?: string[];
}

export interface Completion {
  /** index in the text before the cursor where the completed word starts */
  from: number;
  /** the word so far */
  word: string;
  candidates: string[];
}

/** Top-level spellings and each management command's subcommands, from the interpreter's table. */
const TOP = new Map<string, CommandDef>();
const GROUPED = new Map<string, Map<string, CommandDef>>();
/** what is offered after `docker image `: each command's first spelling there ('ls', not also 'list') */
const OFFERED = new Map<string, string[]>();
for (const def of COMMANDS) {
  for (const n of def.names) {
    const [a, b] = n.split(' ') as [string, string | undefined];
    if (b === undefined) TOP.set(a, def);
    else {
      if (!GROUPED.has(a)) GROUPED.set(a, new Map());
      if (![...GROUPED.get(a)!.values()].includes(def)) OFFERED.set(a, [...(OFFERED.get(a) ?? []), b]);
      GROUPED.get(a)!.set(b, def);
    }
  }
}

export const SUBCOMMANDS = [...TOP.keys(), ...GROUPED.keys(), 'help'].sort();

function flagWords(specs: readonly FlagSpec[]): string[] {
  const out: string[] = [];
  for (const f of specs) {
    out.push(`--${f.long}`);
    if (f.short) out.push(`-${f.short}`);
  }
  return out.sort();
}

/** Does this flag word consume the next word as its value? */
function takesValue(word: string, specs: readonly FlagSpec[]): boolean {
  if (word.startsWith('--')) {
    if (word.includes('=')) return false;
    return specs.find((f) => f.long === word.slice(2))?.kind !== 'bool';
  }
  // -it, -e: a cluster whose last letter takes a value, written without one
  const last = word[word.length - 1]!;
  const spec = specs.find((f) => f.short === last);
  return spec !== undefined && spec.kind !== 'bool';
}

/** "busybox:latest" is offered as plain "busybox" (one candidate, not two); other tags in full. */
function imageNames(images: string[]): string[] {
  return [...new Set(images.map((i) => i.replace(/:latest$/, '')))].sort();
}

function candidatesFor(arg: Operand, data: CompletionData): string[] {
  switch (arg) {
    case 'image':
      return imageNames(data.images);
    case 'pullable':
      return [...new Set([...data.pullable, ...imageNames(data.images)])].sort();
    case 'container':
    case 'running': {
      const cs = data.containers.filter((c) => arg === 'container' || c.running);
      return [...cs.map((c) => c.name), ...cs.map((c) => c.id.slice(0, 12))].sort();
    }
    case 'volume':
      return [...(data.volumes ?? [])].sort();
    case 'none':
      return [];
  }
}

/** Completes the last word of `before` (the line up to the cursor). */
export function complete(before: string, data: CompletionData): Completion {
  const m = /(\S*)$/.exec(before)!;
  const word = m[1]!;
  const from = before.length - word.length;
  let words = before.slice(0, from).trim().split(/\s+/).filter(Boolean);
  const result = (candidates: string[]): Completion => ({ from, word, candidates: candidates.filter((c) => c.startsWith(word)) });
  if (words[0] === 'docker') words = words.slice(1);
  else if (words.length === 0 && 'docker'.startsWith(word) && word !== '') return result(['docker', ...SUBCOMMANDS]);
  if (words.length === 0) return result(SUBCOMMANDS);
  let spec = TOP.get(words[0]!);
  let rest = words.slice(1);
  const group = GROUPED.get(words[0]!);
  if (group) {
    if (rest.length === 0) return result([...OFFERED.get(words[0]!)!].sort());
    spec = group.get(rest[0]!);
    rest = rest.slice(1);
  }
  if (!spec) return result([]);
  // walk the words so far to find which positional the cursor is at
  let positional = 0;
  let sawPositional = false;
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (w.startsWith('-') && w.length > 1 && !(spec.stopAtPositional && sawPositional)) {
      if (takesValue(w, spec.flags)) {
        i++;
        if (i === rest.length) return result([]); // the cursor is at a flag's value
      }
      continue;
    }
    sawPositional = true;
    positional++;
  }
  if (word.startsWith('-') && !(spec.stopAtPositional && sawPositional)) return result(flagWords(spec.flags));
  const operands = spec.operands ?? ['none'];
  const arg = operands[Math.min(positional, operands.length - 1)]!;
  return result(candidatesFor(arg, data));
}

export function commonPrefix(words: string[]): string {
  if (words.length === 0) return '';
  let p = words[0]!;
  for (const w of words) while (!w.startsWith(p)) p = p.slice(0, -1);
  return p;
}

/** Lays words out in columns for a terminal `cols` wide. */
export function columns(words: string[], cols: number): string {
  const w = Math.max(...words.map((x) => x.length)) + 2;
  const per = Math.max(1, Math.floor(cols / w));
  const lines: string[] = [];
  for (let i = 0; i < words.length; i += per) lines.push(words.slice(i, i + per).map((x) => x.padEnd(w)).join('').trimEnd());
  return lines.join('\n');
}
