// The playground's line editor and completion, against a model terminal:
// only the text and cursor a terminal would show.
import { describe, expect, it } from 'vitest';
import { LineEditor, type EditResult } from '../../src/web/line-editor.js';
import { splitKeys } from '../../src/web/keys.js';
import { columns, commonPrefix, complete, type CompletionData } from '../../src/web/completion.js';
import { blockCommands } from '../../src/web/block-commands.js';
import { crlf, plainText } from '../../src/web/terminal-text.js';
import { ModelTerminal } from './model-terminal.js';

function setup(cols = 80, history: string[] = []) {
  const t = new ModelTerminal(cols);
  const ed = new LineEditor({ write: (s) => t.write(s), cols: () => cols }, history);
  const results: EditResult[] = [];
  const type = (s: string) => {
    for (const k of splitKeys(s)) results.push(ed.key(k));
  };
  ed.begin('$ ');
  return { t, ed, type, results };
}

describe('splitKeys', () => {
  it('splits text, CSI and SS3 sequences, Alt keys and astral characters', () => {
    expect(splitKeys('ab\x1b[A\x1bOH\x1b[3~\x1bb😀\r')).toEqual(['a', 'b', '\x1b[A', '\x1bOH', '\x1b[3~', '\x1bb', '😀', '\r']);
    expect(splitKeys('\x1b[1;5D')).toEqual(['\x1b[1;5D']);
  });
});

describe('LineEditor', () => {
  it('types, moves and deletes in the middle of the line', () => {
    const { t, ed, type } = setup();
    type('dcker imagXes');
    type('\x1b[D\x1b[D\x7f'); // left twice, backspace: "imagXes" → "images"
    expect(ed.line).toBe('dcker images');
    type('\x1b[H\x1b[Co'); // Home, right, type
    expect(ed.line).toBe('docker images');
    type('\x1b[3~'); // Delete under the cursor
    expect(ed.line).toBe('doker images');
    type('c\x05 -q'); // End
    expect(ed.line).toBe('docker images -q');
    expect(t.text()).toBe('$ docker images -q');
    expect(t.x).toBe(2 + 'docker images -q'.length);
  });

  it('submits on Enter and cancels on Ctrl-C', () => {
    const { t, ed, type, results } = setup();
    type('ps\r');
    expect(results.at(-1)).toEqual({ kind: 'submit', line: 'ps' });
    ed.begin('$ ');
    type('oops\x03');
    expect(results.at(-1)).toEqual({ kind: 'cancel' });
    expect(t.text()).toBe('$ ps\n$ oops^C');
  });

  it('kills words and lines', () => {
    const { ed, type } = setup();
    type('docker run busybox');
    type('\x17');
    expect(ed.line).toBe('docker run ');
    type('\x01\x0b');
    expect(ed.line).toBe('');
    type('abc def\x1bb\x15');
    expect(ed.line).toBe('def');
  });

  it('walks the history with up and down, keeping the draft', () => {
    const { t, ed, type } = setup(80, ['docker ps', 'docker images']);
    type('draft');
    type('\x1b[A');
    expect(ed.line).toBe('docker images');
    type('\x1b[A\x1b[A');
    expect(ed.line).toBe('docker ps');
    type('\x1b[B\x1b[B');
    expect(ed.line).toBe('draft');
    expect(t.text()).toBe('$ draft');
    type('\r');
    expect(ed.history).toEqual(['docker ps', 'docker images', 'draft']);
  });

  it('edits a line that wraps, including one that exactly fills the width', () => {
    const { t, ed, type } = setup(10);
    type('abcdefgh'); // "$ abcdefgh" fills 10 columns
    expect(t.y).toBe(1);
    expect(t.x).toBe(0);
    type('ij');
    expect(t.text()).toBe('$ abcdefgh\nij');
    type('\x01X'); // insert at the start: everything shifts across the wrap
    expect(ed.line).toBe('Xabcdefghij');
    expect(t.text()).toBe('$ Xabcdefg\nhij');
    expect([t.y, t.x]).toEqual([0, 3]);
    type('\x05\x7f\x7f\x7f'); // end, delete back over the wrap
    expect(t.text()).toBe('$ Xabcdefg');
    type('\x1b[A'); // nothing in history: unchanged
    expect(ed.line).toBe('Xabcdefg');
  });

  it('prints completion candidates below and redraws the line', () => {
    const { t, ed, type } = setup();
    type('docker ima');
    ed.printBelow('image  images');
    expect(t.text()).toBe('$ docker ima\nimage  images\n$ docker ima');
    ed.insert('ge');
    expect(t.text().split('\n').at(-1)).toBe('$ docker image');
  });
});

const DATA: CompletionData = {
  images: ['busybox:latest', 'hello-world:latest', 'mybox:v1'],
  pullable: ['busybox', 'hello-world'],
  containers: [
    { name: 'happy_turing', id: 'aaaaaaaaaaaa1111', running: true },
    { name: 'old_one', id: 'bbbbbbbbbbbb2222', running: false },
  ],
};

const cands = (line: string) => complete(line, DATA).candidates;

describe('complete', () => {
  it('completes subcommands, with or without a leading docker', () => {
    expect(cands('docker ru')).toEqual(['run']);
    expect(cands('im')).toEqual(['image', 'images', 'import']);
    expect(cands('docker image ')).toEqual(['build', 'history', 'import', 'inspect', 'load', 'ls', 'prune', 'pull', 'push', 'rm', 'save', 'tag']);
    expect(cands('docker container l')).toEqual(['logs', 'ls']);
    expect(cands('docker container ls -')).toEqual(['--all', '--no-trunc', '--quiet', '-a', '-q']);
    expect(cands('d')).toEqual(['docker', 'diff']);
  });

  it('completes flags of the command', () => {
    expect(cands('docker run --r')).toEqual(['--restart', '--rm']);
    expect(cands('docker run --rm')).toEqual(['--rm']);
    expect(cands('ps -')).toEqual(['--all', '--no-trunc', '--quiet', '-a', '-q']);
  });

  it('completes image names after run flags, skipping flag values', () => {
    expect(cands('docker run -it --rm b')).toEqual(['busybox']);
    expect(cands('docker run --name b')).toEqual([]); // the value of --name
    expect(cands('docker run -e A=1 --name x hel')).toEqual(['hello-world']);
    expect(cands('docker run busybox ')).toEqual([]); // the container's command
    expect(cands('docker run busybox -')).toEqual([]); // its flags, not run's
  });

  it('completes containers by name and short id, running ones where only those make sense', () => {
    expect(cands('docker rm ')).toEqual(['aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'happy_turing', 'old_one']);
    expect(cands('docker stop ')).toEqual(['aaaaaaaaaaaa', 'happy_turing']);
    expect(cands('docker exec -it h')).toEqual(['happy_turing']);
    expect(cands('docker logs o')).toEqual(['old_one']);
  });

  it('completes pull from the bundled registry and rmi from local images', () => {
    expect(cands('docker pull h')).toEqual(['hello-world']);
    expect(cands('docker rmi my')).toEqual(['mybox:v1']);
    expect(complete('docker rmi my', DATA).from).toBe('docker rmi '.length);
  });

  it('lays out candidates and finds their common prefix', () => {
    expect(commonPrefix(['image', 'images'])).toBe('image');
    expect(columns(['a', 'bb', 'ccc'], 10)).toBe('a    bb\nccc');
  });
});

describe('runnable block commands', () => {
  it('takes every line, joins continuations, skips comments', () => {
    expect(blockCommands('docker pull busybox\n\n# list them\ndocker images\ndocker run --rm \\\n  busybox echo hi\n')).toEqual([
      'docker pull busybox',
      'docker images',
      'docker run --rm    busybox echo hi',
    ]);
  });

  it('in a transcript, takes only the $ lines', () => {
    expect(blockCommands('$ docker run --rm busybox echo hello\nhello\n$ docker ps')).toEqual(['docker run --rm busybox echo hello', 'docker ps']);
  });
});

describe('terminal text', () => {
  it('turns LF into CR LF once, across chunks', () => {
    expect(crlf('a\nb\r\nc')).toBe('a\r\nb\r\nc');
    expect(crlf('\nx', true)).toBe('\nx');
  });

  it('strips escape sequences for plain output', () => {
    expect(plainText('\x1b[1;31mred\x1b[0m\r\n\x1b]0;title\x07ok')).toBe('red\nok');
  });
});
