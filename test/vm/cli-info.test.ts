// `dockyard info` as a user runs it: a child process, real worker, real guest.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);
const root = inject('root');

async function dockyard(args: string[], cwd = root): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(cwd, 'bin/dockyard.mjs'), ...args], { cwd, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

/** A copy of the project whose artifacts a test may break. */
function scratchRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockyard-'));
  for (const p of ['bin', 'src', 'workers', 'images/dist', 'package.json']) cpSync(join(root, p), join(dir, p), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

describe('dockyard info', () => {
  it('boots the VM and prints the guest kernel, OS, architecture, memory and boot time', async () => {
    const r = await dockyard(['info']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ Kernel Version: 6\.1\.\d+$/m);
    expect(r.stdout).toMatch(/^ Operating System: Dockyard guest/m);
    expect(r.stdout).toMatch(/^ Architecture: i386$/m);
    expect(r.stdout).toMatch(/^ Total Memory: \d+(\.\d+)?MiB$/m);
    expect(r.stdout).toMatch(/^ Boot: (restored from snapshot in \d+\.\d\ds|cold boot in \d+\.\d\ds \(.+\))$/m);
  });

  it('refuses to boot an artifact that does not match the manifest, in one line', async () => {
    const dir = scratchRoot();
    try {
      const kernel = join(dir, 'images/dist/bzImage');
      const bytes = readFileSync(kernel);
      bytes[1000] = bytes[1000]! ^ 0xff;
      writeFileSync(kernel, bytes);
      const r = await dockyard(['info'], dir);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^dockyard: bzImage: sha256 [0-9a-f]{12}… does not match the manifest .*npm run images.*\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says what to do when the artifacts are missing', async () => {
    const dir = scratchRoot();
    try {
      rmSync(join(dir, 'images/dist/manifest.json'));
      const r = await dockyard(['info'], dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^dockyard: guest artifacts missing: .*manifest\.json not found; run `npm run images`\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers --help and usage errors without a VM (here, without guest artifacts at all)', async () => {
    const dir = scratchRoot();
    try {
      rmSync(join(dir, 'images/dist/manifest.json'));
      const help = await dockyard(['container', 'ls', '--help'], dir);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^\nUsage: {2}docker container ls \[OPTIONS\]\n\nList containers\n\nAliases:\n {2}docker container ls, docker container list, docker container ps, docker ps\n\nOptions:\n {2}-a, --all {8}Show all containers/);
      expect((await dockyard(['help', 'run'], dir)).stdout).toContain('\n  -d, --detach ');
      const none = await dockyard(['logs'], dir);
      expect(none.code).toBe(1);
      expect(none.stderr).toMatch(/^"docker logs" requires exactly 1 argument\.\nSee 'docker logs --help'\.\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown command the way docker does', async () => {
    const r = await dockyard(['frob']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("docker: 'frob' is not a docker command.\nSee 'dockyard --help'\n");
  });
});
