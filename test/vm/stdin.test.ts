// Stdin back-pressure end to end (issue #17 item 3), against the real guest.
// Once: `run -i` of a container that never reads, fed enough input, grew the
// OOM-immune daemon until the VM died (every container lost), because the
// host's writes resolved at once and the daemon queued whatever came. Now a
// request's stdin has a window (STREAM_CREDIT, PROTOCOL.md): the writer
// waits, the daemon's memory stays put, and the others are served meanwhile.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDockyard } from '../../src/node/cli.js';
import { Op, request } from '../../src/common/protocol/ops.js';
import type { Attached } from '../../src/runtime/containers.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';
import { dockerCli } from './docker-cli.js';

const root = inject('root');
const workerPath = inject('workerPath');

let d: Dockyard;
const docker = dockerCli(() => d);
const dec = new TextDecoder();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The daemon's VmRSS and VmHWM (kB), from /proc/<pid>/status in the VM: a
 * sys.exec child (its parent is the daemon) copies it where a container
 * with a bind mount reads it.
 */
async function daemonMemory(): Promise<{ rssKb: number; hwmKb: number }> {
  const r = await d.call(request(Op.SysExec, { arg: ['/bin/sh', '-c', 'mkdir -p /tmp/stdin-test && cat /proc/$PPID/status > /tmp/stdin-test/status'] }));
  expect(r.exit_code).toBe('0');
  const text = (await docker('run --rm -v /tmp/stdin-test:/probe:ro busybox cat /probe/status')).out;
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  const m = { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
  expect(m.rssKb, text).toBeGreaterThan(0);
  return m;
}

const CHUNK = new Uint8Array(64 * 1024).fill(0x61);

/**
 * Writes `total` bytes to a process that never reads, each write awaited as
 * a piping client does; returns once the accepted count stops moving (the
 * writer is held back), with the write still pending.
 */
async function writeUntilHeld(proc: Attached, total: number): Promise<{ accepted: () => number; writer: Promise<void> }> {
  let accepted = 0;
  const writer = (async () => {
    while (accepted < total) {
      await proc.write(CHUNK);
      accepted += CHUNK.length;
    }
  })();
  writer.catch(() => {});
  let last = -1;
  for (let stable = 0; stable < 3; ) {
    await sleep(700);
    stable = accepted === last ? stable + 1 : 0;
    last = accepted;
    if (accepted >= total) break;
  }
  return { accepted: () => accepted, writer };
}

beforeAll(async () => {
  d = await startDockyard(root, workerPath);
  expect((await docker('pull busybox')).status).toBe(0);
  expect((await docker('run -d --name bystander busybox sleep 600')).status).toBe(0);
}, 120_000);

afterAll(async () => {
  await d?.close();
});

/** The daemon still serves: ps, an exec, a new container. */
async function daemonServes(): Promise<void> {
  expect((await docker('ps')).out).toContain('bystander');
  expect((await docker('exec bystander echo alive')).out).toBe('alive\n');
  expect((await docker('run --rm busybox echo fresh')).out).toBe('fresh\n');
  expect(d.stoppedReason).toBeUndefined();
}

const TOTAL = 16 * 1024 * 1024;
/** The request's window (256 KiB) plus what the kernel's pipe or pty holds, with room. */
const HELD_MAX = 1024 * 1024;

describe('a process that never reads its stdin holds the writer back', () => {
  for (const [what, tty] of [['run -i (a pipe)', false], ['run -it (the PTY)', true]] as const) {
    it(`${what}: the writer waits, the daemon does not grow, the others are served, rm -f ends the write with a clear error`, async () => {
      const before = await daemonMemory();
      const out: Uint8Array[] = [];
      const sink = { stdout: (b: Uint8Array) => out.push(b), stderr: (b: Uint8Array) => out.push(b) };
      // a PTY in canonical mode takes (and drops) what overflows a line, as
      // the kernel does: raw mode makes the terminal hold its input instead
      const cmd = tty ? ['sh', '-c', 'stty raw -echo && exec sleep 600'] : ['sleep', '600'];
      const { proc } = await d.containers.run({ image: 'busybox', cmd, interactive: true, tty, name: `deaf${tty ? 'tty' : ''}` }, sink);
      const { accepted, writer } = await writeUntilHeld(proc, TOTAL);
      // old code: all 16 MiB "accepted" at once and queued in the daemon
      expect(accepted()).toBeLessThan(HELD_MAX);
      const held = await daemonMemory();
      console.log(`${what}: ${accepted()} bytes accepted of ${TOTAL}; daemon VmRSS ${before.rssKb} → ${held.rssKb} kB`);
      expect(held.rssKb - before.rssKb, `VmRSS ${before.rssKb} → ${held.rssKb} kB`).toBeLessThan(2048);
      await daemonServes();
      // still held: nothing more went in while the others were served
      expect(accepted()).toBeLessThan(HELD_MAX);
      expect((await docker(`rm -f deaf${tty ? 'tty' : ''}`)).status).toBe(0);
      await expect(writer).rejects.toThrow(/input not delivered: the process exited \(status 137\) before reading it/);
      expect((await proc.exit).exitCode).toBe(137);
      await expect(proc.write(CHUNK)).rejects.toThrow(/input not delivered/);
      const after = await daemonMemory();
      expect(after.hwmKb - before.hwmKb, `VmHWM ${before.hwmKb} → ${after.hwmKb} kB`).toBeLessThan(2048);
    }, 180_000);
  }

  it('exec -i: the same, and the container itself stays up', async () => {
    expect((await docker('run -d --name host busybox sleep 600')).status).toBe(0);
    const before = await daemonMemory();
    const proc = await d.containers.exec('host', ['sleep', '600'], { interactive: true }, { stdout: () => {}, stderr: () => {} });
    const { accepted, writer } = await writeUntilHeld(proc, TOTAL);
    expect(accepted()).toBeLessThan(HELD_MAX);
    await daemonServes();
    expect((await docker('rm -f host')).status).toBe(0);
    await expect(writer).rejects.toThrow(/input not delivered/);
    const after = await daemonMemory();
    expect(after.hwmKb - before.hwmKb, `VmHWM ${before.hwmKb} → ${after.hwmKb} kB`).toBeLessThan(2048);
  }, 180_000);
});

describe('a process that reads gets every byte, in bounded daemon memory', () => {
  it('16 MiB through run -i … wc -c: the right count, the daemon no bigger', async () => {
    const before = await daemonMemory();
    let text = '';
    const { proc } = await d.containers.run({ image: 'busybox', cmd: ['wc', '-c'], interactive: true, rm: true }, { stdout: (b) => (text += dec.decode(b)), stderr: (b) => (text += dec.decode(b)) });
    for (let sent = 0; sent < TOTAL; sent += CHUNK.length) await proc.write(CHUNK);
    await proc.closeStdin();
    expect((await proc.exit).exitCode).toBe(0);
    expect(text.trim()).toBe(String(TOTAL));
    const after = await daemonMemory();
    console.log(`wc -c of ${TOTAL} bytes: daemon VmRSS ${before.rssKb} → ${after.rssKb} kB, VmHWM ${before.hwmKb} → ${after.hwmKb} kB`);
    expect(after.hwmKb - before.hwmKb, `VmHWM ${before.hwmKb} → ${after.hwmKb} kB`).toBeLessThan(2048);
  }, 300_000);

  it('a process that closes its stdin early: the rest is dropped, the writer is not wedged', async () => {
    let text = '';
    const { proc } = await d.containers.run(
      { image: 'busybox', cmd: ['sh', '-c', 'head -c 10 >/dev/null; exec 0<&-; echo closed; sleep 8; echo done'], interactive: true, rm: true },
      { stdout: (b) => (text += dec.decode(b)), stderr: (b) => (text += dec.decode(b)) },
    );
    // 1 MiB: well past the window and the pipe, all accepted (and discarded)
    const writes = (async () => {
      for (let sent = 0; sent < 1024 * 1024; sent += CHUNK.length) await proc.write(CHUNK);
    })();
    await writes;
    expect((await proc.exit).exitCode).toBe(0);
    expect(text).toBe('closed\ndone\n');
  }, 120_000);
});
