import { describe, expect, it } from 'vitest';
import { shellSplit, ShellSyntaxError } from '../../src/cli/shellwords.js';
import { FlagError, parseFlags } from '../../src/cli/flags.js';
import { RUN_FLAGS } from '../../src/cli/commands/run.js';
import { bytesSize, humanDuration, humanSize, quoteCommand, table } from '../../src/cli/format.js';
import { parseSignal } from '../../src/runtime/signals.js';

describe('shell-style splitting', () => {
  it.each([
    ['docker run --rm busybox echo hi', ['docker', 'run', '--rm', 'busybox', 'echo', 'hi']],
    [`run busybox sh -c 'echo "a b"; exit 3'`, ['run', 'busybox', 'sh', '-c', 'echo "a b"; exit 3']],
    [`echo "x \\"y\\" \\$z" a\\ b`, ['echo', 'x "y" $z', 'a b']],
    ['  ps   -a  # list all', ['ps', '-a']],
    ["e ''", ['e', '']],
    ['', []],
    ['# only a comment', []],
    ['echo a#b', ['echo', 'a#b']],
  ])('%j', (line, want) => expect(shellSplit(line)).toEqual(want));

  it('refuses unterminated quotes', () => {
    expect(() => shellSplit("echo 'oops")).toThrow(ShellSyntaxError);
    expect(() => shellSplit('echo "oops')).toThrow(ShellSyntaxError);
  });
});

describe('docker flag parsing', () => {
  it('parses combined shorts, = forms and lists, stopping at the image', () => {
    const p = parseFlags(['-it', '--name=web', '-e', 'A=1', '-eB=2', '--rm', '-v', 'data:/d', 'busybox', 'sh', '-c', 'echo -e x'], RUN_FLAGS, { stopAtPositional: true });
    expect(p.flags.get('interactive')).toBe(true);
    expect(p.flags.get('tty')).toBe(true);
    expect(p.flags.get('name')).toBe('web');
    expect(p.flags.get('env')).toEqual(['A=1', 'B=2']);
    expect(p.flags.get('volume')).toEqual(['data:/d']);
    expect(p.args).toEqual(['busybox', 'sh', '-c', 'echo -e x']);
  });

  it('reports unknown and incomplete flags the way docker does', () => {
    expect(() => parseFlags(['--frob', 'x'], RUN_FLAGS)).toThrow(new FlagError('unknown flag: --frob'));
    expect(() => parseFlags(['-iz'], RUN_FLAGS)).toThrow("unknown shorthand flag: 'z' in -iz");
    expect(() => parseFlags(['--name'], RUN_FLAGS)).toThrow('flag needs an argument: --name');
    expect(() => parseFlags(['--rm=maybe'], RUN_FLAGS)).toThrow(/invalid argument "maybe" for "--rm"/);
  });
});

describe('docker output formats', () => {
  it('sizes and durations like docker', () => {
    expect(humanSize(4_261_000)).toBe('4.26MB');
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(1_500)).toBe('1.5kB');
    expect(bytesSize(1_577_058)).toBe('1.504MiB'); // docker stats
    expect(bytesSize(200_704)).toBe('196KiB');
    expect(bytesSize(1023)).toBe('1023B');
    expect(humanDuration(500)).toBe('Less than a second');
    expect(humanDuration(1000)).toBe('1 second');
    expect(humanDuration(45_000)).toBe('45 seconds');
    expect(humanDuration(60_000)).toBe('About a minute');
    expect(humanDuration(3 * 3600_000)).toBe('3 hours');
  });

  it('tables pad every column but the last by three spaces', () => {
    expect(table(['REPOSITORY', 'TAG'], [['busybox', 'latest']])).toBe('REPOSITORY   TAG\nbusybox      latest\n');
  });

  it('quotes and truncates commands as docker ps does', () => {
    expect(quoteCommand('echo hi')).toBe('"echo hi"');
    expect(quoteCommand('sh -c while true; do sleep 1; done')).toBe('"sh -c while true; d…"');
  });

  it('parses signals by name and number', () => {
    expect(parseSignal('TERM')).toBe(15);
    expect(parseSignal('SIGKILL')).toBe(9);
    expect(parseSignal('10')).toBe(10);
    expect(parseSignal('sigwinch')).toBe(28);
    expect(parseSignal('RTMIN+2')).toBe(36);
    expect(parseSignal('64')).toBe(64);
    expect(() => parseSignal('NOPE')).toThrow('Invalid signal: NOPE');
    expect(() => parseSignal('0')).toThrow('Invalid signal: 0');
    expect(() => parseSignal('65')).toThrow('the linux daemon does not support signal 65');
  });
});
