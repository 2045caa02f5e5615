// The everyday verbs as a learner types them, against the real guest in one
// VM: start, restart, wait, attach, rename, pause/unpause, top, stats,
// --restart, container/system/volume prune, volume create/inspect — with
// docker's output and statuses.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDockyard } from '../../src/node/cli.js';
import { dockerCli } from './docker-cli.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';

const root = inject('root');
const workerPath = inject('workerPath');

let d: Dockyard;
const docker = dockerCli(() => d);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `docker <cmd>` until its output matches `want` (or the deadline passes: the last output is returned). */
async function until(cmd: string, want: RegExp | ((out: string) => boolean), ms = 20_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const { out } = await docker(cmd);
    if ((typeof want === 'function' ? want(out) : want.test(out)) || Date.now() > end) return out;
    await sleep(200);
  }
}

const lines = (s: string) => s.split('\n').filter(Boolean);

beforeAll(async () => {
  d = await startDockyard(root, workerPath);
  expect((await docker('pull busybox')).status).toBe(0);
}, 120_000);

afterAll(async () => {
  await d?.close();
});

describe('start, restart, wait, attach, rename', () => {
  it('starts a stopped container again, with its files, and restarts a running one', async () => {
    expect((await docker(`run -d --name sleeper busybox sh -c 'echo started; echo x >> /kept; sleep 300'`)).status).toBe(0);
    await until('logs sleeper', /started/);
    expect(await docker('stop -t 0 sleeper')).toEqual({ status: 0, out: 'sleeper\n', err: '' });
    expect((await docker('ps -a')).out).toMatch(/Exited \(137\) .* ago\s+sleeper$/m);
    expect(await docker('start sleeper')).toEqual({ status: 0, out: 'sleeper\n', err: '' });
    expect((await docker('ps')).out).toMatch(/Up .*\s+sleeper$/m);
    expect(await until('logs sleeper', (o) => lines(o).length === 2)).toBe('started\nstarted\n');
    expect(await docker('container restart -t 0 sleeper')).toEqual({ status: 0, out: 'sleeper\n', err: '' });
    expect(await until('logs sleeper', (o) => lines(o).length === 3)).toBe('started\nstarted\nstarted\n');
    // the writable layer outlived each stop
    expect((await docker('exec sleeper cat /kept')).out).toBe('x\nx\nx\n');
    expect(await docker('start sleeper')).toEqual({ status: 0, out: 'sleeper\n', err: '' }); // running: nothing to do
    expect(await docker('start nope')).toEqual({ status: 1, out: '', err: 'Error response from daemon: No such container: nope\nError: failed to start containers: nope\n' });
  });

  it('start -a attaches to the output and passes the exit status through', async () => {
    expect(await docker(`run --name three busybox sh -c 'echo out; echo err >&2; exit 3'`)).toEqual({ status: 3, out: 'out\n', err: 'err\n' });
    expect(await docker('start -a three')).toEqual({ status: 3, out: 'out\n', err: 'err\n' });
    expect((await docker('start -a three sleeper')).err).toBe('Error: you cannot start and attach multiple containers at once\n');
  });

  it('wait prints the exit code once the container stops; attach follows a running one to its end', async () => {
    expect((await docker(`run -d --name seven busybox sh -c 'sleep 1; exit 7'`)).status).toBe(0);
    expect(await docker('wait seven')).toEqual({ status: 0, out: '7\n', err: '' });
    expect(await docker('wait seven three')).toEqual({ status: 0, out: '7\n3\n', err: '' }); // stopped: at once
    expect((await docker(`run -d --name talker busybox sh -c 'echo early; sleep 1.5; echo late; exit 4'`)).status).toBe(0);
    await until('logs talker', /early/);
    expect(await docker('attach talker')).toEqual({ status: 4, out: 'late\n', err: '' });
    expect(await docker('attach talker')).toMatchObject({ status: 1, err: expect.stringMatching(/You cannot attach to a stopped container, start it first\n$/) });
  });

  it('rename: the new name everywhere, docker\'s refusals', async () => {
    expect(await docker('rename sleeper napper')).toEqual({ status: 0, out: '', err: '' });
    expect((await docker('ps')).out).toMatch(/\snapper$/m);
    expect((await docker('exec napper true')).status).toBe(0);
    expect((await docker('inspect -f {{.Name}} napper')).out).toBe('/napper\n');
    const taken = await docker('rename napper three');
    expect(taken.status).toBe(1);
    expect(taken.err).toMatch(/^Error response from daemon: Conflict\. The container name "\/three" is already in use by container "[0-9a-f]{64}"\. You have to remove \(or rename\) that container to be able to reuse that name\.\n$/);
    expect((await docker('rename napper napper')).err).toBe('Error response from daemon: Renaming a container with the same name as its current name\n');
  });
});

describe('pause and unpause (cgroup v2 freezer)', () => {
  it('freezes every process: no progress, (Paused) in ps, no exec; unpause resumes', async () => {
    expect((await docker(`run -d --name ticker busybox sh -c 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.1; done'`)).status).toBe(0);
    await until('logs ticker', (o) => lines(o).length >= 3);
    expect(await docker('pause ticker')).toEqual({ status: 0, out: 'ticker\n', err: '' });
    expect((await docker('ps')).out).toMatch(/Up .* \(Paused\)\s+ticker$/m);
    expect((await docker('inspect -f {{.State.Status}} ticker')).out).toBe('paused\n');
    const frozen = lines((await docker('logs ticker')).out).length;
    await sleep(1500);
    expect(lines((await docker('logs ticker')).out).length).toBe(frozen);
    expect((await docker('exec ticker true')).err).toMatch(/Container [0-9a-f]{64} is paused, unpause the container before exec\n$/);
    expect((await docker('pause ticker')).err).toMatch(/^Error response from daemon: Container [0-9a-f]{64} is already paused\n$/);
    expect(await docker('container unpause ticker')).toEqual({ status: 0, out: 'ticker\n', err: '' });
    expect(await until('logs ticker', (o) => lines(o).length > frozen + 3)).not.toBe('');
    expect((await docker('ps')).out).not.toMatch(/Paused/);
    expect((await docker('unpause ticker')).err).toMatch(/is not paused\n$/);
    // a paused container still stops
    await docker('pause ticker');
    expect(await docker('stop -t 1 ticker')).toEqual({ status: 0, out: 'ticker\n', err: '' });
    expect((await docker('ps -a')).out).toMatch(/Exited \(\d+\) .* ago\s+ticker$/m);
  });
});

describe('top and stats', () => {
  it('top lists the processes with the pids the VM sees: PID 1 inside is an ordinary process outside', async () => {
    expect((await docker('run -d --name topper busybox sh -c "sleep 300 & exec sleep 301"')).status).toBe(0);
    const inside = await until('exec topper ps', /sleep 300/);
    expect(inside).toMatch(/^\s*1 root .*sleep 301$/m);
    const r = await docker('top topper');
    expect(r.status).toBe(0);
    const [header, ...procs] = lines(r.out);
    expect(header).toMatch(/^UID {17}PID {17}PPID {16}C {19}STIME {15}TTY {17}TIME {16}CMD$/);
    expect(procs).toHaveLength(2);
    const main = procs.find((l) => l.endsWith('sleep 301'))!;
    const child = procs.find((l) => l.endsWith('sleep 300'))!;
    const [, mainPid] = main.split(/\s+/);
    const [, , childPpid] = child.split(/\s+/);
    expect(Number(mainPid)).toBeGreaterThan(1);
    expect(childPpid).toBe(mainPid);
    expect(main).toMatch(/^root\s+\d+\s+\d+\s+\d+\s+\d\d:\d\d\s+\?\s+00:00:\d\d\s+sleep 301$/);
    expect((await docker('top three')).err).toMatch(/is not running\n$/);
  });

  it('stats --no-stream: CPU % over a second, memory against the limit, PIDS, from the cgroup', async () => {
    expect((await docker(`run -d --name spinner busybox sh -c 'while :; do :; done'`)).status).toBe(0);
    expect((await docker('run -d --name capped -m 16m busybox sleep 300')).status).toBe(0);
    const r = await docker('stats --no-stream');
    expect(r.status).toBe(0);
    const [header, ...rows] = lines(r.out);
    expect(header).toMatch(/^CONTAINER ID +NAME +CPU % +MEM USAGE \/ LIMIT +MEM % +NET I\/O +BLOCK I\/O +PIDS$/);
    const row = (name: string) => rows.find((l) => l.includes(` ${name} `))!.split(/ {3,}/);
    const spin = row('spinner');
    expect(Number(spin[2]!.replace('%', ''))).toBeGreaterThan(10);
    expect(spin[7]).toBe('1');
    const capped = row('capped');
    expect(capped[3]).toMatch(/^\d+(\.\d+)?KiB \/ 16MiB$/);
    expect(capped[2]).toMatch(/^\d+\.\d\d%$/);
    expect(rows.some((l) => l.includes(' topper '))).toBe(true);
    expect(rows.some((l) => l.includes(' three '))).toBe(false); // not running
    const one = await docker('container stats --no-stream capped');
    expect(lines(one.out)).toHaveLength(2);
    await docker('rm -f spinner capped topper');
  });
});

describe('--restart', () => {
  it('on-failure:N restarts a failing container N times, then leaves it exited', async () => {
    expect((await docker(`run -d --name flaky --restart on-failure:2 busybox sh -c 'echo run; exit 1'`)).status).toBe(0);
    expect(await until('logs flaky', (o) => lines(o).length === 3)).toBe('run\nrun\nrun\n');
    expect(await until('inspect -f {{.RestartCount}} flaky', /^2$/m)).toBe('2\n');
    await sleep(1500);
    expect((await docker('logs flaky')).out).toBe('run\nrun\nrun\n');
    expect((await docker('ps -a')).out).toMatch(/Exited \(1\) .* ago\s+flaky$/m);
    expect((await docker('inspect -f {{.HostConfig.RestartPolicy.Name}} flaky')).out).toBe('on-failure\n');
  });

  it('always restarts until the user stops it; no restarts after exit 0 with on-failure', async () => {
    expect((await docker(`run -d --name phoenix --restart always busybox sh -c 'echo up; sleep 0.3'`)).status).toBe(0);
    await until('logs phoenix', (o) => lines(o).length >= 3);
    expect((await docker('stop -t 0 phoenix')).status).toBe(0);
    const n = lines((await docker('logs phoenix')).out).length;
    await sleep(2000);
    expect(lines((await docker('logs phoenix')).out).length).toBe(n);
    expect((await docker('ps -a')).out).toMatch(/Exited \(\d+\) .* ago\s+phoenix$/m);
    expect((await docker(`run -d --name fine --restart on-failure busybox echo ok`)).status).toBe(0);
    await sleep(1500);
    expect((await docker('logs fine')).out).toBe('ok\n');
  });

  it('refuses what docker refuses', async () => {
    expect(await docker('run --restart sometimes busybox true')).toMatchObject({ status: 125, err: expect.stringContaining("invalid restart policy: unknown policy 'sometimes'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'") });
    expect((await docker('run --restart on-failure:x busybox true')).err).toContain('invalid restart policy format: maximum retry count must be an integer');
    expect((await docker('run --restart always:3 busybox true')).err).toContain("maximum retry count can only be used with 'on-failure'");
    expect((await docker('run --rm --restart always busybox true')).err).toContain('Conflicting options: cannot specify both --restart and --rm');
  });
});

describe('prune and volumes', () => {
  it('container prune removes the stopped containers only; system prune too', async () => {
    const stopped = lines((await docker('ps -a -q --no-trunc')).out).length - lines((await docker('ps -q')).out).length;
    expect(stopped).toBeGreaterThan(0);
    expect((await docker('run -d --name survivor busybox sleep 300')).status).toBe(0);
    const r = await docker('container prune -f');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(new RegExp(`^Deleted Containers:\\n(?:[0-9a-f]{64}\\n){${stopped}}\\nTotal reclaimed space: 0B\\n$`));
    expect(lines((await docker('ps -a')).out).slice(1).every((l) => / Up /.test(l))).toBe(true);
    expect((await docker('ps')).out).toMatch(/\ssurvivor$/m);
    // no terminal: docker's question is answered no
    expect(await docker('container prune')).toEqual({ status: 0, out: 'WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] \n', err: '' });
    await docker('run --name gone busybox true');
    const s = await docker('system prune -f');
    expect(s.out).toMatch(/^Deleted Containers:\n[0-9a-f]{64}\n\nTotal reclaimed space: \S+\n$/);
    expect((await docker('ps')).out).toMatch(/\ssurvivor$/m);
    expect((await docker('images')).out).toMatch(/^busybox /m); // in use or tagged: kept
  });

  it('volume create, inspect, prune', async () => {
    expect(await docker('volume create mydata')).toEqual({ status: 0, out: 'mydata\n', err: '' });
    const anon = await docker('volume create');
    expect(anon.out).toMatch(/^[0-9a-f]{64}\n$/);
    const [v] = JSON.parse((await docker('volume inspect mydata')).out) as Array<Record<string, unknown>>;
    expect(v).toMatchObject({ Driver: 'local', Name: 'mydata', Mountpoint: '/var/lib/containerd-lite/volumes/mydata', Scope: 'local' });
    expect(Math.abs(Date.parse(v!.CreatedAt as string) - Date.now())).toBeLessThan(60_000);
    expect(await docker('volume inspect nosuchvol')).toEqual({ status: 1, out: '[]\n', err: 'Error response from daemon: get nosuchvol: no such volume\n' });
    expect((await docker('run --rm -v mydata:/d busybox sh -c "echo hi > /d/f"')).status).toBe(0);
    expect((await docker('run -d --name holder -v mydata:/d busybox sleep 300')).status).toBe(0);
    expect(await docker('volume prune -f')).toEqual({ status: 0, out: 'Total reclaimed space: 0B\n', err: '' }); // only anonymous ones, as docker
    const all = await docker('volume prune -a -f');
    expect(all.out).toBe(`Deleted Volumes:\n${anon.out}\nTotal reclaimed space: 0B\n`);
    expect((await docker('volume ls -q')).out).toBe('mydata\n');
    expect((await docker('exec holder cat /d/f')).out).toBe('hi\n');
  });
});
