// The Dockerfile parser, variable expansion and .dockerignore rules:
// well-formed input as the reference describes it, bad input with
// BuildKit's messages and line numbers.
import { describe, expect, it } from 'vitest';
import { expand, parseDockerfile, parseRaw, words } from '../../src/runtime/dockerfile.js';
import { applyConfig, type ConfigState } from '../../src/runtime/image-config.js';
import { IgnoreRules, patternRegex } from '../../src/runtime/patterns.js';

describe('parseRaw', () => {
  it('joins continuations, drops comments inside them, keeps line numbers', () => {
    const { instructions } = parseRaw('# syntax=docker/dockerfile:1\nFROM busybox\n\nRUN echo a \\\n# a comment\n\n  && echo b\nrun echo c\n');
    expect(instructions.map((r) => [r.keyword, r.line, r.endLine, r.rest])).toEqual([
      ['FROM', 2, 2, 'busybox'],
      ['RUN', 4, 7, 'echo a   && echo b'],
      ['RUN', 8, 8, 'echo c'],
    ]);
  });

  it('takes the escape directive: backtick continues lines, backslash is literal', () => {
    const { instructions, escape } = parseRaw('# escape=`\nFROM busybox\nRUN dir c:\\ `\n  /b\n');
    expect(escape).toBe('`');
    expect(instructions[1]!.rest).toBe('dir c:\\   /b');
  });

  it('reads flags and the JSON form', () => {
    const [, r] = parseRaw('FROM x\nCOPY --chown=1:2 --from=build ["a b", "/c/"]\n').instructions;
    expect(r!.flags).toEqual([
      ['chown', '1:2'],
      ['from', 'build'],
    ]);
    expect(r!.json).toEqual(['a b', '/c/']);
    expect(r!.text).toBe('COPY --chown=1:2 --from=build ["a b", "/c/"]');
  });

  it('takes heredoc bodies, <<- strips tabs, quoted delimiters do not expand', () => {
    const { instructions } = parseRaw('FROM x\nRUN <<EOF\necho $HOME\nEOF\nCOPY <<-"END" /f\n\thello\n\tEND\nRUN true\n');
    expect(instructions[1]!.heredocs).toEqual([{ name: 'EOF', content: 'echo $HOME\n', expand: true }]);
    expect(instructions[2]!.heredocs).toEqual([{ name: 'END', content: 'hello\n', expand: false }]);
    expect(instructions[3]!.line).toBe(8);
  });

  it('refuses an unterminated heredoc, an unknown instruction and an unknown flag, naming the line', () => {
    expect(() => parseRaw('FROM x\nRUN <<EOF\necho\n')).toThrow('dockerfile parse error on line 2: unterminated heredoc EOF');
    expect(() => parseRaw('FROM x\n\nFOO bar\n')).toThrow('dockerfile parse error on line 3: unknown instruction: FOO');
    expect(() => parseRaw('FROM x\nCOPY --chwon=1 a b\n')).toThrow('dockerfile parse error on line 2: unknown flag: chwon');
  });
});

describe('parseDockerfile', () => {
  it('splits stages, with global ARGs before the first FROM', () => {
    const df = parseDockerfile('ARG V=1\nFROM busybox:${V} AS Build\nRUN true\nFROM scratch\nCOPY --from=build /a /a\n');
    expect(df.globalArgs.map((r) => r.rest)).toEqual(['V=1']);
    expect(df.stages.map((s) => [s.name, s.index, s.body.length])).toEqual([
      ['build', 0, 1],
      [undefined, 1, 1],
    ]);
  });

  it('refuses what BuildKit refuses', () => {
    expect(() => parseDockerfile('')).toThrow('the Dockerfile cannot be empty');
    expect(() => parseDockerfile('RUN true\n')).toThrow('dockerfile parse error on line 1: no build stage in current context');
    expect(() => parseDockerfile('FROM a b\n')).toThrow('dockerfile parse error on line 1: FROM requires either one or three arguments');
    expect(() => parseDockerfile('FROM a AS x\nFROM b AS x\n')).toThrow('dockerfile parse error on line 2: duplicate stage name "x"');
    expect(() => parseDockerfile('FROM a\nCOPY onlyone\n')).toThrow('dockerfile parse error on line 2: copy requires at least two arguments');
    expect(() => parseDockerfile('FROM a\nSHELL /bin/bash\n')).toThrow('SHELL requires the arguments to be in JSON form');
    expect(() => parseDockerfile('FROM a\nENV =x\n')).toThrow('ENV names can not be blank');
    expect(() => parseDockerfile('FROM a\nONBUILD FROM b\n')).toThrow("FROM isn't allowed as an ONBUILD trigger");
  });
});

describe('expand and words', () => {
  const vars = new Map([
    ['A', 'one'],
    ['E', ''],
  ]);
  it('substitutes with the reference modifiers and escapes', () => {
    expect(expand('$A ${A}-${B:-dflt} ${E:-x} ${E-y} ${A:+set} ${B+no} \\$A', vars)).toBe('one one-dflt x  set  $A');
  });
  it('splits words with quotes', () => {
    expect(words('a "b c" \'d e\' f\\ g')).toEqual(['a', 'b c', 'd e', 'f g']);
  });
});

describe('config instructions', () => {
  const st = (): ConfigState => ({ config: { Cmd: ['sh'] }, vars: new Map(), escape: '\\', cmdSet: false });
  const apply = (s: ConfigState, line: string) => applyConfig(s, parseRaw(line).instructions[0]!);
  it('applies ENV (both forms), WORKDIR relative to the last, ENTRYPOINT resetting an inherited CMD, EXPOSE, HEALTHCHECK', () => {
    const s = st();
    apply(s, 'ENV A=1 B="two words"');
    apply(s, 'ENV C ${A}x');
    apply(s, 'WORKDIR /app');
    apply(s, 'WORKDIR sub/../src');
    apply(s, 'ENTRYPOINT ["/bin/x"]');
    apply(s, 'EXPOSE 80 53/udp');
    apply(s, 'HEALTHCHECK --interval=5s --retries=2 CMD wget -q localhost');
    expect(s.config).toMatchObject({
      Env: ['A=1', 'B=two words', 'C=1x'],
      WorkingDir: '/app/src',
      Entrypoint: ['/bin/x'],
      Cmd: null,
      ExposedPorts: { '80/tcp': {}, '53/udp': {} },
      Healthcheck: { Test: ['CMD-SHELL', 'wget -q localhost'], Interval: 5e9, Retries: 2 },
    });
  });
});

describe('.dockerignore', () => {
  it('matches like Docker: components, **, exceptions, the last rule wins, directories take their contents', () => {
    const r = new IgnoreRules('# comment\n*.log\n!keep.log\nbuild/\n**/*.tmp\nsecret*\n');
    expect(r.ignored('a.log')).toBe(true);
    expect(r.ignored('keep.log')).toBe(false);
    expect(r.ignored('dir/a.log')).toBe(false); // * does not cross /
    expect(r.ignored('build/x/y')).toBe(true);
    expect(r.ignored('deep/er/f.tmp')).toBe(true);
    expect(r.ignored('secrets.txt')).toBe(true);
    expect(r.ignored('src/main.c')).toBe(false);
    expect(patternRegex('a/[b-c]?').test('a/bx')).toBe(true);
  });
});
