// What a terminal shows, for testing code that draws on one.

/** A minimal VT: printable text, CR, LF, CUU/CUD/CHA, ED 0, auto-wrap with pending wrap. */
export class ModelTerminal {
  rows: string[][] = [[]];
  x = 0;
  y = 0;
  private pendingWrap = false;

  constructor(readonly cols: number) {}

  write(s: string): void {
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (c === '\x1b') {
        const m = /^\x1b\[(\d*)([A-Za-z])/.exec(s.slice(i))!;
        const n = m[1] === '' ? 1 : Number(m[1]);
        if (m[2] === 'A') this.y = Math.max(0, this.y - n);
        else if (m[2] === 'B') this.y += n;
        else if (m[2] === 'G') this.x = n - 1;
        else if (m[2] === 'J') {
          this.row(this.y).splice(this.x);
          this.rows.splice(this.y + 1);
        }
        this.pendingWrap = false;
        i += m[0].length - 1;
      } else if (c === '\r') {
        this.x = 0;
        this.pendingWrap = false;
      } else if (c === '\n') {
        this.y++;
        this.pendingWrap = false;
      } else {
        if (this.pendingWrap) {
          this.x = 0;
          this.y++;
          this.pendingWrap = false;
        }
        this.row(this.y)[this.x] = c;
        if (this.x === this.cols - 1) this.pendingWrap = true;
        else this.x++;
      }
    }
  }

  private row(y: number): string[] {
    while (this.rows.length <= y) this.rows.push([]);
    return this.rows[y]!;
  }

  text(): string {
    return this.rows.map((r) => Array.from(r, (c) => c ?? ' ').join('').trimEnd()).join('\n').trimEnd();
  }
}

