// Splits what a terminal sends (xterm's onData) into keys: one character,
// or one escape sequence (CSI `ESC [ … final`, SS3 `ESC O x`, Alt+key `ESC x`).

export function splitKeys(data: string): string[] {
  const keys: string[] = [];
  let i = 0;
  while (i < data.length) {
    const c = data[i]!;
    if (c === '\x1b' && i + 1 < data.length) {
      const n = data[i + 1]!;
      if (n === '[') {
        let j = i + 2;
        while (j < data.length && /[0-?]/.test(data[j]!)) j++; // parameters
        while (j < data.length && /[ -/]/.test(data[j]!)) j++; // intermediates
        keys.push(data.slice(i, Math.min(j + 1, data.length)));
        i = j + 1;
      } else if (n === 'O' && i + 2 < data.length) {
        keys.push(data.slice(i, i + 3));
        i += 3;
      } else {
        keys.push(data.slice(i, i + 2));
        i += 2;
      }
      continue;
    }
    const cp = data.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    keys.push(data.slice(i, i + len));
    i += len;
  }
  return keys;
}

/** Names for the keys the line editor knows. */
export const KEY = {
  enter: ['\r', '\n'],
  backspace: ['\x7f', '\b'],
  delete: ['\x1b[3~'],
  left: ['\x1b[D', '\x1bOD', '\x02'],
  right: ['\x1b[C', '\x1bOC', '\x06'],
  up: ['\x1b[A', '\x1bOA', '\x10'],
  down: ['\x1b[B', '\x1bOB', '\x0e'],
  home: ['\x1b[H', '\x1bOH', '\x1b[1~', '\x1b[7~', '\x01'],
  end: ['\x1b[F', '\x1bOF', '\x1b[4~', '\x1b[8~', '\x05'],
  wordLeft: ['\x1bb', '\x1b[1;5D', '\x1b[1;3D'],
  wordRight: ['\x1bf', '\x1b[1;5C', '\x1b[1;3C'],
  killLine: ['\x15'],
  killToEnd: ['\x0b'],
  killWord: ['\x17', '\x1b\x7f'],
  interrupt: ['\x03'],
  eof: ['\x04'],
  clear: ['\x0c'],
  tab: ['\t'],
} as const satisfies Record<string, readonly string[]>;

export type KeyName = keyof typeof KEY;

const BY_SEQUENCE = new Map<string, KeyName>();
for (const [name, seqs] of Object.entries(KEY) as Array<[KeyName, readonly string[]]>) for (const s of seqs) BY_SEQUENCE.set(s, name);

export function keyName(key: string): KeyName | undefined {
  return BY_SEQUENCE.get(key);
}

/** A key that inserts itself: printable, not a control or escape sequence. */
export function isPrintable(key: string): boolean {
  const cp = key.codePointAt(0)!;
  return key.length <= 2 && cp >= 0x20 && cp !== 0x7f && !(cp >= 0x80 && cp < 0xa0) && key[0] !== '\x1b';
}
