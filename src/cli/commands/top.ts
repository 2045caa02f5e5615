import type { TopProcess } from '../../runtime/containers.js';
import type { CommandDef } from '../command.js';

const pad2 = (n: number) => String(n).padStart(2, '0');

/** ps -ef's TIME: cumulative CPU as [dd-]hh:mm:ss. */
function cpuTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  return `${d > 0 ? `${d}-` : ''}${pad2(Math.floor(s / 3600) % 24)}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}`;
}

/** ps -ef's STIME: the time of day if today, else the month and day. */
function startTime(ms: number, now: number): string {
  const t = new Date(ms);
  if (new Date(now).toDateString() === t.toDateString()) return `${pad2(t.getHours())}:${pad2(t.getMinutes())}`;
  return `${t.toLocaleString('en-US', { month: 'short' })}${pad2(t.getDate())}`;
}

/** ps's TTY: a pts by its minor number (major 136), else "?". */
function ttyName(nr: number): string {
  const major = (nr >> 8) & 0xfff;
  const minor = (nr & 0xff) | ((nr >> 12) & 0xfff00);
  return major >= 136 && major <= 143 ? `pts/${(major - 136) * 256 + minor}` : '?';
}

/** docker top's tabwriter: columns at least 20 wide, 3 spaces past the widest cell. */
function wideTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(20, ...rows.map((r) => r[i]!.length + 3)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('') + '\n').join('');
}

/** The rows of `ps -ef`, as docker top prints them (docker runs ps on the host: here the VM is the host). */
export function psEf(procs: readonly TopProcess[], now = Date.now()): string {
  return wideTable([
    ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
    ...[...procs]
      .sort((a, b) => a.pid - b.pid)
      .map((p) => {
        const elapsed = Math.max(1, now - p.startMs);
        return [p.uid === 0 ? 'root' : String(p.uid), String(p.pid), String(p.ppid), String(Math.floor((p.cpuMs / elapsed) * 100)), startTime(p.startMs, now), ttyName(p.tty), cpuTime(p.cpuMs), p.cmd];
      }),
  ]);
}

/** `docker top CONTAINER`: its processes with the pids the VM (docker's host) sees. */
export const top: CommandDef = {
  names: ['container top', 'top'],
  // docker passes ps options on to ps; here there are none to pass
  usage: 'CONTAINER',
  description: 'Display the running processes of a container',
  flags: [],
  args: { min: 1, max: 1 },
  operands: ['running'],
  run: async (ctx, p) => {
    ctx.io.out(psEf(await ctx.d.containers.top(p.args[0]!)));
    return 0;
  },
};
