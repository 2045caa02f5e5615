// Boots the real guest in the real worker (worker_threads + comlink) and talks
// to it over the console and the protocol port.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createHash } from 'node:crypto';
import { buildTar } from './hostile-layers.js';
import { bootNodeVm, type NodeVm } from '../../src/node/vm-host.js';
import { Dockyard } from '../../src/runtime/dockyard.js';
import { GuestError } from '../../src/common/channel.js';
import { layoutSource } from '../../src/runtime/registry.js';
import type { BootResult } from '../../src/common/vm-api.js';
import { Op, reply, request } from '../../src/common/protocol/ops.js';

const root = inject('root');
const workerPath = inject('workerPath');

function random(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('the VM in a worker thread', () => {
  let vm: NodeVm;
  let boot: BootResult;
  let shellOut = '';
  let resourcesBefore: string[];

  beforeAll(async () => {
    resourcesBefore = process.getActiveResourcesInfo();
    ({ vm, boot } = await bootNodeVm({
      root,
      workerPath,
      listener: { console: (port, data) => { if (port === 0) shellOut += new TextDecoder().decode(data); } },
    }));
  });

  afterAll(async () => {
    await vm?.shutdown();
  });

  it('says HELLO with the guest kernel', () => {
    expect(boot.hello.kernel).toMatch(/^6\.1\.\d+/);
    expect(boot.hello.machine).toMatch(/^i[3-6]86$/);
    expect(boot.bootMs).toBeGreaterThan(0);
  });

  it('answers on the VM shell console (hvc0) with the kernel version', async () => {
    const marker = `kv${Date.now()}`;
    // the shell echoes the command line too: only the output has a digit after '='
    await vm.consoleWrite(0, new TextEncoder().encode(`echo ${marker}=$(uname -r)\n`));
    const re = new RegExp(`${marker}=(\\d[^\\s]*)`);
    const deadline = Date.now() + 15_000;
    while (!re.test(shellOut) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(shellOut.match(re)?.[1]).toBe(boot.hello.kernel);
  });

  it('round-trips a 1 MiB message on the protocol port byte-exact', async () => {
    const data = random(1 << 20, 7);
    const back = reply(Op.Echo, await vm.request(request(Op.Echo, { data }).fields, 60_000)).bytes('data');
    expect(back?.length).toBe(data.length);
    expect(Buffer.compare(Buffer.from(back!), Buffer.from(data))).toBe(0);
  });

  it('answers PING with the same bytes, many in flight at once', async () => {
    const payloads = Array.from({ length: 50 }, (_, i) => random(1000 + i * 97, i + 1));
    const pongs = await Promise.all(payloads.map((p) => vm.ping(p, 30_000)));
    pongs.forEach((p, i) => expect(Buffer.from(p).equals(Buffer.from(payloads[i]!))).toBe(true));
  });

  it('reports docker-info facts from inside the guest', async () => {
    const info = await new Dockyard(vm, boot, layoutSource(async () => undefined)).info();
    expect(info.kernelVersion).toBe(boot.hello.kernel);
    expect(info.architecture).toBe('i386');
    expect(info.operatingSystem).toMatch(/Dockyard/);
    expect(info.totalMemoryBytes).toBeGreaterThan(64 * 1024 * 1024);
    expect(info.memAvailableBytes).toBeGreaterThan(16 * 1024 * 1024);
    expect(info.memAvailableBytes).toBeLessThan(info.totalMemoryBytes);
    expect(info.cpus).toBe(1);
  });

  it('shows the guest a snapshot the host applied, files read from the host store, modes and owners kept', async () => {
    const tar = buildTar([
      { name: 'etc/', type: 'dir', mode: 0o755 },
      { name: 'etc/motd', data: 'hello from the host\n', mode: 0o640, uid: 1000, gid: 50 },
      { name: 'bin/suid', data: '#!/bin/sh\n', mode: 0o4755 },
      { name: 'etc/hard', type: 'hardlink', link: 'etc/motd' },
      { name: 'link', type: 'symlink', link: '/etc/motd' },
    ]);
    const key = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
    await vm.store('snapshotApply', { key, diffId: key, layer: tar, gzip: false });
    await vm.mountSnapshot(key);
    await vm.mountSnapshot(key); // again: a no-op
    const dir = `/mnt/host/snapshots/${key.slice(7)}`;
    const sh = async (script: string) => {
      return reply(Op.SysExec, await vm.request(request(Op.SysExec, { arg: ['/bin/sh', '-c', script] }).fields)).int('exit_code');
    };
    expect(await sh(`test "$(cat ${dir}/etc/motd)" = "hello from the host"`)).toBe(0);
    expect(await sh(`test "$(stat -c '%a %u %g %h' ${dir}/etc/motd)" = "640 1000 50 2"`)).toBe(0);
    expect(await sh(`test "$(stat -c %a ${dir}/bin/suid)" = 4755 && test "$(readlink ${dir}/link)" = /etc/motd`)).toBe(0);
    expect(await sh(`test -e ${dir}/etc/nothing`)).toBe(1);
  });

  it('runs a program in the VM itself with sys.exec (the benchmark\'s floor), answering its exit code', async () => {
    const exit = async (...args: string[]) => {
      return reply(Op.SysExec, await vm.request(request(Op.SysExec, { arg: args }).fields)).int('exit_code');
    };
    expect(await exit('/bin/true')).toBe(0);
    expect(await exit('/bin/sh', '-c', 'exit 7')).toBe(7);
    expect(await exit('/no/such/program')).toBe(127);
    await expect(vm.request(request(Op.SysExec, { arg: ['true'] }).fields)).rejects.toThrow(/absolute path/);
    const e = await vm.request(request(Op.SysExec, { arg: ['/bin/sleep', '5'], timeout_ms: 200 }).fields).catch((x: unknown) => x);
    expect((e as GuestError).errno).toBe(110); // ETIMEDOUT, and killed: the daemon answers the next request
    expect(await exit('/bin/true')).toBe(0);
  });

  it('refuses an unknown op with the guest\'s message', async () => {
    await expect(vm.request([['op', 'frobnicate']]) /* not an op: raw attrs */).rejects.toThrow(/unknown op "frobnicate"/);
  });

  it('carries the guest\'s errno and error class across the worker boundary', async () => {
    const e = await vm.request(request(Op.ContainerCreate, { id: '0'.repeat(64), snapshot: 'sha256:nothex', arg: [] }).fields).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GuestError);
    expect((e as GuestError).errno).toBe(22);
  });

  it('shuts down leaving no worker, port or handle behind', async () => {
    const exited = new Promise<number>((r) => vm.worker.once('exit', r));
    await vm.shutdown();
    await exited;
    await new Promise((r) => setTimeout(r, 50));
    const after = process.getActiveResourcesInfo();
    const count = (list: string[], kind: string) => list.filter((k) => k === kind).length;
    for (const kind of new Set([...after, ...resourcesBefore])) {
      if (kind === 'Timeout' || kind === 'TTYWrap') continue; // vitest's own timers and stdio
      expect(count(after, kind), kind).toBeLessThanOrEqual(count(resourcesBefore, kind));
    }
  });
});
