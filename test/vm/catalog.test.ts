// The catalog's images (images/tools/catalog.ts: debian:bookworm-slim,
// python:3.11-slim, nginx, redis, postgres:15, built from Debian's i386
// packages with the maintainer scripts run in Dockyard's own guest; cached
// in ~/.cache/dockyard/catalog, so only the first run on a machine builds
// them), pulled and run as their Docker Hub namesakes are.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { catalog, recipePackages, type Catalog } from '../../images/tools/catalog.js';
import { startDockyard } from '../../src/node/cli.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';
import { dockerCli } from './docker-cli.js';
import { catalogMissing } from '../fixtures/tools.js';

const root = inject('root');
const workerPath = inject('workerPath');

const missing = catalogMissing();
const skip = missing.length > 0;

let d: Dockyard;
let home: string;
let built: Catalog;
const docker = dockerCli(() => d);

describe.skipIf(skip)(`the catalog: debian, python, nginx, redis, postgres${skip ? ` (skipped: no ${missing.join(', ')})` : ''}`, () => {
  beforeAll(async () => {
    // built on the first run on a machine (minutes), then from the cache
    built = await catalog({ log: (s) => process.stderr.write(`${s}\n`) });
    home = mkdtempSync(join(tmpdir(), 'dockyard-catalog-'));
    d = await startDockyard(root, workerPath, { home });
  }, 3_600_000);

  afterAll(async () => {
    await d?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('pulls debian:bookworm-slim, and its dpkg database says every package is installed', async () => {
    const pull = await docker('pull debian:bookworm-slim');
    expect(pull.err).toBe('');
    expect(pull.out).toMatch(/Status: Downloaded newer image for debian:bookworm-slim/);
    const r = await docker('run --rm debian:bookworm-slim dpkg -l');
    expect(r.err).toBe('');
    const rows = r.out.split('\n').filter((l) => /^[a-z][a-z]/.test(l) && !l.startsWith('||'));
    const names = rows.map((l) => l.split(/\s+/)[1]?.replace(/:i386$/, ''));
    expect(names.sort()).toEqual([...recipePackages('debian')].sort());
    expect(rows.filter((l) => !l.startsWith('ii '))).toEqual([]);
    // Docker Hub's config: bash as the command
    const [info] = JSON.parse((await docker('image inspect debian:bookworm-slim')).out) as Array<{ Config: { Cmd: string[]; Env: string[] }; Architecture: string }>;
    expect(info?.Config.Cmd).toEqual(['bash']);
    expect(info?.Architecture).toBe('386');
  }, 300_000);

  it('answers to the other tags of the same image', async () => {
    expect((await docker('pull debian:12-slim')).status).toBe(0);
    const ids = await docker('images --format {{.ID}} debian');
    expect(new Set(ids.out.trim().split('\n')).size).toBe(1);
  }, 120_000);

  it('runs python:3.11-slim as python3 and python, on the very debian layer', async () => {
    const pull = await docker('pull python:3.11-slim');
    expect(pull.out).toMatch(/Already exists/);
    expect((await docker(`run --rm python:3.11-slim python3 -c 'print(1)'`)).out).toBe('1\n');
    const [info] = JSON.parse((await docker('image inspect python:3.11-slim')).out) as Array<{ Config: { Cmd: string[]; Env: string[] } }>;
    expect(info?.Config.Cmd).toEqual(['python3']);
    expect(info?.Config.Env).toContain('LANG=C.UTF-8');
    expect((await docker(`run --rm python:3.11-slim python -c 'import sys; print(sys.version_info[:2])'`)).out).toBe('(3, 11)\n');
    // no pip, as the README says
    const pip = await docker('run --rm python:3.11-slim python3 -m pip --version');
    expect(pip.status).toBe(1);
    expect(pip.err).toMatch(/No module named pip/);
    const py = built.images.find((i) => i.repo.endsWith('/python'));
    const deb = built.images.find((i) => i.repo.endsWith('/debian'));
    expect(py?.layers[0]?.digest).toBe(deb?.layers[0]?.digest);
  }, 300_000);

  it('names images that run for one with no linux/386 build', async () => {
    const node = await docker('pull node');
    expect(node.status).not.toBe(0);
    // offline the catalog's words; with Docker Hub reachable, its index without linux/386 and what runs here
    expect(node.err).toMatch(/linux\/386[^\n]*debian/);
  }, 60_000);

  const ok = async (line: string) => {
    const r = await docker(line);
    expect(r.status, `${line}\n${r.err}`).toBe(0);
    return r.out;
  };
  const configOf = async (image: string) =>
    (JSON.parse(await ok(`image inspect ${image}`)) as Array<{ Config: { Cmd?: string[]; Entrypoint?: string[]; ExposedPorts?: object; Volumes?: object; StopSignal?: string; WorkingDir?: string } }>)[0]!.Config;
  /** Polls LINE every EVERY ms until it succeeds (a server still starting), for at most MS. */
  const until = async (line: string, ms: number, every = 1000) => {
    const end = Date.now() + ms;
    for (;;) {
      const r = await docker(line);
      if (r.status === 0) return r.out;
      if (Date.now() > end) throw new Error(`${line} never succeeded: ${r.err}${r.out}`);
      await new Promise((res) => setTimeout(res, every));
    }
  };
  const sharesDebianLayer = (repo: string) => {
    const img = built.images.find((i) => i.repo === `docker.io/library/${repo}`);
    const deb = built.images.find((i) => i.repo.endsWith('/debian'));
    expect(img?.layers).toHaveLength(2);
    expect(img?.layers[0]?.digest).toBe(deb?.layers[0]?.digest);
  };

  it('serves the nginx welcome page on port 80: to a container by name, and published to Node; logs on stdout', async () => {
    const pull = await docker('pull nginx');
    expect(pull.out).toMatch(/Already exists/);
    sharesDebianLayer('nginx');
    const cfg = await configOf('nginx');
    expect(cfg.Cmd).toEqual(['nginx', '-g', 'daemon off;']);
    expect(cfg.StopSignal).toBe('SIGQUIT');
    expect(Object.keys(cfg.ExposedPorts ?? {})).toEqual(['80/tcp']);
    await ok('network create catalog-net');
    await ok('run -d --name web --network catalog-net -p 127.0.0.1:18180:80 nginx');
    const page = await until('run --rm --network catalog-net busybox wget -qO- http://web/', 120_000);
    expect(page).toMatch(/<title>Welcome to nginx!<\/title>/);
    const res = await fetch('http://127.0.0.1:18180/');
    expect(res.status).toBe(200);
    expect(res.headers.get('server')).toMatch(/^nginx\/1\.22/);
    expect(await res.text()).toMatch(/Welcome to nginx!/);
    expect((await fetch('http://127.0.0.1:18180/nothing-here')).status).toBe(404);
    // the access log is the container's stdout, the error log its stderr
    const logs = await docker('logs web');
    expect(logs.out).toMatch(/"GET \/ HTTP\/1\.1" 200 /);
    expect(logs.err).toMatch(/nothing-here" failed \(2: No such file or directory\)/);
    expect(await ok('exec web cat /etc/nginx/conf.d/default.conf')).toMatch(/root\s+\/usr\/share\/nginx\/html;/);
    await ok('rm -f web');
  }, 600_000);

  it('runs redis-server with redis-cli inside, reachable from a second container', async () => {
    await ok('pull redis');
    sharesDebianLayer('redis');
    const cfg = await configOf('redis');
    expect(cfg.Cmd).toEqual(['redis-server']);
    expect(Object.keys(cfg.ExposedPorts ?? {})).toEqual(['6379/tcp']);
    expect(Object.keys(cfg.Volumes ?? {})).toEqual(['/data']);
    await ok('run -d --name cache --network catalog-net redis');
    expect(await until('exec cache redis-cli ping', 120_000)).toBe('PONG\n');
    // protected mode off, as Docker Hub's: another container may talk to it without a password
    expect(await ok('run --rm --network catalog-net redis redis-cli -h cache set greeting hello')).toBe('OK\n');
    expect(await ok('run --rm --network catalog-net redis redis-cli -h cache get greeting')).toBe('hello\n');
    // it runs as the redis user, in /data
    expect(await ok('exec cache stat -c %U /proc/1')).toBe('redis\n');
    expect(cfg.WorkingDir).toBe('/data');
    await ok('rm -f cache');
  }, 600_000);

  it('docker search lists the catalog with sizes when Docker Hub cannot be reached', async () => {
    for (const name of ['debian', 'python', 'nginx', 'redis', 'postgres']) {
      const r = await docker(`search --no-trunc ${name}`);
      expect(r.status).toBe(0);
      if (!/cannot be reached/.test(r.err)) return; // Docker Hub answered: its own results
      expect(r.out).toMatch(new RegExp(`^${name} +.*; \\d+\\.\\d MB compressed, \\d+\\.\\d MB unpacked`, 'm'));
    }
  }, 60_000);

  it('postgres: refuses to start without a password, with the official message', async () => {
    await ok('pull postgres:15');
    sharesDebianLayer('postgres');
    const cfg = await configOf('postgres:15');
    expect(cfg.Cmd).toEqual(['postgres']);
    expect(cfg.StopSignal).toBe('SIGINT');
    expect(Object.keys(cfg.ExposedPorts ?? {})).toEqual(['5432/tcp']);
    expect(Object.keys(cfg.Volumes ?? {})).toEqual(['/var/lib/postgresql/data']);
    const r = await docker('run --rm postgres:15');
    expect(r.status).toBe(1);
    expect(r.err).toContain('Error: Database is uninitialized and superuser password is not specified.');
    expect(r.err).toContain('You must specify POSTGRES_PASSWORD to a non-empty value for the');
    expect(r.err).toContain('"POSTGRES_HOST_AUTH_METHOD=trust"');
    // what only prints needs no cluster, as on Docker Hub
    expect(await ok('run --rm postgres:15 postgres --version')).toMatch(/^postgres \(PostgreSQL\) 15\./);
  }, 300_000);

  it('postgres: initdb on first start, POSTGRES_USER/DB honoured, psql inside and over the network, data kept across restart and a new container', async () => {
    await ok('volume create catalog-pg');
    const ready = 'exec db pg_isready -h 127.0.0.1 -q';
    await ok('run -d --name db --network catalog-net -e POSTGRES_PASSWORD=secret -e POSTGRES_USER=app -e POSTGRES_DB=shop -v catalog-pg:/var/lib/postgresql/data postgres:15');
    // initdb on the emulated CPU: minutes (9 under a load of ~25 on 2 cores); each poll is an exec, so not too often
    await until(ready, 1_500_000, 5000);
    expect(await ok(`exec db psql -U app -d shop -tAc 'select 1'`)).toBe('1\n');
    await ok(`exec db psql -U app -d shop -c 'create table fruit (name text)'`);
    await ok(`exec db psql -U app -d shop -c "insert into fruit values ('apple')"`);
    // from another container over TCP, with the password (scram-sha-256)
    expect(await ok(`run --rm --network catalog-net -e PGPASSWORD=secret postgres:15 psql -h db -U app -d shop -tAc 'select count(*) from fruit'`)).toBe('1\n');
    const wrong = await docker(`run --rm --network catalog-net -e PGPASSWORD=wrong postgres:15 psql -h db -U app -d shop -c 'select 1'`);
    expect(wrong.status).not.toBe(0);
    expect(wrong.err).toMatch(/password authentication failed for user "app"/);
    const logs = await docker('logs db');
    expect(logs.out + logs.err).toMatch(/PostgreSQL init process complete; ready for start up\./);

    await ok('restart db');
    await until(ready, 300_000, 3000);
    expect(await ok(`exec db psql -U app -d shop -tAc 'select name from fruit'`)).toBe('apple\n');

    // a new container on the same volume: no initdb, no password needed to start, the data there
    await ok('rm -f db');
    await ok('run -d --name db --network catalog-net -v catalog-pg:/var/lib/postgresql/data postgres:15');
    await until(ready, 300_000, 3000);
    expect(await ok(`exec db psql -U app -d shop -tAc 'select name from fruit'`)).toBe('apple\n');
    expect((await docker('logs db')).out).not.toMatch(/init process complete/);
    await ok('rm -f db');
    await ok('volume rm catalog-pg');
  }, 2_400_000);
});
