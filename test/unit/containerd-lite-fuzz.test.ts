// libFuzzer on the guest daemon's input parser, natively: the frame decoder
// (with reassembly and attrs). Layers are the host's now: their fuzzer is
// test/unit/layer-apply.test.ts. `make fuzz` replays the saved regression
// inputs, then fuzzes for FUZZ_SECONDS and fails on any crash or sanitizer
// report. Needs clang (CI installs it).
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);
const SECONDS = 12;

function hasClang(): boolean {
  try {
    execFileSync('clang', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Without clang a developer's machine skips it; CI must not.
const skip = !hasClang() && !process.env.CI;

describe.skipIf(skip)('containerd-lite fuzz targets (libFuzzer, ASan/UBSan)', () => {
  it(`survive ${SECONDS} s each`, async () => {
    const root = inject('root');
    const dir = `${root}/images/containerd-lite`;
    const { stdout, stderr } = await run('make', ['-s', '-C', dir, 'fuzz', `FUZZ_SECONDS=${SECONDS}`, `O=${root}/node_modules/.cache/dockyard/cl-fuzz`], {
      timeout: 240_000,
      maxBuffer: 16 * 1024 * 1024,
    }).catch((e: { stdout: string; stderr: string }) => {
      throw new Error(`make fuzz failed:\n${e.stdout}\n${e.stderr}`);
    });
    const out = stdout + stderr;
    for (const target of ['frame']) {
      const m = out.match(new RegExp(`^fuzz_${target}: (\\d+) runs in ${SECONDS} s, .*no crash$`, 'm'));
      expect(m, out).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(1000);
    }
  }, 300_000);
});
