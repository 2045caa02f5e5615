// Path patterns as Docker matches them: Go's filepath.Match per component
// (`*`, `?`, `[a-z]`, `[^x]`, `\` escapes) plus `**` for any number of
// components (.dockerignore); and .dockerignore's rules (comments, `!`
// exceptions, the last match wins, a matched directory takes what it holds).

/** A regular expression for one pattern over `/`-separated relative paths. */
export function patternRegex(pattern: string): RegExp {
  let re = '';
  const p = clean(pattern);
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') {
      if (p[i + 1] === '*') {
        // `**/` (or a trailing `**`): any number of components
        i++;
        if (p[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      let cls = p.slice(i + 1, end);
      if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < p.length) re += escapeRe(p[++i]!);
    else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A path cleaned as Go's filepath.Clean, relative (no leading `/`, `..` clamped at the root). */
export function clean(p: string): string {
  const out: string[] = [];
  for (const c of p.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out.join('/');
}

export function hasWildcard(p: string): boolean {
  return /[*?[]/.test(p);
}

interface Rule {
  re: RegExp;
  exception: boolean;
}

/** .dockerignore: which context paths are left out. */
export class IgnoreRules {
  private rules: Rule[] = [];

  constructor(text: string) {
    for (const raw of text.split(/\r?\n/)) {
      let line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const exception = line.startsWith('!');
      if (exception) line = line.slice(1).trim();
      if (clean(line) === '') continue;
      this.rules.push({ re: patternRegex(line), exception });
    }
  }

  /** Whether `path` (relative, cleaned) is left out: it or a directory above it matches, the last rule deciding. */
  ignored(path: string): boolean {
    let out = false;
    const parts = path.split('/');
    for (const r of this.rules) {
      for (let i = 1; i <= parts.length; i++) {
        if (r.re.test(parts.slice(0, i).join('/'))) {
          out = !r.exception;
          break;
        }
      }
    }
    return out;
  }
}
