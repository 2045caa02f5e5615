// The guest daemon's pure parts (frame codec, attrs, tar applier, digest…)
// built natively under ASan/UBSan and run by its own C test harness.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);

describe('containerd-lite C tests (native, ASan/UBSan)', () => {
  it('pass', async () => {
    const root = inject('root');
    const dir = `${root}/images/containerd-lite`;
    const { stdout, stderr } = await run('make', ['-s', '-C', dir, 'check', `O=${root}/node_modules/.cache/dockyard/cl-check`], {
      timeout: 240_000,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((e: { stdout: string; stderr: string }) => {
      throw new Error(`make check failed:\n${e.stdout}\n${e.stderr}`);
    });
    const summary = (stdout + stderr).match(/^(\d+) passed, (\d+) failed$/m);
    expect(summary, stdout + stderr).not.toBeNull();
    expect(Number(summary![2])).toBe(0);
    expect(Number(summary![1])).toBeGreaterThan(20);
  }, 300_000);
});
