// The lifecycle flags docker users reach for, against the real guest in one
// VM: `kill -s`, `exec -e/-w/-u`, `rm -v`, `run -d --rm` — with docker's
// output, statuses and error messages.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDockyard } from '../../src/node/cli.js';
import { dockerCli } from './docker-cli.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';

const root = inject('root');
const workerPath = inject('workerPath');

let d: Dockyard;
const docker = dockerCli(() => d, { FROM_CLIENT: 'client-value' });

/** Polls `docker <cmd>` until its output matches `want` (or the deadline passes: the last output is returned). */
async function until(cmd: string, want: RegExp | ((out: string) => boolean), ms = 20_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const { out } = await docker(cmd);
    if ((typeof want === 'function' ? want(out) : want.test(out)) || Date.now() > end) return out;
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  d = await startDockyard(root, workerPath);
  expect((await docker('pull busybox')).status).toBe(0);
}, 120_000);

afterAll(async () => {
  await d?.close();
});

describe('stop signals', () => {
  // a shell that says which signal reached it and exits with a code of its own per signal
  const trapping = `sh -c 'trap "echo got USR1; exit 71" USR1; trap "echo got USR2; exit 72" USR2; trap "echo got HUP; exit 73" HUP; trap "echo got TERM; exit 74" TERM; echo ready; while :; do sleep 0.2; done'`;

  it("docker stop sends the run's --stop-signal, the image's STOPSIGNAL, or stop -s's", async () => {
    // --stop-signal, shown in inspect as docker shows it
    expect((await docker(`run -d --name sig1 --stop-signal SIGUSR1 busybox ${trapping}`)).status).toBe(0);
    await until('logs sig1', /ready/);
    expect((await docker('inspect -f {{.Config.StopSignal}} sig1')).out).toBe('SIGUSR1\n');
    expect(await docker('stop sig1')).toEqual({ status: 0, out: 'sig1\n', err: '' });
    expect((await docker('inspect -f {{.State.ExitCode}} sig1')).out).toBe('71\n');
    // the image's STOPSIGNAL (docker commit -c), kept by the containers made from it
    expect((await docker('commit -c "STOPSIGNAL USR2" sig1 stopsig:usr2')).status).toBe(0);
    expect((await docker(`run -d --name sig2 stopsig:usr2 ${trapping}`)).status).toBe(0);
    await until('logs sig2', /ready/);
    expect((await docker('stop sig2')).status).toBe(0);
    expect((await docker('logs sig2')).out).toBe('ready\ngot USR2\n');
    // stop -s wins over both; a container with none gets SIGTERM
    expect((await docker('start sig2')).status).toBe(0);
    await until('logs sig2', (o) => o.split('ready').length > 2);
    expect((await docker('stop -s HUP sig2')).status).toBe(0);
    expect((await docker('inspect -f {{.State.ExitCode}} sig2')).out).toBe('73\n');
    expect((await docker(`run -d --name sig3 busybox ${trapping}`)).status).toBe(0);
    await until('logs sig3', /ready/);
    expect((await docker('stop sig3')).status).toBe(0);
    expect((await docker('inspect -f {{.State.ExitCode}} sig3')).out).toBe('74\n');
    expect((await docker('rm sig1 sig2 sig3')).status).toBe(0);
    expect((await docker('rmi stopsig:usr2')).status).toBe(0);
  }, 120_000);

  it('refuses a --stop-signal or stop -s it does not know, creating nothing and stopping nothing', async () => {
    const r = await docker('run -d --name nosig --stop-signal NOPE busybox sleep 300');
    expect(r.status).toBe(125);
    expect(r.err).toContain('Invalid signal: NOPE');
    expect((await docker('ps -a')).out).not.toMatch(/\snosig$/m);
    await docker('run -d --name keeps busybox sleep 300');
    expect(await docker('stop -s NOPE keeps')).toMatchObject({ status: 1, err: 'Error response from daemon: Invalid signal: NOPE\n' });
    expect((await docker('ps')).out).toMatch(/\skeeps$/m);
    expect((await docker('rm -f keeps')).status).toBe(0);
  });
});

describe('kill -s', () => {
  it('delivers the named or numbered signal to the container\'s process', async () => {
    // pid 1 of a pid namespace gets only the signals it handles (as under docker): trap them
    const r = await docker(
      `run -d --name trapper busybox sh -c 'trap "echo got USR1" USR1; trap "echo got HUP" HUP; trap "echo got TERM; exit 3" TERM; echo ready; while :; do sleep 0.2; done'`,
    );
    expect(r.status).toBe(0);
    expect(await until('logs trapper', /ready/)).toBe('ready\n');
    expect(await docker('kill -s 10 trapper')).toEqual({ status: 0, out: 'trapper\n', err: '' });
    expect(await until('logs trapper', /got USR1/)).toBe('ready\ngot USR1\n');
    expect((await docker('kill --signal sighup trapper')).out).toBe('trapper\n');
    expect(await until('logs trapper', /got HUP/)).toBe('ready\ngot USR1\ngot HUP\n');
    expect((await docker('ps')).out).toMatch(/\strapper$/m);
    expect((await docker('kill -s SIGTERM trapper')).out).toBe('trapper\n');
    expect(await until('ps -a', /Exited \(3\) .* ago\s+trapper$/m)).toMatch(/Exited \(3\) .* ago\s+trapper$/m);
    expect((await docker('logs trapper')).out).toBe('ready\ngot USR1\ngot HUP\ngot TERM\n');
    expect((await docker('rm trapper')).status).toBe(0);
  });

  it('refuses a signal docker does not know, per container, and leaves it running', async () => {
    await docker('run -d --name target busybox sleep 300');
    expect(await docker('kill -s NOPE target')).toEqual({ status: 1, out: '', err: 'Error response from daemon: Invalid signal: NOPE\n' });
    expect(await docker('kill -s 0 target')).toEqual({ status: 1, out: '', err: 'Error response from daemon: Invalid signal: 0\n' });
    expect(await docker('kill -s 65 target')).toEqual({ status: 1, out: '', err: 'Error response from daemon: the linux daemon does not support signal 65\n' });
    expect((await docker('ps')).out).toMatch(/\starget$/m);
    expect((await docker('kill target')).out).toBe('target\n');
    await until('ps -a', /Exited \(137\) .* ago\s+target$/m);
    const again = await docker('kill -s TERM target');
    expect(again.status).toBe(1);
    expect(again.err).toMatch(/^Error response from daemon: cannot kill container: target: container [0-9a-f]{64} is not running\n$/);
    const none = await docker('kill -s TERM nosuch');
    expect(none).toEqual({ status: 1, out: '', err: 'Error response from daemon: No such container: nosuch\n' });
    expect((await docker('rm target')).status).toBe(0);
  });
});

describe('exec -e -w -u', () => {
  it('sets the environment, the working directory and the user of the exec only', async () => {
    expect((await docker('run -d --name ex -e A=from-run -e B=kept busybox sleep 300')).status).toBe(0);
    const r = await docker(`exec -e A=from-exec -e C=3 -e FROM_CLIENT -e NOT_SET_ANYWHERE -w /tmp -u nobody ex sh -c 'echo $A $B $C $FROM_CLIENT [\${NOT_SET_ANYWHERE-unset}]; pwd; id -u; id -g'`);
    expect(r).toEqual({ status: 0, out: 'from-exec kept 3 client-value [unset]\n/tmp\n65534\n65534\n', err: '' });
    // nothing of it sticks to the container or the next exec
    expect((await docker(`exec ex sh -c 'echo $A $B $C; pwd; id -u'`)).out).toBe('from-run kept\n/\n0\n');
    // the container's HOSTNAME and PATH stay; TERM only with -t
    const env = (await docker('exec -e X=1 ex env')).out.split('\n');
    expect(env).toContain('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    expect(env.find((e) => e.startsWith('HOSTNAME='))).toMatch(/^HOSTNAME=[0-9a-f]{12}$/);
    expect(env.some((e) => e.startsWith('TERM='))).toBe(false);
    expect((await docker(`exec --env A=long --workdir /etc --user 1234:5678 ex sh -c 'echo $A; pwd; id -u; id -g'`)).out).toBe('long\n/etc\n1234\n5678\n');
  });

  it('fails as docker does for a user, a directory or a command the container lacks', async () => {
    expect(await docker('exec -u nosuchuser ex true')).toEqual({ status: 126, out: '', err: 'unable to find user nosuchuser: no matching entries in passwd file\n' });
    const dir = await docker('exec -w /nonexistent ex true');
    expect(dir).toEqual({
      status: 126,
      out: '',
      err: 'OCI runtime exec failed: exec failed: unable to start container process: chdir to cwd ("/nonexistent") set in config.json failed: No such file or directory: unknown\n',
    });
    const cmd = await docker('exec ex nosuchcmd');
    expect(cmd.status).toBe(127);
    expect(cmd.err).toBe('OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuchcmd": executable file not found in $PATH: unknown\n');
    const stopped = await docker('run -d --name idle busybox true');
    expect(stopped.status).toBe(0);
    await until('ps -a', /Exited \(0\) .* ago\s+idle$/m);
    const notRunning = await docker('exec idle true');
    expect(notRunning.status).toBe(1);
    expect(notRunning.err).toMatch(/^Error response from daemon: container [0-9a-f]{64} is not running\n$/);
    expect((await docker('rm idle')).status).toBe(0);
    expect((await docker('rm -f ex')).status).toBe(0);
  });
});

describe('rm -v', () => {
  it('removes the container and keeps its named volume, as docker does', async () => {
    expect((await docker(`run -d --name withvol -v keep:/data busybox sh -c 'echo kept > /data/f; exec sleep 300'`)).status).toBe(0);
    await until('exec withvol cat /data/f', /kept/);
    const running = await docker('rm -v withvol');
    expect(running.status).toBe(1);
    expect(running.err).toBe('Error response from daemon: cannot remove container "/withvol": container is running: stop the container before removing or force remove\n');
    expect(await docker('rm -f -v withvol')).toEqual({ status: 0, out: 'withvol\n', err: '' });
    expect((await docker('ps -a')).out).not.toMatch(/\swithvol$/m);
    expect((await docker('volume ls')).out).toMatch(/^local\s+keep$/m);
    expect((await docker('run --rm -v keep:/data busybox cat /data/f')).out).toBe('kept\n');
    expect(await docker('rm -v withvol')).toEqual({ status: 1, out: '', err: 'Error response from daemon: No such container: withvol\n' });
    expect((await docker('volume rm keep')).status).toBe(0);
  });
});

describe('run -d --rm', () => {
  it('removes a detached container once it exits by itself', async () => {
    const r = await docker(`run -d --rm --name brief busybox sh -c 'echo bye; sleep 1'`);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^[0-9a-f]{64}\n$/);
    expect((await docker('ps -a')).out).toMatch(/\sbrief$/m);
    expect(await until('ps -a', (out) => !/\sbrief$/m.test(out))).not.toMatch(/\sbrief$/m);
    expect(await docker('logs brief')).toEqual({ status: 1, out: '', err: 'Error response from daemon: No such container: brief\n' });
    // the name is free again
    expect((await docker('run --rm --name brief busybox true')).status).toBe(0);
  });

  it('removes it when stopped or killed, too', async () => {
    await docker('run -d --rm --name stopped busybox sleep 300');
    expect((await docker('stop -t 1 stopped')).out).toBe('stopped\n');
    expect(await until('ps -a', (out) => !/\sstopped$/m.test(out))).not.toMatch(/\sstopped$/m);
    await docker('run -d --rm --name killed busybox sleep 300');
    expect((await docker('kill -s KILL killed')).out).toBe('killed\n');
    expect(await until('ps -a', (out) => !/\skilled$/m.test(out))).not.toMatch(/\skilled$/m);
    expect((await docker('ps -a -q')).out).toBe('');
  });
});
