// docker build against the real guest: real Dockerfiles, the layer cache,
// BuildKit's plain progress, failures, and the built image read back by
// skopeo and umoci.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDockyard } from '../../src/node/cli.js';
import { readLayer } from '../../src/common/store/layer.js';
import { readTar } from '../../src/common/tar.js';
import { dockerCli } from './docker-cli.js';
import { dockyardProcess } from './dockyard-process.js';
import { has } from '../fixtures/tools.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';

const root = inject('root');
const workerPath = inject('workerPath');

let d: Dockyard;
let tmp: string;
const docker = dockerCli(() => d);

/** A context directory with these files. */
function context(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
  return dir;
}

beforeAll(async () => {
  d = await startDockyard(root, workerPath);
  tmp = mkdtempSync(join(tmpdir(), 'dockyard-build-'));
}, 120_000);

afterAll(async () => {
  await d?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('docker build', () => {
  let app: string;

  it('builds a multi-stage Dockerfile: the final stage copies what the build stage made', async () => {
    app = context('app', {
      Dockerfile: [
        '# syntax=docker/dockerfile:1',
        'ARG BASE=busybox',
        'FROM ${BASE} AS build',
        'ARG GREETING=hello',
        'ENV OUT=/out',
        'RUN mkdir -p $OUT && echo "$GREETING from the build stage" > $OUT/msg \\',
        '    && echo compiled',
        'FROM ${BASE}',
        'COPY --from=build /out/msg /app/msg',
        'COPY src/ /app/src/',
        'CMD ["cat", "/app/msg"]',
        '',
      ].join('\n'),
      'src/main.c': 'int main(void) { return 0; }\n',
    });
    const r = await docker(`build -t multi:1 --build-arg GREETING=hi ${app}`);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
    expect(r.err).toMatch(/^#1 \[internal\] load build definition from Dockerfile\n#1 transferring dockerfile: \d+B done\n#1 DONE \d+\.\ds\n\n/);
    expect(r.err).toMatch(/#\d+ \[build 2\/2\] RUN mkdir -p \$OUT && echo "\$GREETING from the build stage" > \$OUT\/msg     && echo compiled\n#\d+ \d+\.\d{3} compiled\n#\d+ DONE \d+\.\ds\n/);
    expect(r.err).toMatch(/#\d+ \[stage-1 2\/3\] COPY --from=build \/out\/msg \/app\/msg\n#\d+ DONE/);
    expect(r.err).toMatch(/#\d+ naming to docker\.io\/library\/multi:1 done\n#\d+ DONE \d+\.\ds\n/);
    expect((await docker('run --rm multi:1')).out).toBe('hi from the build stage\n');
    expect((await docker('run --rm multi:1 cat /app/src/main.c')).out).toBe('int main(void) { return 0; }\n');
    // slim: busybox's layer and the two COPY layers, not the build stage's RUN
    const img = (await d.images.find('multi:1'))!;
    expect(img.layers.length).toBe(3);
    const h = await docker('history --no-trunc multi:1');
    expect(h.out).toContain('COPY --from=build /out/msg /app/msg # buildkit');
    expect(h.out).toContain('CMD ["cat", "/app/msg"]');
  });

  it('rebuilds with nothing changed from the cache: CACHED for every step, the same image', async () => {
    const before = (await d.images.find('multi:1'))!.id;
    const r = await docker(`build -t multi:1 --build-arg GREETING=hi ${app}`);
    expect(r.status).toBe(0);
    const steps = [...r.err.matchAll(/^#(\d+) \[(?:build|stage-1) \d\/\d\] .*\n#\1 (\S+)/gm)].map((m) => m[2]);
    expect(steps).toEqual(['CACHED', 'CACHED', 'CACHED', 'CACHED', 'CACHED']);
    expect((await d.images.find('multi:1'))!.id).toBe(before);
  });

  it('rebuilds from the step whose copied file changed', async () => {
    writeFileSync(join(app, 'src/main.c'), 'int main(void) { return 1; }\n');
    const r = await docker(`build -t multi:1 --build-arg GREETING=hi ${app}`);
    expect(r.status).toBe(0);
    expect(r.err).toMatch(/\[build 2\/2\] RUN .*\n#\d+ CACHED/);
    expect(r.err).toMatch(/\[stage-1 2\/3\] COPY --from=build .*\n#\d+ CACHED/);
    expect(r.err).toMatch(/\[stage-1 3\/3\] COPY src\/ \/app\/src\/\n#\d+ DONE/);
    expect((await docker('run --rm multi:1 cat /app/src/main.c')).out).toBe('int main(void) { return 1; }\n');
    // another build arg: the RUN runs again
    const again = await docker(`build -t multi:1 --build-arg GREETING=hey ${app}`);
    expect(again.err).toMatch(/\[build 2\/2\] RUN .*\n#\d+ \d+\.\d{3} compiled/);
    expect((await docker('run --rm multi:1')).out).toBe('hey from the build stage\n');
  });

  it('gives USER and WORKDIR ownership, --chown and --chmod, and leaves out what .dockerignore lists', async () => {
    const dir = context('owners', {
      Dockerfile: [
        'FROM busybox',
        'USER nobody',
        'WORKDIR /work',
        'RUN touch made-by-nobody',
        'USER root',
        'COPY --chown=nobody:nogroup --chmod=0640 data.txt /etc/data.txt',
        'COPY . /ctx/',
        'RUN stat -c "%U %G %a %n" /work /work/made-by-nobody /etc/data.txt && ls /ctx | sort | tr "\\n" " "',
        '',
      ].join('\n'),
      'data.txt': 'data\n',
      'notes.md': 'keep\n',
      'debug.log': 'secret\n',
      'build/out.o': 'x',
      '.dockerignore': '*.log\nbuild\n',
    });
    const r = await docker(`build --no-cache -t owners ${dir}`);
    expect(r.err).not.toContain('ERROR');
    expect(r.status).toBe(0);
    expect(r.err).toMatch(/ nobody nogroup 755 \/work\n/);
    expect(r.err).toMatch(/ nobody nogroup 644 \/work\/made-by-nobody\n/);
    expect(r.err).toMatch(/ nobody nogroup 640 \/etc\/data\.txt\n/);
    expect(r.err).toMatch(/ Dockerfile data\.txt notes\.md \n/);
    const run = await docker('run --rm owners pwd');
    expect(run.out).toBe('/work\n');
  });

  it('records a deletion in a later step as a whiteout, which skopeo and umoci read with matching digests', async () => {
    const dir = context('del', {
      Dockerfile: 'FROM busybox\nRUN echo x > /tmp/f\nRUN rm /bin/ls /tmp/f\nRUN <<EOF\nset -e\necho heredoc > /hd\nEOF\n',
    });
    const q = await docker(`build -q -t del:1 ${dir}`);
    expect(q.status).toBe(0);
    expect(q.err).toBe('');
    expect(q.out).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    const img = (await d.images.find('del:1'))!;
    expect(q.out.trim()).toBe(img.id);
    expect((await docker('run --rm del:1 cat /hd')).out).toBe('heredoc\n');
    const archive = join(tmp, 'del.tar');
    expect((await docker(`save -o ${archive} del:1`)).status).toBe(0);
    const files = new Map(readTar(new Uint8Array(readFileSync(archive))).map((e) => [e.name, e.data]));
    const rmLayer = files.get(`blobs/sha256/${img.layers[2]!.digest.slice(7)}`)!;
    expect(readLayer(rmLayer).map((e) => e.path)).toEqual(expect.arrayContaining(['bin/.wh.ls', 'tmp/.wh.f']));
    if (!has('skopeo') || !has('umoci')) return;
    const manifest = JSON.parse(execFileSync('skopeo', ['inspect', '--raw', `oci-archive:${archive}`]).toString()) as { config: { digest: string }; layers: Array<{ digest: string }> };
    expect(manifest.config.digest).toBe(img.id);
    expect(manifest.layers.map((l) => l.digest)).toEqual(img.layers.map((l) => l.digest));
    const config = JSON.parse(execFileSync('skopeo', ['inspect', '--config', `oci-archive:${archive}`]).toString()) as { rootfs: { diff_ids: string[] } };
    expect(config.rootfs.diff_ids).toEqual(img.diffIds);
    const oci = join(tmp, 'del-oci');
    execFileSync('skopeo', ['copy', '--quiet', `oci-archive:${archive}`, `oci:${oci}:v1`]);
    execFileSync('umoci', ['unpack', '--image', `${oci}:v1`, join(tmp, 'del-bundle')]);
    const rootfs = join(tmp, 'del-bundle', 'rootfs');
    expect(existsSync(join(rootfs, 'bin/ls'))).toBe(false);
    expect(existsSync(join(rootfs, 'tmp/f'))).toBe(false);
    expect(statSync(join(rootfs, 'bin/sh')).isFile()).toBe(true);
    expect(readFileSync(join(rootfs, 'hd'), 'utf8')).toBe('heredoc\n');
  });

  it('unpacks a local tar with ADD', async () => {
    const dir = context('add', { Dockerfile: 'FROM busybox\nADD files.tar.gz /opt/\n' });
    mkdirSync(join(tmp, 'tarsrc/pkg'), { recursive: true });
    writeFileSync(join(tmp, 'tarsrc/pkg/readme'), 'from the tarball\n');
    execFileSync('tar', ['-czf', join(dir, 'files.tar.gz'), '-C', join(tmp, 'tarsrc'), 'pkg']);
    expect((await docker(`build -t add:1 ${dir}`)).status).toBe(0);
    expect((await docker('run --rm add:1 cat /opt/pkg/readme')).out).toBe('from the tarball\n');
  });

  it('fails a step as BuildKit does, exit status 1, and names nothing', async () => {
    const dir = context('fail', { Dockerfile: 'FROM busybox\nRUN echo before\nRUN echo out; exit 3\n' });
    const r = await docker(`build -t failed:1 ${dir}`);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/#\d+ \[3\/3\] RUN echo out; exit 3\n#\d+ \d+\.\d{3} out\n#\d+ ERROR: process "\/bin\/sh -c echo out; exit 3" did not complete successfully: exit code: 3\n/);
    expect(r.err).toContain('Dockerfile:3\n--------------------\n   1 |     FROM busybox\n   2 |     RUN echo before\n   3 | >>> RUN echo out; exit 3\n--------------------\n');
    expect(r.err.endsWith('ERROR: failed to solve: process "/bin/sh -c echo out; exit 3" did not complete successfully: exit code: 3\n')).toBe(true);
    expect(await d.images.find('failed:1')).toBeUndefined();
    expect((await docker('ps -a -q')).out).toBe('');
  });

  it('fails cleanly when a RUN fills the writable layer, and builds again after', async () => {
    const dir = context('full', { Dockerfile: 'FROM busybox\nRUN dd if=/dev/zero of=/big bs=1M count=200\n' });
    const r = await docker(`build -t full:1 ${dir}`);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/No space left on device/);
    expect(r.err).toMatch(/ERROR: failed to solve: process "\/bin\/sh -c dd if=\/dev\/zero of=\/big bs=1M count=200" did not complete successfully: exit code: 1\n$/);
    expect(await d.images.find('full:1')).toBeUndefined();
    expect((await docker('ps -a -q')).out).toBe('');
    const ok = context('after-full', { Dockerfile: 'FROM busybox\nRUN echo fine > /f\n' });
    expect((await docker(`build -q ${ok}`)).status).toBe(0);
  });

  it('takes a Dockerfile on stdin in the dockyard CLI (docker build -)', async () => {
    const r = await dockyardProcess(root, ['build', '-t', 'fromstdin:1', '-'], 'FROM busybox\nRUN echo piped > /p\nCMD ["cat", "/p"]\n');
    expect(r.stderr).toMatch(/#\d+ \[2\/2\] RUN echo piped > \/p\n/);
    expect(r.stderr).toMatch(/naming to docker\.io\/library\/fromstdin:1 done/);
    expect(r.code).toBe(0);
  });

  it('docker builder prune drops the cache: the next build runs every step again, built images still run', async () => {
    const r = await docker('builder prune -f');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^Total:\t\d+(\.\d+)?[kM]?B\n$/);
    expect(r.out).not.toBe('Total:\t0B\n');
    expect((await docker('run --rm multi:1')).out).toBe('hey from the build stage\n');
    const again = await docker(`build -t multi:1 --build-arg GREETING=hey ${app}`);
    expect(again.err).not.toMatch(/\] (RUN|COPY) .*\n#\d+ CACHED/);
    expect((await docker('run --rm multi:1')).out).toBe('hey from the build stage\n');
  });

  it('Ctrl-C in the dockyard CLI cancels a build in its RUN: exit 130, and the tag names nothing', async () => {
    const dir = context('ctrlc', { Dockerfile: 'FROM busybox\nRUN echo "step-""started"; sleep 60\n' });
    const home = mkdtempSync(join(tmp, 'home-'));
    const p = spawn(process.execPath, [join(root, 'bin/dockyard.mjs'), 'build', '-t', 'ctrlc:1', dir], { cwd: root, env: { ...process.env, DOCKYARD_HOME: home } });
    let seen = '';
    p.stdout.on('data', (b: Buffer) => (seen += b));
    p.stderr.on('data', (b: Buffer) => (seen += b));
    const code = new Promise<number | null>((r) => p.on('close', (c) => r(c)));
    const deadline = Date.now() + 90_000;
    // the RUN's own output (the progress shows the command as step-""started)
    while (!seen.includes('step-started') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(seen).toContain('step-started');
    const t0 = Date.now();
    p.kill('SIGINT');
    expect(await code).toBe(130);
    // the build itself stopped (not only the CLI after its grace period)
    expect(seen, seen).toContain('ERROR: failed to solve: context canceled');
    expect(Date.now() - t0).toBeLessThan(30_000);
    const after = await dockyardProcess(root, ['images', 'ctrlc'], '', home);
    expect(after.code).toBe(0);
    expect(after.stdout.trim().split('\n')).toHaveLength(1); // the header only
  }, 180_000);

  it('refuses bad Dockerfiles and missing sources with BuildKit messages', async () => {
    const bad = context('bad', { Dockerfile: 'FROM busybox\nRUNN echo\n' });
    const r = await docker(`build ${bad}`);
    expect(r.status).toBe(1);
    expect(r.err).toContain('ERROR: failed to solve: dockerfile parse error on line 2: unknown instruction: RUNN\n');
    const missing = context('missing', { Dockerfile: 'FROM busybox\nCOPY nope.txt /\n' });
    const m = await docker(`build ${missing}`);
    expect(m.status).toBe(1);
    expect(m.err).toContain('ERROR: failed to solve: failed to compute cache key: failed to calculate checksum of ref: "/nope.txt": not found\n');
    const mount = context('mount', { Dockerfile: 'FROM busybox\nRUN --mount=type=cache,target=/c true\n' });
    const u = await docker(`build ${mount}`);
    expect(u.status).toBe(1);
    expect(u.err).toContain('ERROR: failed to solve: RUN --mount is not supported by Dockyard\n');
    const t = await docker(`build --target nosuch ${missing}`);
    expect(t.err).toContain('ERROR: failed to solve: target stage "nosuch" could not be found\n');
  });
});
