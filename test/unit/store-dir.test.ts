// The image store's backends under Node: the shared conformance suite
// against MemoryBlobs and dirBlobs, then what only a directory has (temp
// files, a full disk, open read handles).
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkKey, MemoryBlobs, putThroughWriter, StoreFullError } from '../../src/common/store/blobs.js';
import { dirBlobs } from '../../workers/store-dir.js';
import { blobsConformance, pattern } from './blobs-conformance.js';

const scratch = mkdtempSync(join(tmpdir(), 'dockyard-store-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(scratch, `s${n++}`);

describe('MemoryBlobs', () => {
  blobsConformance(it, async () => new MemoryBlobs());

  it('a limit counts every value, a replaced one once; up to the limit fits, a byte more is StoreFullError', async () => {
    const b = new MemoryBlobs(10, 'test store');
    await b.put('a', pattern(4));
    await b.put('b', pattern(6)); // 10: full
    await b.put('b', pattern(6, 2)); // replaces: still 10
    const full = await b.put('c', pattern(1)).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(StoreFullError);
    expect((full as Error).name).toBe('StoreFullError');
    expect((full as Error).message).toBe('no space left in the image store (test store)');
    await b.delete('b');
    const w = await b.writer('w');
    await w.write(pattern(3));
    await w.write(pattern(3, 3)); // 4 + 6
    await expect(w.write(pattern(1))).rejects.toThrow('no space left in the image store (test store)');
    await w.commit();
    expect(await b.get('w')).toEqual(new Uint8Array([...pattern(3), ...pattern(3, 3)]));
    expect(await b.list('')).toEqual(['a', 'w']);
  });

  it('a writer keeps its own copy of each chunk', async () => {
    const b = new MemoryBlobs();
    const w = await b.writer('k');
    const chunk = pattern(8);
    await w.write(chunk);
    chunk.fill(0);
    await w.commit();
    expect(await b.get('k')).toEqual(pattern(8));
  });
});

describe('store keys and putThroughWriter', () => {
  it('checkKey returns a good key and names a bad one', () => {
    for (const k of ['a', 'A-Z_0.9/x', 'content/sha256/ab', '.a', '..a', '.tmpx', 'a.tmp-']) expect(checkKey(k)).toBe(k);
    for (const k of ['a b', ' a', 'a ', 'a/b c', '/a', 'a/', 'a/./b', 'a/../b', '.tmp-1', 'a/.tmp-x/b']) expect(() => checkKey(k)).toThrow(`bad store key ${JSON.stringify(k)}`);
  });

  it('writes once then commits; a failed write aborts and the error comes through', async () => {
    const calls: string[] = [];
    const writer = (fail: boolean) => async (key: string) => ({
      write: async (c: Uint8Array) => {
        calls.push(`write ${key} ${c.length}`);
        if (fail) throw new StoreFullError('full');
      },
      commit: async () => void calls.push('commit'),
      abort: async () => void calls.push('abort'),
    });
    await putThroughWriter({ writer: writer(false) }, 'k', pattern(3));
    expect(calls.splice(0)).toEqual(['write k 3', 'commit']);
    await expect(putThroughWriter({ writer: writer(true) }, 'k', pattern(3))).rejects.toThrow('full');
    expect(calls).toEqual(['write k 3', 'abort']);
  });
});

describe('dirBlobs', () => {
  blobsConformance(it, () => dirBlobs(freshDir()));

  it('keys are files under the directory; where names it', async () => {
    const dir = freshDir();
    const b = await dirBlobs(dir);
    expect(b.where).toBe(dir);
    await b.put('content/sha256/ab', new TextEncoder().encode('hi'));
    expect(readdirSync(join(dir, 'content', 'sha256'))).toEqual(['ab']);
    // a second store on the same directory (another CLI process) sees it
    expect(new TextDecoder().decode(await (await dirBlobs(dir)).get('content/sha256/ab'))).toBe('hi');
  });

  it('leaves no temp file behind after commit or abort; stale ones are not listed', async () => {
    const dir = freshDir();
    const b = await dirBlobs(dir);
    await b.put('a/x', pattern(10));
    const w = await b.writer('a/y');
    await w.write(pattern(10));
    expect(readdirSync(join(dir, 'a')).filter((f) => f.startsWith('.tmp-'))).toHaveLength(1);
    await w.abort();
    expect(readdirSync(join(dir, 'a'))).toEqual(['x']);
    writeFileSync(join(dir, 'a', '.tmp-0123456789abcdef'), 'crashed mid-write');
    mkdirSync(join(dir, 'a', 'sub'));
    expect(await b.list('a/')).toEqual(['a/x']);
  });

  it('a directory is not a value', async () => {
    const b = await dirBlobs(freshDir());
    await b.put('content/sha256/ab', pattern(3));
    expect(await b.get('content')).toBeUndefined();
    expect(await b.size('content/sha256')).toBeUndefined();
    expect(await b.read('content/sha256', 0, 10)).toBeUndefined();
    await b.delete('content/sha256'); // no key there: nothing happens
    expect(await b.list('content/')).toEqual(['content/sha256/ab']);
  });

  it('reads many keys (more than it keeps open) and sees replaced values', async () => {
    const b = await dirBlobs(freshDir());
    for (let i = 0; i < 40; i++) await b.put(`l/${i}`, pattern(8192, i + 1));
    for (let round = 0; round < 2; round++) {
      const got = await Promise.all(Array.from({ length: 40 }, (_, i) => b.read(`l/${i}`, 100, 50)));
      got.forEach((g, i) => expect(g).toEqual(pattern(8192, i + 1).subarray(100, 150)));
    }
    await b.put('l/3', pattern(200, 99));
    expect(await b.read('l/3', 100, 50)).toEqual(pattern(200, 99).subarray(100, 150));
    // replaced behind its back (another process): a rename gives a new file; delete+put does too
    const other = await dirBlobs(b.where);
    await other.put('l/4', pattern(200, 98));
    await b.delete('l/4');
    await b.put('l/4', pattern(200, 97));
    expect(await b.read('l/4', 0, 10)).toEqual(pattern(200, 97).subarray(0, 10));
  });
});

/** A 1 MiB tmpfs, if this process may mount one (root in a VM or a privileged container). */
function tinyTmpfs(): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'dockyard-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}
const full = process.getuid?.() === 0 ? tinyTmpfs() : undefined;
afterAll(() => {
  if (!full) return;
  execFileSync('umount', ['-l', full]); // lazily: the store may still hold a read handle open there
  rmSync(full, { recursive: true, force: true });
});

describe('dirBlobs on a full disk', () => {
  it.skipIf(!full)('put and writer fail with StoreFullError and keep the old value; the space comes back', async () => {
    const b = await dirBlobs(join(full!, 'store'));
    const old = pattern(300 * 1024, 1);
    await b.put('snapshots/a/layer.tar', old);

    const big = pattern(2 * 1024 * 1024, 2);
    const err = await b.put('snapshots/a/layer.tar', big).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreFullError);
    expect((err as Error).message).toBe(`no space left in the image store at ${join(full!, 'store')}`);
    expect(await b.get('snapshots/a/layer.tar')).toEqual(old);

    const w = await b.writer('snapshots/b/layer.tar');
    let failed: unknown;
    for (let o = 0; o < big.length && !failed; o += 65536) failed = await w.write(big.subarray(o, o + 65536)).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(StoreFullError);
    await expect(w.commit()).rejects.toBeInstanceOf(StoreFullError);
    await w.abort();
    expect(await b.size('snapshots/b/layer.tar')).toBeUndefined();
    expect(await b.list('snapshots/')).toEqual(['snapshots/a/layer.tar']);
    // nothing of the failed writes is left: a value that fits beside the old one still goes in
    expect(readdirSync(join(full!, 'store', 'snapshots', 'a'))).toEqual(['layer.tar']);
    await b.put('snapshots/c/layer.tar', pattern(500 * 1024, 3));
    expect(await b.size('snapshots/c/layer.tar')).toBe(500 * 1024);
  });
});
