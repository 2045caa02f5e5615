// The catalog's images (images/tools/catalog.ts: debian:bookworm-slim and
// python:3.11-slim, built from Debian's i386 packages with the maintainer
// scripts run in Dockyard's own guest; cached in node_modules/.cache, so
// only the first run on a machine builds them), pulled and run as their
// Docker Hub namesakes are.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { catalog, recipePackages, type Catalog } from '../../images/tools/catalog.js';
import { startDockyard } from '../../src/node/cli.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';
import { dockerCli } from './docker-cli.js';

const root = inject('root');
const workerPath = inject('workerPath');

const has = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const missing = ['mmdebstrap', 'dpkg', 'ar', 'tar', 'gzip', 'apt-cache'].filter((c) => !has(c));
const skip = missing.length > 0 || process.getuid?.() !== 0;

let d: Dockyard;
let home: string;
let built: Catalog;
const docker = dockerCli(() => d);

describe.skipIf(skip)(`the catalog: debian and python${skip ? ` (skipped: ${missing.length ? `no ${missing.join(', ')}` : 'not root'})` : ''}`, () => {
  beforeAll(async () => {
    // built on the first run on a machine (minutes), then from the cache
    built = await catalog({ log: (s) => process.stderr.write(`${s}\n`) });
    home = mkdtempSync(join(tmpdir(), 'dockyard-catalog-'));
    d = await startDockyard(root, workerPath, { home });
  }, 1_800_000);

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
});
