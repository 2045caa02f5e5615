// Pull progress as docker draws it: go-units sizes, the 50-column bar, one
// line per layer redrawn in place on a terminal, status lines otherwise.
import { describe, expect, it } from 'vitest';
import { humanSize, progressBar, pullPrinter } from '../../src/cli/commands/pull.js';
import type { Ctx, Terminal } from '../../src/cli/context.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';
import type { PullEvent } from '../../src/runtime/images.js';

const term: Terminal = { cols: 80, rows: 24, setRaw: () => {}, onData: () => () => {}, onResize: () => () => {} };

function printed(events: PullEvent[], tty: boolean, outIsTerminal?: boolean): string {
  let out = '';
  const io = { out: (s: string | Uint8Array) => (out += String(s)), err: () => {}, ...(tty ? { terminal: term } : {}), ...(outIsTerminal !== undefined ? { outIsTerminal } : {}) };
  const ctx: Ctx = { d: {} as Dockyard, io };
  const print = pullPrinter(ctx, 'localhost:5000/app:1');
  for (const e of events) print(e);
  return out;
}

const events: PullEvent[] = [
  { kind: 'resolving', ref: 'localhost:5000/app:1' },
  { kind: 'layer', id: 'aaaaaaaaaaaa', status: 'Pulling fs layer' },
  { kind: 'layer', id: 'bbbbbbbbbbbb', status: 'Pulling fs layer' },
  { kind: 'layer', id: 'aaaaaaaaaaaa', status: 'Downloading', current: 1_234_567, total: 3_456_789 },
  { kind: 'layer', id: 'bbbbbbbbbbbb', status: 'Verifying Checksum' },
  { kind: 'layer', id: 'aaaaaaaaaaaa', status: 'Pull complete' },
];

describe('pull progress', () => {
  it("sizes as go-units' HumanSize does", () => {
    expect([512, 1000, 1_234_567, 3_456_789, 57_000_000_000].map(humanSize)).toEqual(['512B', '1kB', '1.235MB', '3.457MB', '57GB']);
  });

  it("draws docker's bar", () => {
    expect(progressBar(1_234_567, 3_456_789)).toBe(`[${'='.repeat(17)}>${' '.repeat(33)}]  1.235MB/3.457MB`);
    expect(progressBar(10, 10)).toBe(`[${'='.repeat(50)}>]      10B/10B`);
  });

  it('without a terminal (or output to a file from one): one line per status change, no download progress', () => {
    expect(printed(events, true, false)).toBe(printed(events, false));
    expect(printed(events, false)).toBe(
      '1: Pulling from app\naaaaaaaaaaaa: Pulling fs layer\nbbbbbbbbbbbb: Pulling fs layer\nbbbbbbbbbbbb: Verifying Checksum\naaaaaaaaaaaa: Pull complete\n',
    );
  });

  it("on a terminal: each layer's line redrawn in place", () => {
    expect(printed(events, true)).toBe(
      '1: Pulling from app\n' +
        'aaaaaaaaaaaa: Pulling fs layer\n' +
        'bbbbbbbbbbbb: Pulling fs layer\n' +
        `\x1b[2A\r\x1b[2Kaaaaaaaaaaaa: Downloading ${progressBar(1_234_567, 3_456_789)}\r\x1b[2B` +
        '\x1b[1A\r\x1b[2Kbbbbbbbbbbbb: Verifying Checksum\r\x1b[1B' +
        '\x1b[2A\r\x1b[2Kaaaaaaaaaaaa: Pull complete\r\x1b[2B',
    );
  });
});
