// What every Blobs backend must do, as one suite: MemoryBlobs and dirBlobs
// run it under vitest (test/unit/store-dir.test.ts), opfsBlobs inside a
// Worker in Chromium (test/browser/store-opfs.test.ts). So it imports
// nothing from vitest: it registers its cases through the `it` it is given
// and asserts with the small helpers below.
import type { Blobs } from '../../src/common/store/blobs.js';

export type It = (name: string, fn: () => Promise<void>) => void;

class CheckFailed extends Error {
  override name = 'CheckFailed';
}

function show(v: unknown): string {
  if (v instanceof Uint8Array) return v.length > 16 ? `bytes[${v.length}] ${Array.from(v.subarray(0, 16)).join(',')}…` : `bytes[${v.length}] ${Array.from(v).join(',')}`;
  return JSON.stringify(v);
}

function eq(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) throw new CheckFailed(`${what}: got ${show(actual)}, want ${show(expected)}`);
}

function sameBytes(actual: Uint8Array | undefined, expected: Uint8Array, what: string): void {
  if (!(actual instanceof Uint8Array)) throw new CheckFailed(`${what}: got ${show(actual)}, want ${show(expected)}`);
  if (actual.length !== expected.length) throw new CheckFailed(`${what}: got ${show(actual)}, want ${show(expected)}`);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) throw new CheckFailed(`${what}: differs at byte ${i}: got ${show(actual)}, want ${show(expected)}`);
  }
}

function sameKeys(actual: string[], expected: string[], what: string): void {
  eq(JSON.stringify([...actual].sort()), JSON.stringify([...expected].sort()), what);
}

async function rejects(p: Promise<unknown>, re: RegExp, what: string): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new CheckFailed(`${what}: did not fail`);
  if (!re.test(String((err as Error).message))) throw new CheckFailed(`${what}: failed with ${String(err)}, want ${re}`);
}

/** Deterministic bytes (a value's content tells where it came from). */
export function pattern(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    b[i] = x & 0xff;
  }
  return b;
}

const text = (s: string) => new TextEncoder().encode(s);

/** Registers the suite; `open` gives a fresh, empty store for each case. */
export function blobsConformance(it: It, open: () => Promise<Blobs>): void {
  it('an absent key has no value, size or bytes', async () => {
    const b = await open();
    eq(await b.get('content/sha256/00'), undefined, 'get');
    eq(await b.size('content/sha256/00'), undefined, 'size');
    eq(await b.read('content/sha256/00', 0, 10), undefined, 'read');
    sameKeys(await b.list('content/'), [], 'list');
    eq(typeof b.where, 'string', 'where');
  });

  it('put then get gives the bytes; a later change to the caller’s array does not reach the store', async () => {
    const b = await open();
    const v = pattern(1000);
    await b.put('content/sha256/aa', v);
    const keep = v.slice();
    v.fill(0);
    sameBytes(await b.get('content/sha256/aa'), keep, 'get');
    eq(await b.size('content/sha256/aa'), 1000, 'size');
  });

  it('an empty value is a value', async () => {
    const b = await open();
    await b.put('images/empty', new Uint8Array(0));
    sameBytes(await b.get('images/empty'), new Uint8Array(0), 'get');
    eq(await b.size('images/empty'), 0, 'size');
    sameBytes(await b.read('images/empty', 0, 10), new Uint8Array(0), 'read');
    sameKeys(await b.list('images/'), ['images/empty'], 'list');
  });

  it('put replaces the value, and reads see the new one', async () => {
    const b = await open();
    await b.put('k', pattern(5000, 1));
    sameBytes(await b.read('k', 100, 10), pattern(5000, 1).subarray(100, 110), 'read before');
    await b.put('k', pattern(300, 2));
    sameBytes(await b.get('k'), pattern(300, 2), 'get after');
    eq(await b.size('k'), 300, 'size after');
    sameBytes(await b.read('k', 100, 10), pattern(300, 2).subarray(100, 110), 'read after');
  });

  it('read gives byte ranges: inside, up to the end, past the end, empty', async () => {
    const b = await open();
    const v = pattern(10_000, 3);
    await b.put('snapshots/ab/layer.tar', v);
    const r = (o: number, n: number) => b.read('snapshots/ab/layer.tar', o, n);
    sameBytes(await r(0, 10), v.subarray(0, 10), 'first bytes');
    sameBytes(await r(4096, 4096), v.subarray(4096, 8192), 'a middle block');
    sameBytes(await r(9990, 10), v.subarray(9990), 'last bytes');
    sameBytes(await r(9995, 100), v.subarray(9995), 'across the end: fewer');
    sameBytes(await r(10_000, 5), new Uint8Array(0), 'at the end: none');
    sameBytes(await r(20_000, 5), new Uint8Array(0), 'past the end: none');
    sameBytes(await r(50, 0), new Uint8Array(0), 'zero length');
    sameBytes(await r(0, 10_000), v, 'all of it');
  });

  it('many concurrent ranged reads of one key all get their bytes', async () => {
    const b = await open();
    const v = pattern(256 * 1024, 4);
    await b.put('snapshots/cd/layer.tar', v);
    const offs = Array.from({ length: 64 }, (_, i) => (i * 7919 * 31) % (v.length - 4096));
    const got = await Promise.all(offs.map((o) => b.read('snapshots/cd/layer.tar', o, 4096)));
    offs.forEach((o, i) => sameBytes(got[i], v.subarray(o, o + 4096), `read at ${o}`));
    const [s, whole] = await Promise.all([b.size('snapshots/cd/layer.tar'), b.get('snapshots/cd/layer.tar'), b.read('snapshots/cd/layer.tar', 1, 1)]);
    eq(s, v.length, 'size alongside');
    sameBytes(whole, v, 'get alongside');
  });

  it('list gives the keys under a prefix, at any depth, and nothing else', async () => {
    const b = await open();
    const keys = ['content/sha256/01', 'content/sha256/02', 'content/other/x', 'snapshots/01/layer.tar', 'snapshots/02/layer.tar', 'images/busybox_latest', 'top'];
    for (const k of keys) await b.put(k, text(k));
    sameKeys(await b.list('content/'), keys.slice(0, 3), 'content/');
    sameKeys(await b.list('content/sha256/'), keys.slice(0, 2), 'content/sha256/');
    sameKeys(await b.list('snapshots/'), keys.slice(3, 5), 'snapshots/');
    sameKeys(await b.list('images/'), ['images/busybox_latest'], 'images/');
    sameKeys(await b.list('nothing/'), [], 'nothing/');
    sameKeys(await b.list('content/sha256/01/'), [], 'a value is no directory');
  });

  it('delete removes the key; deleting an absent key does nothing', async () => {
    const b = await open();
    await b.put('content/sha256/aa', pattern(100));
    await b.put('content/sha256/bb', pattern(100, 2));
    sameBytes(await b.read('content/sha256/aa', 0, 4), pattern(100).subarray(0, 4), 'read before');
    await b.delete('content/sha256/aa');
    eq(await b.get('content/sha256/aa'), undefined, 'get after');
    eq(await b.read('content/sha256/aa', 0, 4), undefined, 'read after');
    eq(await b.size('content/sha256/aa'), undefined, 'size after');
    sameKeys(await b.list('content/'), ['content/sha256/bb'], 'list after');
    await b.delete('content/sha256/aa');
    await b.delete('never/was');
    await b.put('content/sha256/aa', pattern(7, 5));
    sameBytes(await b.read('content/sha256/aa', 0, 100), pattern(7, 5), 'put again after delete');
  });

  it('a writer’s value appears whole on commit, not before', async () => {
    const b = await open();
    const v = pattern(3 * 1024 * 1024 + 17, 6);
    const w = await b.writer('snapshots/ef/layer.tar');
    for (let o = 0; o < v.length; o += 65536) {
      await w.write(v.subarray(o, o + 65536));
      if (o === 0) {
        eq(await b.size('snapshots/ef/layer.tar'), undefined, 'size while writing');
        eq(await b.read('snapshots/ef/layer.tar', 0, 1), undefined, 'read while writing');
        sameKeys(await b.list('snapshots/'), [], 'list while writing');
      }
    }
    await w.commit();
    eq(await b.size('snapshots/ef/layer.tar'), v.length, 'size');
    sameBytes(await b.get('snapshots/ef/layer.tar'), v, 'get');
    for (const o of [0, 65535, 1_000_000, v.length - 3]) sameBytes(await b.read('snapshots/ef/layer.tar', o, 4096), v.subarray(o, o + 4096), `read at ${o}`);
    sameKeys(await b.list('snapshots/'), ['snapshots/ef/layer.tar'], 'list');
  });

  it('a writer over an existing value: readers see the old one until commit', async () => {
    const b = await open();
    await b.put('k/v', pattern(2000, 1));
    sameBytes(await b.read('k/v', 0, 8), pattern(2000, 1).subarray(0, 8), 'read before');
    const w = await b.writer('k/v');
    await w.write(pattern(500, 2).subarray(0, 250));
    sameBytes(await b.get('k/v'), pattern(2000, 1), 'get while writing');
    sameBytes(await b.read('k/v', 1990, 100), pattern(2000, 1).subarray(1990), 'read while writing');
    await w.write(pattern(500, 2).subarray(250));
    await w.commit();
    sameBytes(await b.get('k/v'), pattern(500, 2), 'get after commit');
    sameBytes(await b.read('k/v', 0, 8), pattern(500, 2).subarray(0, 8), 'read after commit');
  });

  it('abort drops what was written and keeps the old value (or none)', async () => {
    const b = await open();
    await b.put('k/old', pattern(100, 1));
    const w1 = await b.writer('k/old');
    await w1.write(pattern(5000, 2));
    await w1.abort();
    sameBytes(await b.get('k/old'), pattern(100, 1), 'old value kept');
    const w2 = await b.writer('k/new');
    await w2.write(pattern(5000, 3));
    await w2.abort();
    eq(await b.get('k/new'), undefined, 'no new value');
    sameKeys(await b.list('k/'), ['k/old'], 'list: no trace of either');
    await w2.abort(); // twice: nothing more to do
  });

  it('two writers of one key: the later commit wins, whole', async () => {
    const b = await open();
    const w1 = await b.writer('k');
    const w2 = await b.writer('k');
    await w1.write(pattern(3000, 1));
    await w2.write(pattern(1000, 2));
    await w2.commit();
    await w1.commit();
    sameBytes(await b.get('k'), pattern(3000, 1), 'get');
    sameKeys(await b.list(''), ['k'], 'list');
  });

  it('put of many values at once', async () => {
    const b = await open();
    await Promise.all(Array.from({ length: 40 }, (_, i) => b.put(`images/n${i}`, text(`record ${i}`))));
    eq((await b.list('images/')).length, 40, 'listed');
    const got = await Promise.all(Array.from({ length: 40 }, (_, i) => b.get(`images/n${i}`)));
    got.forEach((g, i) => sameBytes(g, text(`record ${i}`), `images/n${i}`));
  });

  it('bad keys are refused by every method', async () => {
    const b = await open();
    for (const k of ['', '/a', 'a/', 'a//b', '..', '../a', 'a/../b', 'a/./b', '.', 'a b', 'a\\b', 'é', '.tmp-1', 'a/.tmp-x']) {
      const re = /bad store key/;
      await rejects(b.put(k, text('x')), re, `put ${JSON.stringify(k)}`);
      await rejects(b.writer(k), re, `writer ${JSON.stringify(k)}`);
      await rejects(b.get(k), re, `get ${JSON.stringify(k)}`);
      await rejects(b.read(k, 0, 1), re, `read ${JSON.stringify(k)}`);
      await rejects(b.size(k), re, `size ${JSON.stringify(k)}`);
      await rejects(b.delete(k), re, `delete ${JSON.stringify(k)}`);
    }
    sameKeys(await b.list(''), [], 'nothing was written');
  });
}
