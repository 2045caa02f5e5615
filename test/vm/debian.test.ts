// A Debian-sized image (3 layers, ~142 MB unpacked: Debian's minbase, then
// python3, then edits exercising whiteouts, an opaque directory, hard links
// and setuid bits; test/fixtures/debian-image.ts builds it from Debian's
// i386 packages, cached) loaded into a 128 MB guest through the host-side
// image store, run as Docker would, and found again by the next CLI
// invocation without loading it again.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDockyard } from '../../src/node/cli.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';
import { debianImage, EDITS, type DebianImage } from '../fixtures/debian-image.js';
import { dockerCli } from './docker-cli.js';
import { dockyardProcess } from './dockyard-process.js';
import { missing as missingTools } from '../fixtures/tools.js';

const root = inject('root');
const workerPath = inject('workerPath');

const missing = missingTools(['mmdebstrap', 'tar', 'gzip', 'apt-cache']);
const skip = missing.length > 0 || process.getuid?.() !== 0;

let d: Dockyard;
let img: DebianImage;
const docker = dockerCli(() => d);

const cli = (args: string[]) => dockyardProcess(root, args);

describe.skipIf(skip)(`a Debian-sized image in a 128 MB guest${skip ? ` (skipped: ${missing.length ? `no ${missing.join(', ')}` : 'not root'})` : ''}`, () => {
  beforeAll(async () => {
    img = await debianImage();
    d = await startDockyard(root, workerPath);
  }, 600_000);

  afterAll(async () => {
    await d?.close();
  });

  it('loads, with every layer unpacked by the host', async () => {
    const r = await docker(`load -i ${img.archive}`);
    expect(r.err).toBe('');
    expect(r.out).toBe('Loaded image: dockyard-debian:test\n');
    const images = await docker('images dockyard-debian');
    expect(images.out).toMatch(/^dockyard-debian\s+test\s+[0-9a-f]{12}\s+.+\s+1[34]\dMB\n?$/m);
  }, 120_000);

  it('runs python3, and the layers come out as Docker unpacks them', async () => {
    expect((await docker(`run --rm dockyard-debian:test python3 -c 'print(6*7)'`)).out).toBe('42\n');
    const r = await docker(
      `run --rm dockyard-debian:test sh -c 'test -e ${EDITS.whiteout} && echo present || echo gone; ls -A ${EDITS.opaqueDir}; stat -c "%i %h" ${EDITS.hardLinks.join(' ')} ${EDITS.baseHardLinks.join(' ')}; stat -c "%a %u" ${EDITS.setuid} ${EDITS.baseSetuid}; readlink ${EDITS.python.path}'`,
    );
    expect(r.err).toBe('');
    const lines = r.out.trimEnd().split('\n');
    expect(lines.slice(0, 2)).toEqual(['gone', ...EDITS.opaqueEntries]);
    const [a, b, c, e] = lines.slice(2, 6).map((l) => l.split(' '));
    expect(a![0]).toBe(b![0]);
    expect(a![1]).toBe('2');
    expect(c![0]).toBe(e![0]);
    expect(c![1]).toBe('2');
    expect(lines.slice(6)).toEqual(['4755 0', '4755 0', EDITS.python.target]);
  }, 120_000);

  it('runs two containers of it side by side, the guest keeping most of its memory', async () => {
    for (const n of ['py1', 'py2']) {
      expect((await docker(`run -d --name ${n} dockyard-debian:test python3 -c 'import time; time.sleep(300)'`)).status).toBe(0);
    }
    expect((await docker(`exec py1 sh -c 'echo from-py1 > /tmp/x; cat /tmp/x'`)).out).toBe('from-py1\n');
    expect((await docker(`exec py2 sh -c 'cat /tmp/x 2>&1 || echo apart'`)).out).toMatch(/apart\n$/);
    const info = await d.info();
    // the 142 MB image is not in the guest: only what the two read
    expect(info.memAvailableBytes).toBeGreaterThan(info.totalMemoryBytes / 2);
    expect((await docker('rm -f py1 py2')).status).toBe(0);
  }, 120_000);

  it('is found by the next CLI invocation without loading it again, and removed by rmi', async () => {
    const images = await cli(['images', 'dockyard-debian']);
    expect(images.stderr).toBe('');
    expect(images.stdout).toMatch(/dockyard-debian\s+test/);
    const run = await cli(['run', '--rm', 'dockyard-debian:test', 'python3', '-c', 'print("again")']);
    expect(run.stdout).toBe('again\n');
    const rmi = await cli(['rmi', 'dockyard-debian:test']);
    expect(rmi.stdout).toMatch(/^Untagged: dockyard-debian:test\nDeleted: sha256:[0-9a-f]{64}\n$/);
    expect((await cli(['images', '-q', 'dockyard-debian'])).stdout).toBe('');
    // and nothing of it is left in the store
    expect(await d.backend.store('snapshotList')).toEqual([]);
    expect(await d.backend.store('contentList')).toEqual([]);
  }, 180_000);
});
