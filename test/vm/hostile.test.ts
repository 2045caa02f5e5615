// Hostile input against the real guest, in one VM: a corpus of crafted image
// layers (test/vm/hostile-layers.ts) loaded with `docker load`, and
// containers that try to take more than their share. For every layer: the
// load is refused naming the entry, or the image runs and shows the effect
// confined to its own rootfs; either way the VM's files (its whole root
// filesystem but the stores' churn, listed with modes, owners, sizes and
// mtimes), the sentinel files planted in the VM, and the snapshot list are
// exactly as before, and the daemon still runs containers.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDockyard } from '../../src/node/cli.js';
import { dockerCli } from './docker-cli.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';
import { Op, request } from '../../src/common/protocol/ops.js';
import { hostileCases, ociArchive } from './hostile-layers.js';

const root = inject('root');
const workerPath = inject('workerPath');

let d: Dockyard;
let tmp: string;
let baseline: string;
let baseStored: string[];

const docker = dockerCli(() => d);

/** What the host-side image store holds: snapshots and blobs. */
async function stored(): Promise<string[]> {
  const snaps = (await d.backend.store('snapshotList')).map((k) => `snapshot ${k}`);
  const blobs = (await d.backend.store('contentList')).map((c) => `blob ${c.digest}`);
  return [...snaps, ...blobs].sort();
}

// The VM seen through a read-only bind of its root: every file of its root
// filesystem, its /tmp and /run, and the sentinel volume, with type, mode,
// owner, size, mtime and link count (directories without size and mtime,
// which the stores' own churn changes). Left out: the kernel's filesystems,
// 9p, and the stores that legitimately change (content, image records,
// containers, other volumes). Snapshots are in: a refused layer must leave
// no trace, a removed image none either.
const LIST = [
  'cd /vm',
  `for top in . ./tmp ./run ./var/lib/containerd-lite/volumes/sentinel; do find $top -xdev \\( -path ./proc -o -path ./sys -o -path ./dev -o -path ./mnt -o -path ./var/lib/containerd-lite/content -o -path ./var/lib/containerd-lite/images -o -path ./var/lib/containerd-lite/containers -o -path ./var/lib/containerd-lite/volumes \\) -prune -o -type d -exec stat -c "D %n %a %u:%g" {} + -o -exec stat -c "F %n %F %a %u:%g %s %Y %h" {} +; done | sort`,
  'echo; cat etc/passwd tmp/sentinel/file var/lib/containerd-lite/volumes/sentinel/file',
].join('; ');

async function vmListing(): Promise<string> {
  const r = await docker(`run --rm -v /:/vm:ro busybox sh -c '${LIST}'`);
  expect(r.err).toBe('');
  expect(r.status).toBe(0);
  return r.out;
}

function diff(a: string, b: string): string[] {
  const A = new Set(a.split('\n'));
  const B = new Set(b.split('\n'));
  return [...[...A].filter((l) => !B.has(l)).map((l) => `- ${l}`), ...[...B].filter((l) => !A.has(l)).map((l) => `+ ${l}`)];
}

beforeAll(async () => {
  d = await startDockyard(root, workerPath);
  tmp = mkdtempSync(join(tmpdir(), 'dockyard-hostile-'));
  expect((await docker('pull busybox')).status).toBe(0);
  // sentinels in the VM: a file in its /tmp (bind) and in a volume
  expect((await docker(`run --rm -v /tmp:/vmtmp busybox sh -c 'mkdir -p /vmtmp/sentinel && echo keep > /vmtmp/sentinel/file'`)).status).toBe(0);
  expect((await docker(`run --rm -v sentinel:/s busybox sh -c 'echo keep > /s/file'`)).status).toBe(0);
  baseline = await vmListing();
  expect(baseline).toContain('F ./etc/passwd regular file');
  expect(baseline).toMatch(/\nroot:.*\nkeep\nkeep\n$/);
  baseStored = await stored();
}, 180_000);

afterAll(async () => {
  await d?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('hostile layers', () => {
  const cases = hostileCases();

  it('has a corpus of at least 25 layers, half of them refused', () => {
    expect(cases.length).toBeGreaterThanOrEqual(25);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect(cases.filter((c) => 'refused' in c.expect).length).toBeGreaterThanOrEqual(12);
  });

  for (const c of cases) {
    it(`${c.name}: ${c.why}`, async () => {
      const image = `hostile/${c.name}:latest`;
      const file = join(tmp, `${c.name}.tar`);
      writeFileSync(file, ociArchive(root, `docker.io/${image}`, c.layer, c.workingDir));
      const load = await docker(`load -i ${file}`);
      if ('refused' in c.expect) {
        expect(load.status, load.out).toBe(1);
        expect(load.err).toMatch(/^Error response from daemon: /);
        expect(load.err).toMatch(c.expect.refused);
        expect((await docker('images')).out).not.toContain(`hostile/${c.name} `);
      } else {
        expect(load.err).toBe('');
        expect(load.out).toBe(`Loaded image: ${image}\n`);
        const name = `hostile-${c.name}`;
        try {
          const run = await docker(`run --name ${name} ${c.expect.runArgs ?? ''} ${image} sh -c '${c.expect.script}'`);
          if (c.expect.runError) {
            expect(run.status).not.toBe(0);
            expect(run.err).toMatch(c.expect.runError);
          } else {
            expect(run.err).toBe('');
            if (typeof c.expect.out === 'string') expect(run.out).toBe(c.expect.out);
            else expect(run.out).toMatch(c.expect.out);
            expect(run.status).toBe(0);
          }
        } finally {
          // also after a failure, so that the next case starts clean
          expect((await docker(`rm -f ${name}`)).status).toBe(0);
          expect((await docker(`rmi ${image}`)).status).toBe(0);
        }
      }
      // nothing escaped, nothing half-made stayed, and the daemon still runs containers
      expect(await stored()).toEqual(baseStored);
      expect(diff(baseline, await vmListing())).toEqual([]);
    }, 60_000);
  }
});

describe('containers that take more than their share', () => {
  it("masks runc's paths and keeps /proc/sys read-only, beyond the container's reach", async () => {
    const r = await docker(
      `run --rm busybox sh -c 'wc -c < /proc/timer_list; ls /sys/firmware | wc -l; grep -c " /proc/sys " /proc/mounts; (echo x > /proc/sys/kernel/hostname) 2>&1; umount /proc/timer_list 2>&1; grep CapBnd /proc/self/status'`,
    );
    expect(r.out).toBe(['0', '0', '1', 'sh: can\'t create /proc/sys/kernel/hostname: Read-only file system', 'umount: can\'t unmount /proc/timer_list: Operation not permitted', 'CapBnd:\t00000000a00425fb', ''].join('\n'));
  });

  it('gives each container its own capped writable layer: ENOSPC there, nowhere else', async () => {
    await docker('run -d --name sibling busybox sleep 300');
    const fill = await docker(`run --rm busybox sh -c 'df -k / | tail -1 | tr -s " " | cut -d" " -f2; dd if=/dev/zero of=/fill bs=1M 2>&1 | grep -o "No space left on device"; echo ok > /small || echo full'`);
    const size = Number(fill.out.split('\n')[0]);
    expect(size).toBeGreaterThanOrEqual(16 * 1024);
    expect(size).toBeLessThanOrEqual(64 * 1024);
    expect(fill.out.split('\n').slice(1).join('\n')).toBe('No space left on device\nfull\n');
    expect((await docker(`exec sibling sh -c 'echo fine > /f && cat /f'`)).out).toBe('fine\n');
    expect((await docker('run --rm busybox echo still')).out).toBe('still\n');
  });

  it('keeps a sibling alive when a container is OOM-killed at its memory.max', async () => {
    const oom = await docker(`run --rm -m 8m busybox sh -c 'x=$(head -c 50000000 /dev/zero | tr "\\0" a); echo survived'`);
    expect(oom.status).toBe(137);
    expect((await docker('exec sibling echo alive')).out).toBe('alive\n');
  }, 60_000);

  it('answers within a second while a fork bomb runs, then removes it', async () => {
    expect((await docker(`run -d --name bomb busybox sh -c ':(){ :|:& };:'`)).status).toBe(0);
    await new Promise((r) => setTimeout(r, 3000));
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      await d.call(request(Op.Info, {}), 10_000);
      times.push(performance.now() - t0);
    }
    expect(Math.max(...times), times.join(' ')).toBeLessThan(1000);
    expect((await docker('exec sibling echo alive')).out).toBe('alive\n');
    expect((await docker('run --rm busybox echo beside-the-bomb')).out).toBe('beside-the-bomb\n');
    expect((await docker('rm -f bomb')).status).toBe(0);
    expect((await docker('rm -f sibling')).status).toBe(0);
    expect((await docker('run --rm busybox echo after')).out).toBe('after\n');
  }, 60_000);
});
