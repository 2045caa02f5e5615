// Docker's output formats: column tables, human sizes and durations, `docker info`.
import type { DockerInfo } from '../runtime/dockyard.js';

/** Left-aligned columns separated by at least 3 spaces, as docker's tabwriter prints them. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd() + '\n').join('');
}

/** docker's units.CustomSize: `digits` significant digits in steps of `base`. */
function customSize(bytes: number, base: number, units: readonly string[], digits: number): string {
  let v = bytes;
  let u = 0;
  while (v >= base && u < units.length - 1) {
    v /= base;
    u++;
  }
  return `${Number(v.toPrecision(digits))}${units[u]}`;
}

/** docker's units.HumanSize: 3 significant digits, decimal units ("2.06MB"; docker images). */
export function humanSize(bytes: number): string {
  return customSize(bytes, 1000, ['B', 'kB', 'MB', 'GB', 'TB'], 3);
}

/** docker's units.BytesSize: 4 significant digits, binary units ("1.504MiB"; docker stats). */
export function bytesSize(bytes: number): string {
  return customSize(bytes, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB'], 4);
}

/** docker's units.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 1) return 'Less than a second';
  if (s === 1) return '1 second';
  if (s < 60) return `${s} seconds`;
  const m = Math.round(s / 60);
  if (m === 1) return 'About a minute';
  if (m < 60) return `${m} minutes`;
  const h = Math.round(s / 3600);
  if (h === 1) return 'About an hour';
  if (h < 48) return `${h} hours`;
  if (h < 24 * 7 * 2) return `${Math.round(h / 24)} days`;
  if (h < 24 * 30 * 2) return `${Math.round(h / 24 / 7)} weeks`;
  if (h < 24 * 365 * 2) return `${Math.round(h / 24 / 30)} months`;
  return `${Math.round(h / 24 / 365)} years`;
}

export function ago(then: number, now = Date.now()): string {
  return `${humanDuration(now - then)} ago`;
}

/** `"echo hi"`, truncated to 20 characters with … as docker ps does. */
export function quoteCommand(cmd: string, full = false): string {
  const c = !full && cmd.length > 20 ? `${cmd.slice(0, 19)}…` : cmd;
  return `"${c}"`;
}

/** `docker info`-style text. */
export function formatInfo(i: DockerInfo): string {
  const gib = (i.totalMemoryBytes / 1024 ** 3).toFixed(2);
  const mib = (i.totalMemoryBytes / 1024 ** 2).toFixed(1);
  return [
    'Server:',
    ` Server Version: containerd-lite ${i.daemonVersion}`,
    ` Kernel Version: ${i.kernelVersion}`,
    ` Operating System: ${i.operatingSystem}`,
    ` OSType: linux`,
    ` Architecture: ${i.architecture}`,
    ` CPUs: ${i.cpus}`,
    ` Total Memory: ${Number(gib) >= 1 ? `${gib}GiB` : `${mib}MiB`}`,
    ` Emulator: v86 (in a worker)`,
    ` Boot: ${i.restored ? 'restored from snapshot' : 'cold boot'} in ${(i.bootMs / 1000).toFixed(2)}s${i.restored ? '' : ` (${i.coldBootReason ?? 'no snapshot'})`}`,
    '',
  ].join('\n');
}
