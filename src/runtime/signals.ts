// Signal names as docker takes them (kill -s, stop -s, --stop-signal,
// an image's STOPSIGNAL): one table for the CLI and the runtime.
import { DockerError } from './errors.js';

/** Linux's signal names (i386 numbering), as moby's signal.SignalMap has them. */
const SIGNALS: Record<string, number> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10, SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15,
  STKFLT: 16, CHLD: 17, CONT: 18, STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27, WINCH: 28, IO: 29, POLL: 29,
  PWR: 30, SYS: 31, UNUSED: 31, RTMIN: 34, RTMAX: 64,
};
for (let i = 1; i <= 15; i++) {
  SIGNALS[`RTMIN+${i}`] = 34 + i;
  SIGNALS[`RTMAX-${i}`] = 64 - i;
}

/** A signal: a name (with or without SIG, any case) or a number, refused in docker's daemon's words. */
export function parseSignal(s: string): number {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n === 0) throw new DockerError(`Invalid signal: ${s}`);
    if (n > 64) throw new DockerError(`the linux daemon does not support signal ${n}`);
    return n;
  }
  const n = SIGNALS[s.toUpperCase().replace(/^SIG/, '')];
  if (n === undefined) throw new DockerError(`Invalid signal: ${s}`);
  return n;
}
