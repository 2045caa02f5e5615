// What a runnable docker block runs: its command lines.

/** The commands of a block: `$ ` prompts stripped, `\\` continuations joined, comments skipped. */
export function blockCommands(text: string): string[] {
  const raw = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  const prompted = raw.some((l) => /^\s*\$ /.test(l));
  const out: string[] = [];
  for (const l of raw) {
    if (prompted && !/^\s*\$ /.test(l)) continue; // a transcript: the rest is output
    const line = l.replace(/^\s*\$ /, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    out.push(line);
  }
  return out;
}
