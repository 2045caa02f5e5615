// Docker as its users type it: the shared interpreter against the real guest
// in one VM (state carries from command to command, like a real session).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDockyard } from '../../src/node/cli.js';
import { dockerCli } from './docker-cli.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';

const root = inject('root');
const workerPath = inject('workerPath');

let d: Dockyard;
let tmp: string;

const docker = dockerCli(() => d, { FROM_CLIENT: 'client-value' });

beforeAll(async () => {
  d = await startDockyard(root, workerPath);
  tmp = mkdtempSync(join(tmpdir(), 'dockyard-docker-'));
}, 120_000);

afterAll(async () => {
  await d?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('images', () => {
  it('pulls busybox from the bundled registry, docker-style', async () => {
    const r = await docker('docker pull busybox');
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^Using default tag: latest\nlatest: Pulling from library\/busybox\n([0-9a-f]{12}): Pulling fs layer\n\1: Download complete\n\1: Pull complete\nDigest: sha256:[0-9a-f]{64}\nStatus: Downloaded newer image for busybox:latest\ndocker\.io\/library\/busybox:latest\n$/);
  });

  it('says an image is up to date when pulled again', async () => {
    const r = await docker('pull busybox');
    expect(r.out).toMatch(/^Using default tag: latest\nlatest: Pulling from library\/busybox\nDigest: sha256:[0-9a-f]{64}\nStatus: Image is up to date for busybox:latest\ndocker\.io\/library\/busybox:latest\n$/);
  });

  it('lists it in docker images', async () => {
    const r = await docker('images');
    expect(r.status).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^REPOSITORY\s{3,}TAG\s{3,}IMAGE ID\s{3,}CREATED\s{3,}SIZE$/);
    expect(lines.some((l) => /^busybox\s+latest\s+[0-9a-f]{12}\s+.+\s+\d+(\.\d+)?[kM]B$/.test(l))).toBe(true);
  });

  it('refuses an image the registry does not have, with status 125 from run', async () => {
    const r = await docker('run --rm nosuchimage true');
    expect(r.status).toBe(125);
    expect(r.err).toContain("Unable to find image 'nosuchimage:latest' locally");
    // not bundled, so Docker Hub is asked: it denies a repository that does not
    // exist, and a machine without the network cannot look it up
    expect(r.err).toMatch(
      /pull access denied for nosuchimage, repository does not exist|Get "https:\/\/registry-1\.docker\.io\/v2\/library\/nosuchimage\/manifests\/latest": dial tcp: lookup registry-1\.docker\.io: no such host/,
    );
  });

  it('tags, and removes a tag without deleting the image', async () => {
    expect((await docker('tag busybox mybox:v1')).status).toBe(0);
    expect((await docker('images')).out).toMatch(/^mybox\s+v1\s/m);
    const r = await docker('rmi mybox:v1');
    expect(r.out).toBe('Untagged: mybox:v1\n');
    expect((await docker('images')).out).toMatch(/^busybox\s+latest\s/m);
  });
});

describe('run', () => {
  it('runs a command and streams its output', async () => {
    const r = await docker('run --rm busybox echo hello');
    expect(r).toEqual({ status: 0, out: 'hello\n', err: '' });
  });

  it('keeps stdout and stderr apart and returns the exit code', async () => {
    const r = await docker(`run --rm busybox sh -c 'echo out; echo err >&2; exit 3'`);
    expect(r).toEqual({ status: 3, out: 'out\n', err: 'err\n' });
  });

  it('gives 127 for a missing command and 126 for one that is not executable', async () => {
    const a = await docker('run --rm busybox nosuchcmd');
    expect(a.status).toBe(127);
    expect(a.err).toContain('exec: "nosuchcmd": executable file not found in $PATH');
    const b = await docker('run --rm busybox /etc/passwd');
    expect(b.status).toBe(126);
    expect(b.err).toContain('permission denied');
    // --rm removes a container that never started, too
    expect((await docker('ps -a -q')).out).toBe('');
  });

  it('applies -e, --env-file, -w, -u and -h', async () => {
    writeFileSync(join(tmp, 'env'), '# comment\nFROM_FILE=yes\n');
    const r = await docker(`run --rm -e A=1 -e FROM_CLIENT --env-file ${join(tmp, 'env')} -w /tmp -u nobody -h box busybox sh -c 'echo $A $FROM_CLIENT $FROM_FILE; pwd; id -u; hostname'`);
    expect(r.err).toBe('');
    expect(r.out).toBe('1 client-value yes\n/tmp\n65534\nbox\n');
  });

  it('runs in new pid, uts and net namespaces: lo and eth0 on the default bridge, only lo with --network none', async () => {
    const r = await docker(`run --rm busybox sh -c 'echo $$; ls /sys/class/net'`);
    expect(r.out).toBe('1\neth0\nlo\n');
    const none = await docker(`run --rm --network none busybox sh -c 'echo $$; ls /sys/class/net'`);
    expect(none.out).toBe('1\nlo\n');
  });

  it('gives every container a network namespace of its own with lo up, started back to back', async () => {
    // more than the daemon keeps made ahead (--netns-pool 3), so both paths
    // run; all alive at once (a freed namespace's inode number is reused)
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await docker(`run -d busybox sh -c 'readlink /proc/self/ns/net; cat /sys/class/net/lo/flags; sleep 300'`)).out.trim());
    }
    const seen = new Set<string>();
    for (const id of ids) {
      let lines: string[] = [];
      for (let t = 0; t < 100 && lines.length < 2; t++) {
        lines = (await docker(`logs ${id}`)).out.trim().split('\n').filter(Boolean);
        if (lines.length < 2) await new Promise((r) => setTimeout(r, 100));
      }
      const [ns, flags] = lines;
      expect(ns).toMatch(/^net:\[\d+\]$/);
      expect(Number(flags) & 1).toBe(1); // IFF_UP
      seen.add(ns!);
    }
    expect(seen.size).toBe(5);
    expect((await docker(`rm -f ${ids.join(' ')}`)).status).toBe(0);
  });

  it('refuses a name in use, with docker\'s words', async () => {
    const first = await docker('run -d --name taken busybox sleep 300');
    const r = await docker('run --rm --name taken busybox true');
    expect(r.status).toBe(125);
    expect(r.err).toContain(`docker: Error response from daemon: Conflict. The container name "/taken" is already in use by container "${first.out.trim()}". You have to remove (or rename) that container to be able to reuse that name.\n`);
    expect((await docker('rm -f taken')).status).toBe(0);
  });

  it('leaks no daemon file descriptor into the container', async () => {
    const r = await docker(`run --rm busybox ls /proc/self/fd`);
    expect(r.out.split('\n').filter(Boolean).sort()).toEqual(['0', '1', '2', '3']);
  });

  it('overrides the entrypoint', async () => {
    expect((await docker('run --rm --entrypoint echo busybox from-entrypoint')).out).toBe('from-entrypoint\n');
  });

  it('runs hello-world', async () => {
    const r = await docker('run --rm hello-world');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/Dockyard/);
    expect(r.err).toContain("Unable to find image 'hello-world:latest' locally");
  });

  it('enforces --memory with an OOM kill (137) and --pids-limit', async () => {
    const oom = await docker(`run --name hog -m 8m busybox sh -c 'x=$(head -c 50000000 /dev/zero | tr "\\0" a); echo survived'`);
    expect(oom.status).toBe(137);
    expect((await docker('inspect -f "{{.State.OOMKilled}}" hog')).out).toBe('true\n');
    const state = JSON.parse((await docker('inspect hog')).out)[0].State;
    expect(state).toMatchObject({ Status: 'exited', ExitCode: 137, OOMKilled: true, Running: false });
    expect((await docker('ps -a')).out).toMatch(/Exited \(137\) .*\shog$/m);
    expect((await docker('rm hog')).status).toBe(0);
    expect((await docker('inspect nosuch')).err).toBe('Error: No such object: nosuch\n');
    const pids = await docker(`run --rm --pids-limit 3 busybox sh -c 'sleep 5 & sleep 5 & sleep 5 & wait'`);
    expect(pids.err).toMatch(/can't fork|Resource temporarily unavailable/);
  });

  it('refuses bad flags with 125 and docker\'s words', async () => {
    const r = await docker('run --frobnicate busybox true');
    expect(r.status).toBe(125);
    expect(r.err).toBe("unknown flag: --frobnicate\nSee 'docker run --help'.\n");
  });
});

describe('detached containers', () => {
  it('runs detached, shows in ps, execs into, logs, stops and removes', async () => {
    const started = await docker(`run -d --name web busybox sh -c 'echo started; exec sleep 300'`);
    expect(started.status).toBe(0);
    expect(started.out).toMatch(/^[0-9a-f]{64}\n$/);
    const ps = await docker('ps');
    expect(ps.out).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/m);
    expect(ps.out).toMatch(/^[0-9a-f]{12}\s+busybox\s+"sh -c echo started;…"\s+.+ago\s+Up .+\s+web$/m);
    const ex = await docker('exec web sh -c "echo $$; cat /proc/1/cmdline | tr \'\\0\' \' \'"');
    expect(ex.status).toBe(0);
    expect(ex.out).toMatch(/^\d+\nsleep 300 $/);
    expect((await docker('logs web')).out).toBe('started\n');
    expect((await docker('stop -t 1 web')).out).toBe('web\n');
    expect((await docker('ps -a')).out).toMatch(/Exited \((137|143)\) .* ago\s+web$/m);
    const rmRunning = await docker('rm web');
    expect(rmRunning.status).toBe(0);
    expect((await docker('ps -a')).out).not.toMatch(/\sweb$/m);
    const gone = await docker('rm web');
    expect(gone.status).toBe(1);
    expect(gone.err).toBe('Error response from daemon: No such container: web\n');
  });

  it('follows logs until the container exits, stdout and stderr apart', async () => {
    await docker(`run -d --name chatty busybox sh -c 'echo one; sleep 1; echo two >&2; sleep 1; echo three'`);
    const r = await docker('logs -f chatty');
    expect(r).toEqual({ status: 0, out: 'one\nthree\n', err: 'two\n' });
    expect((await docker('logs --tail 1 chatty')).out).toBe('three\n');
    expect((await docker('rm chatty')).status).toBe(0);
  });

  it('reports death by signal as 128+signal', async () => {
    await docker('run -d --name victim busybox sleep 300');
    expect((await docker('kill victim')).out).toBe('victim\n');
    expect((await docker('ps -a')).out).toMatch(/Exited \(137\) .* ago\s+victim$/m);
    expect((await docker('rm victim')).status).toBe(0);
  });

  it('refuses to remove a running container without -f', async () => {
    await docker('run -d --name busy busybox sleep 300');
    const r = await docker('rm busy');
    expect(r.status).toBe(1);
    expect(r.err).toContain('container is running');
    expect((await docker('rm -f busy')).status).toBe(0);
  });
});

describe('volumes', () => {
  it('keeps a named volume across containers and lists it', async () => {
    expect((await docker(`run --rm -v data:/data busybox sh -c 'echo kept > /data/f'`)).status).toBe(0);
    expect((await docker('run --rm -v data:/data:ro busybox cat /data/f')).out).toBe('kept\n');
    expect((await docker(`run --rm -v data:/data:ro busybox sh -c 'echo x > /data/g'`)).status).not.toBe(0);
    expect((await docker('volume ls')).out).toMatch(/^local\s+data$/m);
  });

  it('mounts a tmpfs', async () => {
    expect((await docker(`run --rm --tmpfs /scratch busybox sh -c 'grep " /scratch " /proc/mounts | cut -d" " -f3'`)).out).toBe('tmpfs\n');
  });
});

describe('save and load', () => {
  it('round-trips an image through an OCI-layout archive', async () => {
    const file = join(tmp, 'busybox.tar');
    expect((await docker(`save -o ${file} busybox`)).status).toBe(0);
    expect(readFileSync(file).length).toBeGreaterThan(100_000);
    const rmi = await docker('rmi busybox');
    expect(rmi.status).toBe(0);
    expect(rmi.out).toMatch(/^Untagged: busybox:latest\nDeleted: sha256:[0-9a-f]{64}\n$/);
    expect((await docker('images')).out).not.toMatch(/^busybox\s/m);
    const r = await docker(`load -i ${file}`);
    expect(r.out).toBe('Loaded image: busybox:latest\n');
    expect((await docker('run --rm busybox echo back')).out).toBe('back\n');
  });

  it('shows an image\'s history, inspects it, and counts it in system df', async () => {
    const h = await docker('history busybox');
    expect(h.err).toBe('');
    const rows = h.out.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    expect(rows[1]).toMatch(/^[0-9a-f]{12}\s+.*\s+images\/recipes\/busybox: Debian busybox-\S*…\s+[\d.]+MB$/);
    const j = JSON.parse((await docker('image inspect busybox')).out) as Array<Record<string, unknown>>;
    expect(j[0]!.RepoTags).toEqual(['busybox:latest']);
    expect(j[0]!.Architecture).toBe('386');
    expect((j[0]!.RootFS as { Layers: string[] }).Layers).toHaveLength(1);
    expect((await docker('inspect -f {{.Os}} busybox')).out).toBe('linux\n');
    expect((await docker('image inspect nope')).err).toBe('Error: No such image: nope\n');
    const df = await docker('system df'); // busybox and hello-world, no container
    expect(df.out).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\nImages\s+2\s+0\s+[\d.]+MB\s+[\d.]+MB \(100%\)\n/);
  });

  it('prunes only what is not used: dangling images, then with -a every unused one', async () => {
    expect((await docker('tag busybox keep:1')).status).toBe(0);
    expect((await docker('images keep')).out).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\nkeep\s+1\s+[0-9a-f]{12}\s.*\n$/);
    expect((await docker('images busybox:nope')).out).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\n$/);
    // every image here has a tag: none is dangling
    expect((await docker('image prune -f')).out).toBe('Total reclaimed space: 0B\n');
    expect((await docker('run -d --name user busybox sleep 300')).status).toBe(0);
    // -a: whatever no container uses goes, busybox (and its other name) stays
    expect((await docker('image prune -a -f')).out).not.toMatch(/busybox|keep/);
    expect((await docker('images')).out).toMatch(/^busybox\s+latest\s[^]*^keep\s+1\s/m);
    expect((await docker('rm -f user')).status).toBe(0);
    const all = await docker('image prune -a -f');
    expect(all.out).toMatch(/^Deleted Images:\nuntagged: busybox:latest\nuntagged: keep:1\ndeleted: sha256:[0-9a-f]{64}\n\nTotal reclaimed space: [\d.]+MB\n$/);
    expect((await docker('images -q')).out).toBe('');
    expect(await d.backend.store('contentList')).toEqual([]);
    expect(await d.backend.store('snapshotList')).toEqual([]);
    // without -f and without a terminal to answer, nothing is removed
    expect((await docker('pull busybox')).status).toBe(0);
    expect((await docker('image prune -a')).out).toMatch(/Are you sure you want to continue\? \[y\/N\] \n$/);
    expect((await docker('images -q')).out).not.toBe('');
  });

  it('refuses a corrupted archive whole, naming the problem', async () => {
    const file = join(tmp, 'busybox.tar');
    const bytes = readFileSync(file);
    bytes[bytes.length - 2000]! ^= 0xff; // inside the last blob or index
    const bad = join(tmp, 'bad.tar');
    writeFileSync(bad, bytes);
    const r = await docker(`load -i ${bad}`);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^Error response from daemon: /);
  });
});
