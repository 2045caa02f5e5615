// Text between programs and a terminal: newline translation for output
// that did not come through a PTY, and plain text for places that are not
// terminals (escape sequences removed).

/**
 * Writes a command's output stream to a terminal. Without a PTY in between
 * (no -t) output has bare LFs, which a terminal needs as CR LF; through a
 * PTY (raw) bytes pass as they are. Bytes are decoded as one UTF-8 stream,
 * so a character split across chunks stays whole.
 */
export class ByteWriter {
  private readonly decoder = new TextDecoder();
  private lastCR = false;

  constructor(private readonly sink: (s: string | Uint8Array) => void) {}

  write(s: string | Uint8Array, raw: boolean): void {
    if (raw) {
      this.sink(s);
      return;
    }
    const text = typeof s === 'string' ? s : this.decoder.decode(s, { stream: true });
    if (text === '') return;
    this.sink(crlf(text, this.lastCR));
    this.lastCR = text.endsWith('\r');
  }
}

/** LF → CR LF, leaving CR LF alone (`prevCR`: the text before ended in CR). */
export function crlf(text: string, prevCR = false): string {
  return text.replace(/(\r?)\n/g, (m, cr: string, off: number) => (cr || (off === 0 && prevCR) ? m : '\r\n'));
}

/** Removes terminal escape sequences (CSI, OSC, two-byte ESC forms) and lone CRs before LF. */
export function plainText(s: string): string {
  return s
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/\x1b\][^\x07\x1b]*(\x07|\x1b\\)/g, '')
    .replace(/\x1b[@-Z\\-_]/g, '')
    .replace(/\r+\n/g, '\n');
}
