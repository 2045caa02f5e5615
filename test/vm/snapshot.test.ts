// Instant start: the VM restored from images/dist/state.bin.zst instead of
// booting the kernel — usable at once, with the host's clock and its own
// random stream, and a cold boot (saying why) whenever the state does not fit.
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execute, parseLine } from '../../src/cli/interpreter.js';
import type { Ctx } from '../../src/cli/context.js';
import { bootFiles, loadArtifacts } from '../../src/node/artifacts.js';
import { registryDir } from '../../src/node/cli.js';
import { bootNodeVm, startVmWorker, type NodeVm } from '../../src/node/vm-host.js';
import { Dockyard } from '../../src/runtime/dockyard.js';
import { formatInfo } from '../../src/cli/format.js';
import { bundledRegistry } from '../../src/runtime/registry.js';
import type { BootResult } from '../../src/common/vm-api.js';
import { Op, reply, request } from '../../src/common/protocol/ops.js';

const root = inject('root');
const workerPath = inject('workerPath');
const dec = new TextDecoder();

/** A VM with what it printed on its shell console (hvc0). */
interface Booted {
  vm: NodeVm;
  boot: BootResult;
  shell: { out: string };
}

async function start(r = root): Promise<Booted & { manifest: Awaited<ReturnType<typeof bootNodeVm>>['manifest'] }> {
  const shell = { out: '' };
  const { vm, boot, manifest } = await bootNodeVm({
    root: r,
    workerPath,
    listener: { console: (port, data) => { if (port === 0) shell.out += dec.decode(data); } },
  });
  return { vm, boot, shell, manifest };
}

/** Runs a command on the VM's shell; returns what it printed after `marker=`. */
async function sh(b: Booted, cmd: string): Promise<string> {
  const marker = `m${Math.random().toString(36).slice(2, 10)}`;
  // the shell echoes the line too: the output is the line that starts with the marker
  await b.vm.consoleWrite(0, new TextEncoder().encode(`echo ${marker}=$(${cmd})\n`));
  const re = new RegExp(`(?:^|\\n)${marker}=([^\\r\\n]*)\\r?\\n`);
  const deadline = Date.now() + 15_000;
  while (!re.test(b.shell.out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const m = re.exec(b.shell.out);
  if (!m) throw new Error(`no answer to \`${cmd}\` on hvc0; got: ${JSON.stringify(b.shell.out.slice(-300))}`);
  return m[1]!;
}

/** A copy of the project whose images/dist a test may change. */
function scratchRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockyard-snap-'));
  for (const p of ['package.json', 'images/dist']) cpSync(join(root, p), join(dir, p), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

// network namespaces the daemon holds ready (--netns-pool): the daemon is
// the containerd-lite process with the protocol port open (not its helper)
const readyNetns = (b: Booted) =>
  sh(b, `for p in $(pidof containerd-lite); do ls -l /proc/$p/fd | grep -q hvc1 && ls -l /proc/$p/fd | grep -c 'net:\\['; done`).then(Number);

/** readyNetns once it reaches `want` (the helper makes them while the VM idles), or what it was after 10 s. */
async function netnsReaching(b: Booted, want: number): Promise<number> {
  let n = 0;
  for (let t = 0; t < 100 && n < want; t++) {
    n = await readyNetns(b);
    if (n < want) await new Promise((r) => setTimeout(r, 100));
  }
  return n;
}

describe('a VM restored from the snapshot', () => {
  let a: Booted & { manifest: Awaited<ReturnType<typeof bootNodeVm>>['manifest'] };
  let d: Dockyard;

  let netnsAtRestore = -1;

  beforeAll(async () => {
    a = await start();
    // at once: after sys.sync the daemon's netns helper rests 2 s before it
    // makes any (netns.c)
    netnsAtRestore = await readyNetns(a);
    d = new Dockyard(a.vm, a.boot, bundledRegistry(a.manifest, (rel) => readFile(join(registryDir(root), rel)).then((b) => new Uint8Array(b), () => undefined)));
  });

  afterAll(async () => {
    await d?.close();
  });

  it('says it was restored, with the HELLO the daemon sent before the save', () => {
    expect(a.boot.restored).toBe(true);
    expect(a.boot.coldBootReason).toBeUndefined();
    expect(a.boot.hello).toEqual(a.manifest.state?.hello);
    expect(a.boot.bootMs).toBeGreaterThan(0);
    expect(Object.keys(a.boot.phases ?? {})).toEqual(['load', 'restore', 'sync']);
  });

  it('answers info, and `docker info` says it restored', async () => {
    const info = await d.info();
    expect(info.kernelVersion).toBe(a.boot.hello.kernel);
    expect(info.architecture).toBe('i386');
    expect(info.restored).toBe(true);
    expect(formatInfo(info)).toMatch(/^ Boot: restored from snapshot in \d+\.\d\ds$/m);
  });

  it("runs with the host's clock, not the build's", async () => {
    const guest = Number(await sh(a, 'date +%s'));
    expect(Math.abs(guest - Date.now() / 1000)).toBeLessThan(5);
  });

  it('has its hvc0 shell and the protocol port at once, and 9p both ways', async () => {
    expect(await sh(a, 'cat /proc/sys/kernel/random/boot_id')).toMatch(/^[0-9a-f-]{36}$/);
    await a.vm.writeFile('snap-probe.txt', new TextEncoder().encode('from the host'));
    expect(await sh(a, 'cat /mnt/host/snap-probe.txt')).toBe('from the host');
    await sh(a, 'echo from the guest > /mnt/host/snap-back.txt; sync');
    expect(dec.decode(await a.vm.readFile('snap-back.txt'))).toBe('from the guest\n');
  });

  it('holds none of the network namespaces made before the save (no two restored VMs share one)', () => {
    expect(netnsAtRestore).toBe(0);
  });

  let aheadVeth = '';

  it('makes network namespaces ahead again once the host has seeded it, and a veth pair for the default bridge, before any container', async () => {
    // 4: --netns-pool 3, drawn after sys.sync's seed, and one more holding
    // the pair made ahead (network.c, prepare_default_slot)
    expect(await netnsReaching(a, 4)).toBe(4);
    const veths = (await sh(a, 'ls /sys/class/net | grep ^veth | tr "\\n" " "')).trim().split(' ');
    expect(veths).toHaveLength(1);
    expect(await sh(a, `cat /sys/class/net/${veths[0]}/master/uevent | grep INTERFACE`)).toBe('INTERFACE=docker0');
    aheadVeth = await sh(a, `cat /sys/class/net/${veths[0]}/ifindex`);
  });

  it('pulls busybox and runs a container', async () => {
    let out = '';
    let err = '';
    const ctx: Ctx = {
      d,
      io: { out: (s) => (out += typeof s === 'string' ? s : dec.decode(s)), err: (s) => (err += typeof s === 'string' ? s : dec.decode(s)) },
    };
    expect(await execute(ctx, parseLine('pull busybox')!)).toBe(0);
    out = '';
    const status = await execute(ctx, parseLine('run --rm busybox echo hi from a restored VM')!);
    expect(err).toBe('');
    expect(status).toBe(0);
    expect(out).toBe('hi from a restored VM\n');
    // the first container on the bridge got the pair made ahead
    out = '';
    expect(await execute(ctx, parseLine('run --rm busybox cat /sys/class/net/eth0/iflink')!)).toBe(0);
    expect(out.trim()).toBe(aheadVeth);
  });

  it('makes network namespaces ahead again once a container has started', async () => {
    // 3 made ahead (--netns-pool 3), and the finished container's own, kept
    // for the next container on the default bridge (network.c, struct slot)
    expect(await netnsReaching(a, 4)).toBe(4);
  });

  it('sys.sync credits the seed to the kernel and reseeds its CRNG at once', async () => {
    const seed = crypto.getRandomValues(new Uint8Array(64));
    const r = reply(Op.SysSync, await a.vm.request(request(Op.SysSync, { time_ms: Date.now(), seed }).fields)).toRecord();
    expect(r.entropy_bits).toBe('512');
    expect(r.reseeded).toBe('1');
    expect(Math.abs(Number(r.time_ms) - Date.now())).toBeLessThan(5000);
    await expect(a.vm.request(request(Op.SysSync, { seed: new Uint8Array(0) }).fields)).rejects.toThrow(/seed must be 1\.\.512 bytes/);
    await expect(a.vm.request([['op', Op.SysSync.name], ['time_ms', 'soon']]) /* not a number: raw attrs */).rejects.toThrow(/time_ms/);
    await expect(a.vm.request(request(Op.SysSync, { time_ms: 0 }).fields)).rejects.toThrow(/time_ms 0 out of range/);
  });

  it('does not share its random stream with another VM restored from the same state', async () => {
    const b = await start();
    try {
      expect(b.boot.restored).toBe(true);
      const cmd = 'head -c 16 /dev/urandom | od -An -tx1 | tr -d " \\n"';
      const [x, y] = await Promise.all([sh(a, cmd), sh(b, cmd)]);
      expect(x).toMatch(/^[0-9a-f]{32}$/);
      expect(y).toMatch(/^[0-9a-f]{32}$/);
      expect(x).not.toBe(y);
      // and the kernel's own stream (boot_id is drawn at first read, after the reseed)
      expect(await sh(b, 'cat /proc/sys/kernel/random/boot_id')).not.toBe(await sh(a, 'cat /proc/sys/kernel/random/boot_id'));
    } finally {
      await b.vm.shutdown();
    }
  });
});

describe('when the snapshot does not fit', () => {
  it('cold-boots and says the stamp does not match', async () => {
    const dir = scratchRoot();
    try {
      const path = join(dir, 'images/dist/manifest.json');
      const m = JSON.parse(readFileSync(path, 'utf8'));
      m.state.stamp = '0'.repeat(64); // as if saved from other artifacts
      writeFileSync(path, JSON.stringify(m));
      const b = await start(dir);
      try {
        expect(b.boot.restored).toBe(false);
        expect(b.boot.coldBootReason).toBe('state stamp does not match the artifacts');
        expect(b.boot.hello.kernel).toBe(m.state.hello.kernel);
        expect(formatInfo(await new Dockyard(b.vm, b.boot, bundledRegistry(b.manifest, async () => undefined)).info())).toMatch(
          /^ Boot: cold boot in \d+\.\d\ds \(state stamp does not match the artifacts\)$/m,
        );
      } finally {
        await b.vm.shutdown();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cold-boots when the state file is not the one the manifest names', async () => {
    const dir = scratchRoot();
    try {
      const path = join(dir, 'images/dist/state.bin.zst');
      const bytes = readFileSync(path);
      bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
      writeFileSync(path, bytes);
      const { state, noStateReason } = await loadArtifacts(dir);
      expect(state).toBeUndefined();
      expect(noStateReason).toMatch(/^state\.bin\.zst: sha256 [0-9a-f]{12}… does not match the manifest/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('cold-boots when the restore itself fails, saying why', async () => {
    const art = await loadArtifacts(root);
    const vm = startVmWorker(workerPath);
    try {
      const garbage = new Uint8Array(4096).fill(7).buffer;
      const boot = await vm.boot({
        ...bootFiles(art),
        state: { buffer: garbage, hello: art.manifest.state!.hello },
      });
      expect(boot.restored).toBe(false);
      expect(boot.coldBootReason).toMatch(/^restore failed: /);
      expect(reply(Op.Echo, await vm.request(request(Op.Echo, { data: 'ok' }).fields)).get('data')).toBe('ok');
    } finally {
      await vm.shutdown();
    }
  });

  it('boots the kernel when asked to (state: false)', async () => {
    const { vm, boot } = await bootNodeVm({ root, workerPath, state: false });
    await vm.shutdown();
    expect(boot.restored).toBe(false);
    expect(boot.coldBootReason).toBe('snapshot not wanted');
  });
});
