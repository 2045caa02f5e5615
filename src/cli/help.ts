// `--help` in docker's format (its cobra templates and pflag's option table),
// generated from the command definitions.
import type { CommandDef } from './command.js';
import type { FlagSpec } from './flags.js';

/** docker's management commands; one is listed once it has a command here. */
export const GROUPS: Readonly<Record<string, string>> = {
  builder: 'Manage builds',
  container: 'Manage containers',
  image: 'Manage images',
  network: 'Manage networks',
  system: 'Manage Docker',
  volume: 'Manage volumes',
};

/** The "Common Commands" of `docker --help`, in docker's order. */
const COMMON = ['run', 'exec', 'ps', 'build', 'pull', 'push', 'images', 'login', 'logout', 'search', 'version', 'info'];

const DESCRIPTION = 'Docker in a browser tab: containers on one emulated Linux kernel.';

/** The value's name after the flag: pflag prints the type, none for a bool. */
function valueName(f: FlagSpec): string {
  return f.type ?? (f.kind === 'bool' ? '' : f.kind);
}

/**
 * pflag's FlagUsages: flags sorted by long name, `  -s, --long type` or
 * `      --long type`, descriptions aligned three columns past the longest.
 */
export function flagUsages(flags: readonly FlagSpec[]): string {
  const rows = [...flags]
    .sort((a, b) => (a.long < b.long ? -1 : a.long > b.long ? 1 : 0))
    .map((f) => {
      const v = valueName(f);
      const left = `${f.short ? `  -${f.short}, ` : '      '}--${f.long}${v ? ` ${v}` : ''}`;
      const def = f.default === undefined ? '' : ` (default ${v === 'string' ? `"${f.default}"` : f.default})`;
      return { left, right: `${f.description}${def}` };
    });
  const width = Math.max(...rows.map((r) => r.left.length));
  return rows.map((r) => `${r.left.padEnd(width + 3)}${r.right}\n`).join('');
}

/** The spellings under "Aliases:", as docker lists them. */
function aliases(def: CommandDef): string {
  return def.names.map((n) => `docker ${n}`).join(', ');
}

export function usageLine(def: CommandDef, invoked: string): string {
  return `docker ${invoked}${def.usage ? ` ${def.usage}` : ''}`;
}

/** `docker ps --help` (invoked: the spelling the user typed, as docker's Usage line shows it). */
export function commandHelp(def: CommandDef, invoked: string): string {
  let s = `\nUsage:  ${usageLine(def, invoked)}\n\n${def.description}\n`;
  if (def.names.length > 1) s += `\nAliases:\n  ${aliases(def)}\n`;
  if (def.flags.length > 0) s += `\nOptions:\n${flagUsages(def.flags)}`;
  return s;
}

/** cobra's command list: names padded to the longest (at least 11), then the description. */
function commandList(rows: Array<[string, string]>): string {
  const pad = Math.max(11, ...rows.map(([n]) => n.length)) + 1;
  return rows.map(([n, d]) => `  ${n.padEnd(pad)}${d}\n`).join('');
}

/** Each group's commands by their sub-name ('ls' for 'container ls'), from the first spelling in that group. */
function groupMembers(group: string, defs: readonly CommandDef[]): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  for (const d of defs) {
    const n = d.names.find((x) => x.startsWith(`${group} `));
    if (n) rows.push([n.slice(group.length + 1), d.description]);
  }
  return rows.sort(([a], [b]) => (a < b ? -1 : 1));
}

export function groupsIn(defs: readonly CommandDef[]): string[] {
  return Object.keys(GROUPS).filter((g) => groupMembers(g, defs).length > 0);
}

/** `docker container --help`. */
export function groupHelp(group: string, defs: readonly CommandDef[]): string {
  return `\nUsage:  docker ${group} COMMAND\n\n${GROUPS[group]}\n\nCommands:\n${commandList(groupMembers(group, defs))}\nRun 'docker ${group} COMMAND --help' for more information on a command.\n`;
}

/** `docker --help`: common commands, management commands, the other top-level commands. */
export function topHelp(defs: readonly CommandDef[]): string {
  const top = new Map<string, string>();
  for (const d of defs) for (const n of d.names) if (!n.includes(' ')) top.set(n, d.description);
  const common = COMMON.filter((n) => top.has(n)).map((n): [string, string] => [n, top.get(n)!]);
  const others = [...top].filter(([n]) => !COMMON.includes(n)).sort(([a], [b]) => (a < b ? -1 : 1));
  const groups = groupsIn(defs).map((g): [string, string] => [g, GROUPS[g]!]);
  return (
    `\nUsage:  docker COMMAND\n\n${DESCRIPTION}\n\n` +
    `Common Commands:\n${commandList(common)}\n` +
    `Management Commands:\n${commandList(groups)}\n` +
    `Commands:\n${commandList(others)}\n` +
    `Run 'docker COMMAND --help' for more information on a command.\n`
  );
}
