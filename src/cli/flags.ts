// Docker-style flag parsing: `-it`, `--name x`, `--name=x`, `-e A -e B`;
// for run/exec, parsing stops at the first positional (the image).
export class FlagError extends Error {}

export interface FlagSpec {
  long: string;
  short?: string;
  kind: 'bool' | 'string' | 'list';
  /** the help line's text, in docker's words where docker has the flag */
  description: string;
  /** the value's name in help when it is not the kind's ("int", "bytes") */
  type?: string;
  /** shown as docker shows a non-zero default: `(default "no")` */
  default?: string;
}

export interface Parsed {
  flags: Map<string, string | boolean | string[]>;
  args: string[];
}

export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[], opts: { stopAtPositional?: boolean } = {}): Parsed {
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags = new Map<string, string | boolean | string[]>();
  const args: string[] = [];
  const set = (s: FlagSpec, v: string | boolean) => {
    if (s.kind === 'list') flags.set(s.long, [...((flags.get(s.long) as string[] | undefined) ?? []), v as string]);
    else flags.set(s.long, v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const s = byLong.get(name);
      if (!s) throw new FlagError(`unknown flag: --${name}`);
      if (s.kind === 'bool') {
        const v = eq < 0 ? 'true' : a.slice(eq + 1);
        if (v !== 'true' && v !== 'false') throw new FlagError(`invalid argument "${v}" for "--${name}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`);
        set(s, v === 'true');
      } else if (eq >= 0) set(s, a.slice(eq + 1));
      else {
        if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: --${name}`);
        set(s, argv[++i]!);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const ch = a[j]!;
        const s = byShort.get(ch);
        if (!s) throw new FlagError(`unknown shorthand flag: '${ch}' in ${a}`);
        if (s.kind === 'bool') {
          set(s, true);
          continue;
        }
        const rest = a.slice(j + 1).replace(/^=/, '');
        if (rest !== '') set(s, rest);
        else {
          if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: '${ch}' in -${ch}`);
          set(s, argv[++i]!);
        }
        break;
      }
      continue;
    }
    args.push(a);
    if (opts.stopAtPositional) {
      args.push(...argv.slice(i + 1));
      break;
    }
  }
  return { flags, args };
}

export const str = (p: Parsed, k: string): string | undefined => p.flags.get(k) as string | undefined;
export const bool = (p: Parsed, k: string): boolean => p.flags.get(k) === true;
export const list = (p: Parsed, k: string): string[] => (p.flags.get(k) as string[] | undefined) ?? [];
