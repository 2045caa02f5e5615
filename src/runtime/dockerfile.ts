// The Dockerfile parser: text in, stages of checked instructions out (or a
// DockerfileError naming the line, in BuildKit's words). Pure: no I/O. What
// it follows is BuildKit's frontend/dockerfile/docs/reference.md: parser
// directives (`# syntax=` accepted and ignored, `# escape=`), comments, line
// continuations, heredocs (`<<EOF`, `<<-EOF`, quoted delimiters: no
// expansion), exec (JSON) and shell forms, per-instruction flags, and
// variable substitution ($V, ${V}, ${V:-w}, ${V-w}, ${V:+w}, ${V+w}) where
// the reference says it applies.

export class DockerfileError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line !== undefined ? `dockerfile parse error on line ${line}: ${message}` : message);
    this.name = 'DockerfileError';
  }
}

export interface Heredoc {
  name: string;
  /** the body, lines joined with \n and ending in one */
  content: string;
  /** quoted delimiter: no variable expansion */
  expand: boolean;
}

/** One instruction as written: what every kind has. */
export interface Raw {
  /** upper-case keyword */
  keyword: string;
  /** first and last line (1-based) */
  line: number;
  endLine: number;
  /** `--name=value` flags in order (`--name` alone: value 'true') */
  flags: Array<[string, string]>;
  /** the rest of the line after the flags (continuations joined) */
  rest: string;
  /** the JSON array form, when `rest` is one */
  json?: string[];
  heredocs: Heredoc[];
  /** the instruction as BuildKit shows it in progress: keyword, flags, arguments on one line */
  text: string;
}

const KNOWN = [
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL',
  'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
];
const FLAGS: Record<string, readonly string[]> = {
  FROM: ['platform'],
  RUN: ['mount', 'network', 'security'],
  COPY: ['from', 'chown', 'chmod', 'link', 'parents', 'exclude'],
  ADD: ['chown', 'chmod', 'link', 'checksum', 'keep-git-dir', 'exclude', 'unpack'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};
const HEREDOC_OK = new Set(['RUN', 'COPY', 'ADD']);

interface Line {
  text: string;
  no: number;
}

/** Parser directives: `# key=value` lines before anything else. */
function directives(lines: Line[]): { escape: string; start: number } {
  let escape = '\\';
  const seen = new Set<string>();
  let i = 0;
  for (; i < lines.length; i++) {
    const m = /^\s*#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.*?)\s*$/.exec(lines[i]!.text);
    if (!m) break;
    const key = m[1]!.toLowerCase();
    if (key !== 'syntax' && key !== 'escape' && key !== 'check') break;
    if (seen.has(key)) throw new DockerfileError(`only one ${key} parser directive can be used`, lines[i]!.no);
    seen.add(key);
    if (key === 'escape') {
      if (m[2] !== '`' && m[2] !== '\\') throw new DockerfileError(`invalid escape token '${m[2]}' does not match ${'`'} or \\`, lines[i]!.no);
      escape = m[2]!;
    }
  }
  return { escape, start: i };
}

const isComment = (s: string) => /^\s*#/.test(s);
const isBlank = (s: string) => /^\s*$/.test(s);

/** Splits the text into instructions (continuations joined, comments dropped, heredoc bodies taken). */
export function parseRaw(text: string): { instructions: Raw[]; escape: string } {
  const lines: Line[] = text.replace(/^\uFEFF/, '').split(/\r?\n/).map((t, i) => ({ text: t, no: i + 1 }));
  if (lines.length > 0 && lines[lines.length - 1]!.text === '') lines.pop();
  const { escape, start } = directives(lines);
  const cont = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  const out: Raw[] = [];
  for (let i = start; i < lines.length; ) {
    const first = lines[i]!;
    if (isBlank(first.text) || isComment(first.text)) {
      i++;
      continue;
    }
    let joined = '';
    let j = i;
    for (;;) {
      const l = lines[j]!.text;
      if (cont.test(l)) {
        joined += l.replace(cont, '');
        j++;
        // comment and blank lines inside a continuation are dropped
        while (j < lines.length && (isComment(lines[j]!.text) || isBlank(lines[j]!.text))) j++;
        if (j >= lines.length) break;
        continue;
      }
      joined += l;
      break;
    }
    const endLine = lines[Math.min(j, lines.length - 1)]!.no;
    const raw = splitInstruction(joined.trim(), first.no, endLine);
    i = j + 1;
    // heredocs: bodies follow the instruction's line, in order
    if (HEREDOC_OK.has(raw.keyword)) {
      for (const h of heredocsIn(raw.rest)) {
        const body: string[] = [];
        for (;;) {
          if (i >= lines.length) throw new DockerfileError(`unterminated heredoc ${h.name}`, first.no);
          const l = lines[i++]!.text;
          const cmp = h.strip ? l.replace(/^\t+/, '') : l;
          if (cmp === h.name) break;
          body.push(cmp);
        }
        raw.heredocs.push({ name: h.name, content: body.length ? `${body.join('\n')}\n` : '', expand: h.expand });
        raw.endLine = lines[i - 1]!.no;
      }
    }
    out.push(raw);
  }
  return { instructions: out, escape };
}

function heredocsIn(rest: string): Array<{ name: string; strip: boolean; expand: boolean }> {
  const out: Array<{ name: string; strip: boolean; expand: boolean }> = [];
  const re = /<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;
  for (let m; (m = re.exec(rest)); ) out.push({ name: m[3]!, strip: m[1] === '-', expand: m[2] === '' });
  return out;
}

function splitInstruction(line: string, no: number, endLine: number): Raw {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
  const keyword = m[1]!.toUpperCase();
  if (!KNOWN.includes(keyword)) throw new DockerfileError(`unknown instruction: ${m[1]}`, no);
  let rest = m[2]!;
  const flags: Array<[string, string]> = [];
  // flags come first: --name=value or --name
  for (;;) {
    const f = /^--([a-zA-Z][a-zA-Z0-9-]*)(=(\S*))?(\s+|$)/.exec(rest);
    if (!f) break;
    const allowed = FLAGS[keyword] ?? [];
    if (!allowed.includes(f[1]!)) throw new DockerfileError(`unknown flag: ${f[1]}`, no);
    flags.push([f[1]!, f[3] ?? 'true']);
    rest = rest.slice(f[0].length);
  }
  rest = rest.trim();
  let json: string[] | undefined;
  if (rest.startsWith('[')) {
    try {
      const v = JSON.parse(rest) as unknown;
      if (Array.isArray(v) && v.every((x) => typeof x === 'string')) json = v as string[];
    } catch {
      // not JSON: the shell form
    }
  }
  const text = [keyword, ...flags.map(([k, v]) => `--${k}=${v}`), rest].filter((s) => s !== '').join(' ');
  return { keyword, line: no, endLine, flags, rest, ...(json ? { json } : {}), heredocs: [], text };
}

// ---- variable substitution ----

/** Expands $V, ${V}, ${V:-w}, ${V-w}, ${V:+w}, ${V+w}; `escape`$ is a literal $. Quotes are kept. */
export function expand(s: string, vars: ReadonlyMap<string, string>, escape = '\\', line?: number): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === escape && s[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    if (c !== '$') {
      out += c;
      continue;
    }
    if (s[i + 1] === '{') {
      const close = matchBrace(s, i + 2);
      if (close < 0) throw new DockerfileError(`failed to process "${s}": missing '}'`, line);
      const inner = s.slice(i + 2, close);
      i = close;
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([\s\S]*))?$/.exec(inner);
      if (!m) throw new DockerfileError(`failed to process "${s}": unsupported modifier (${inner}) in substitution`, line);
      const v = vars.get(m[1]!);
      const op = m[2];
      const word = m[3] === undefined ? '' : expand(m[3], vars, escape, line);
      if (op === undefined) out += v ?? '';
      else if (op === ':-') out += v === undefined || v === '' ? word : v;
      else if (op === '-') out += v === undefined ? word : v;
      else if (op === ':+') out += v !== undefined && v !== '' ? word : '';
      else out += v !== undefined ? word : '';
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i + 1));
    if (!m) {
      out += '$';
      continue;
    }
    out += vars.get(m[0]) ?? '';
    i += m[0].length;
  }
  return out;
}

function matchBrace(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/**
 * Splits a shell-form argument list into words as BuildKit's word splitter
 * does for ENV/LABEL/ARG/COPY: whitespace separates, quotes group (and are
 * removed), `escape` escapes the next character.
 */
export function words(s: string, escape = '\\'): string[] {
  const out: string[] = [];
  let cur = '';
  let have = false;
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === escape && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      have = true;
    } else if (c === escape && i + 1 < s.length) {
      cur += s[++i];
      have = true;
    } else if (/\s/.test(c)) {
      if (have) out.push(cur);
      cur = '';
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (quote) throw new DockerfileError(`unexpected end of statement while looking for matching ${quote}`);
  if (have) out.push(cur);
  return out;
}

/** `K=V K2="v 2"` pairs (ENV, LABEL, ARG defaults); the legacy `ENV K V` form when allowed. */
export function pairs(raw: Raw, escape: string, legacy: boolean): Array<[string, string | undefined]> {
  const w = words(raw.rest, escape);
  if (w.length === 0) throw new DockerfileError(`${raw.keyword} requires at least one argument`, raw.line);
  if (legacy && !w[0]!.includes('=')) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(raw.rest);
    if (!m) throw new DockerfileError(`${raw.keyword} must have two arguments`, raw.line);
    return [[m[1]!, words(m[2]!, escape).join(' ')]];
  }
  return w.map((kv) => {
    const eq = kv.indexOf('=');
    if (eq === 0) throw new DockerfileError(`${raw.keyword} names can not be blank`, raw.line);
    if (eq < 0) {
      if (raw.keyword === 'ARG') return [kv, undefined];
      throw new DockerfileError(`${raw.keyword} must have two arguments`, raw.line);
    }
    return [kv.slice(0, eq), kv.slice(eq + 1)];
  });
}

// ---- stages ----

export interface Stage {
  /** `AS name`, lower-cased */
  name?: string;
  /** index in the file */
  index: number;
  from: Raw;
  /** the instructions after FROM */
  body: Raw[];
}

export interface Dockerfile {
  escape: string;
  /** ARGs before the first FROM */
  globalArgs: Raw[];
  stages: Stage[];
}

/** Parses and checks the structure: stages, FROM's form, names. */
export function parseDockerfile(text: string): Dockerfile {
  const { instructions, escape } = parseRaw(text);
  if (instructions.length === 0) throw new DockerfileError('the Dockerfile cannot be empty');
  const globalArgs: Raw[] = [];
  const stages: Stage[] = [];
  for (const r of instructions) {
    if (r.keyword === 'FROM') {
      const w = words(r.rest, escape);
      if (w.length !== 1 && !(w.length === 3 && w[1]!.toLowerCase() === 'as')) throw new DockerfileError('FROM requires either one or three arguments', r.line);
      const name = w.length === 3 ? w[2]!.toLowerCase() : undefined;
      if (name !== undefined) {
        if (!/^[a-z][a-z0-9-_.]*$/.test(name)) throw new DockerfileError(`invalid name for build stage: "${w[2]}", name can't start with a number or contain symbols`, r.line);
        if (stages.some((s) => s.name === name)) throw new DockerfileError(`duplicate stage name "${name}"`, r.line);
      }
      stages.push({ ...(name !== undefined ? { name } : {}), index: stages.length, from: r, body: [] });
      continue;
    }
    if (stages.length === 0) {
      if (r.keyword !== 'ARG') throw new DockerfileError('no build stage in current context', r.line);
      globalArgs.push(r);
      continue;
    }
    checkInstruction(r, escape);
    stages[stages.length - 1]!.body.push(r);
  }
  if (stages.length === 0) throw new DockerfileError('no build stage in current context');
  return { escape, globalArgs, stages };
}

const ONBUILD_REFUSED = new Set(['ONBUILD', 'FROM', 'MAINTAINER']);

/** The checks BuildKit makes while parsing, each with its message. */
export function checkInstruction(r: Raw, escape: string): void {
  const need = (ok: boolean, msg: string) => {
    if (!ok) throw new DockerfileError(msg, r.line);
  };
  const lower = r.keyword.toLowerCase();
  switch (r.keyword) {
    case 'RUN':
    case 'CMD':
    case 'ENTRYPOINT':
      if (r.keyword === 'RUN') need(r.rest !== '' || r.heredocs.length > 0, `${lower} requires at least one argument`);
      break;
    case 'COPY':
    case 'ADD': {
      const n = r.json?.length ?? words(r.rest, escape).length;
      need(n + r.heredocs.length >= 2 || (r.heredocs.length > 0 && n >= 1), `${lower} requires at least two arguments, but only one was provided. Destination could not be determined`);
      break;
    }
    case 'ENV':
    case 'LABEL':
      pairs(r, escape, r.keyword === 'ENV' || r.keyword === 'LABEL');
      break;
    case 'ARG':
      need(words(r.rest, escape).length >= 1, 'ARG requires exactly one argument');
      break;
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
      need(words(r.rest, escape).length === 1 || (r.keyword === 'WORKDIR' && r.rest !== ''), `${r.keyword} requires exactly one argument`);
      break;
    case 'EXPOSE':
    case 'VOLUME':
      need(r.rest !== '', `${r.keyword} requires at least one argument`);
      break;
    case 'SHELL':
      need(r.json !== undefined && r.json.length > 0, 'SHELL requires the arguments to be in JSON form');
      break;
    case 'HEALTHCHECK': {
      const w = words(r.rest, escape);
      need(w.length > 0, 'HEALTHCHECK requires an argument');
      const t = w[0]!.toUpperCase();
      need(t === 'NONE' || t === 'CMD', `Unknown type "${w[0]}" in HEALTHCHECK (try CMD)`);
      if (t === 'NONE') need(w.length === 1 && r.flags.length === 0, 'HEALTHCHECK NONE takes no arguments');
      break;
    }
    case 'ONBUILD': {
      const m = /^(\S+)/.exec(r.rest);
      need(m !== null, 'ONBUILD requires at least one argument');
      need(!ONBUILD_REFUSED.has(m![1]!.toUpperCase()), `${m![1]!.toUpperCase()} isn't allowed as an ONBUILD trigger`);
      break;
    }
  }
}

/** A flag's value (the last given), or undefined. */
export function flag(r: Raw, name: string): string | undefined {
  let v: string | undefined;
  for (const [k, x] of r.flags) if (k === name) v = x;
  return v;
}

/** Go-style durations of HEALTHCHECK flags (`30s`, `1m30s`, `500ms`) in nanoseconds. */
export function duration(s: string, r: Raw, name: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  const unit: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let pos = 0;
  for (let m; (m = re.exec(s)); pos = re.lastIndex) total += Number(m[1]) * unit[m[2]!]!;
  if (pos !== s.length || s === '') throw new DockerfileError(`time: invalid duration "${s}" for --${name}`, r.line);
  return Math.round(total);
}
