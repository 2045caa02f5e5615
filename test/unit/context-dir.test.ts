// The Node CLI's build context: a directory read with modes, mtimes and
// symlinks, refused past the limit with a clear message.
import { describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readContextDir } from '../../src/node/context-dir.js';

describe('readContextDir', () => {
  it('reads files, directories and symlinks in name order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockyard-ctx-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src/a.sh'), 'echo\n');
    chmodSync(join(dir, 'src/a.sh'), 0o755);
    symlinkSync('src/a.sh', join(dir, 'run'));
    const files = await readContextDir(dir);
    expect(files.map((f) => [f.path, f.kind])).toEqual([
      ['run', 'symlink'],
      ['src', 'dir'],
      ['src/a.sh', 'file'],
    ]);
    expect(files[2]!.mode).toBe(0o755);
    expect(files[0]!.link).toBe('src/a.sh');
  });

  it('refuses a context over the limit, and a missing one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockyard-ctx-'));
    writeFileSync(join(dir, 'big'), new Uint8Array(2048));
    await expect(readContextDir(dir, 1024)).rejects.toThrow(`build context ${dir} is over the limit of 1024 bytes: list what the build does not need in .dockerignore`);
    await expect(readContextDir(join(dir, 'nope'))).rejects.toThrow(`unable to prepare context: path "${join(dir, 'nope')}" not found`);
  });
});
