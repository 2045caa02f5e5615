// Runs in a dedicated Worker in Chromium for bench/store-browser.ts: the
// three places a page can keep the image store, timed on what the store
// does — a 40 MB layer written in 1 MiB chunks, 1000 random 4 KiB reads of
// it (one at a time, as the guest reads files), 100 small values (image
// records) written and read one by one. Each run starts from empty storage.
import { opfsBlobs } from '../workers/store-opfs.js';

const MiB = 1 << 20;
const LAYER = 40 * MiB;
const READS = 1000;
const SMALL = 100;

const chunk = (i: number) => new Uint8Array(MiB).fill(i & 0xff);
const smallValue = (i: number) => new TextEncoder().encode(JSON.stringify({ name: `image-${i}`, digest: 'sha256:'.padEnd(71, String(i % 10)), pad: 'x'.repeat(600) }));

function offsets(): number[] {
  let x = 12345;
  return Array.from({ length: READS }, () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % (LAYER - 4096);
  });
}

async function time(f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

function check(b: Uint8Array | undefined, off: number): void {
  if (!b || b.length !== 4096 || b[0] !== (Math.floor(off / MiB) & 0xff)) throw new Error(`bad read at ${off}`);
}

type Figures = Record<string, number>;

async function opfs(): Promise<Figures> {
  const root = `bench-${Date.now()}`;
  const s = await opfsBlobs(root);
  const f: Figures = {};
  let commit = 0;
  f['write 40 MB'] = await time(async () => {
    const w = await s.writer('snapshots/a/layer.tar');
    for (let i = 0; i < 40; i++) await w.write(chunk(i));
    commit = await time(() => w.commit());
  });
  f['  of which commit (move)'] = commit;
  const offs = offsets();
  f['1000 × 4 KiB reads'] = await time(async () => {
    for (const o of offs) check(await s.read('snapshots/a/layer.tar', o, 4096), o);
  });
  f['100 small puts'] = await time(async () => {
    for (let i = 0; i < SMALL; i++) await s.put(`images/i${i}`, smallValue(i));
  });
  f['100 small gets'] = await time(async () => {
    for (let i = 0; i < SMALL; i++) if (!(await s.get(`images/i${i}`))) throw new Error('lost');
  });
  // reads through File (getFile) instead of a sync access handle
  const dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(root);
  const images = await dir.getDirectoryHandle('images');
  f['100 small gets (getFile)'] = await time(async () => {
    for (let i = 0; i < SMALL; i++) if (!(await (await (await images.getFileHandle(`i${i}`)).getFile()).arrayBuffer()).byteLength) throw new Error('lost');
  });
  const fh = await (await (await dir.getDirectoryHandle('snapshots')).getDirectoryHandle('a')).getFileHandle('layer.tar');
  f['1000 × 4 KiB reads (File.slice)'] = await time(async () => {
    for (const o of offs) check(new Uint8Array(await (await fh.getFile()).slice(o, o + 4096).arrayBuffer()), o);
  });
  // the commit fallback where move() is missing: copy the temp file over the key
  f['copy 40 MB (commit without move)'] = await time(async () => {
    type H = FileSystemFileHandle & { createSyncAccessHandle(): Promise<FileSystemSyncAccessHandle> };
    const src = await (fh as H).createSyncAccessHandle();
    const dst = await ((await dir.getFileHandle('copy', { create: true })) as H).createSyncAccessHandle();
    const buf = new Uint8Array(MiB);
    for (let at = 0; at < src.getSize(); ) {
      const n = src.read(buf, { at });
      dst.write(buf.subarray(0, n), { at });
      at += n;
    }
    dst.flush();
    dst.close();
    src.close();
  });
  // (no clean-up: the store keeps read handles open, and each run has a fresh profile)
  return f;
}

async function cacheStorage(): Promise<Figures> {
  const name = `bench-${Date.now()}`;
  const c = await caches.open(name);
  const f: Figures = {};
  const url = (k: string) => `https://store.invalid/${k}`;
  f['write 40 MB'] = await time(async () => {
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (i < 40) ctl.enqueue(chunk(i++));
        else ctl.close();
      },
    });
    await c.put(url('layer'), new Response(body, { headers: { 'content-length': String(LAYER) } }));
  });
  const offs = offsets();
  f['1000 × 4 KiB reads'] = await time(async () => {
    for (const o of offs) {
      const blob = await (await c.match(url('layer')))!.blob();
      check(new Uint8Array(await blob.slice(o, o + 4096).arrayBuffer()), o);
    }
  });
  f['1000 × 4 KiB reads (Blob kept)'] = await time(async () => {
    const blob = await (await c.match(url('layer')))!.blob();
    for (const o of offs) check(new Uint8Array(await blob.slice(o, o + 4096).arrayBuffer()), o);
  });
  f['100 small puts'] = await time(async () => {
    for (let i = 0; i < SMALL; i++) await c.put(url(`i${i}`), new Response(smallValue(i)));
  });
  f['100 small gets'] = await time(async () => {
    for (let i = 0; i < SMALL; i++) if (!(await (await c.match(url(`i${i}`)))!.arrayBuffer()).byteLength) throw new Error('lost');
  });
  await caches.delete(name);
  return f;
}

const req = <T>(r: IDBRequest<T>) =>
  new Promise<T>((ok, fail) => {
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error);
  });
const done = (t: IDBTransaction) =>
  new Promise<void>((ok, fail) => {
    t.oncomplete = () => ok();
    t.onerror = t.onabort = () => fail(t.error);
  });

/** Layers as 64 KiB records (a 4 KiB read then reads one or two of them), written a 1 MiB chunk per transaction. */
async function indexedDb(): Promise<Figures> {
  const REC = 64 * 1024;
  const name = `bench-${Date.now()}`;
  const open = indexedDB.open(name, 1);
  open.onupgradeneeded = () => {
    open.result.createObjectStore('chunks');
    open.result.createObjectStore('values');
  };
  const db = await req(open);
  const f: Figures = {};
  f['write 40 MB'] = await time(async () => {
    for (let i = 0; i < 40; i++) {
      const t = db.transaction('chunks', 'readwrite');
      const c = chunk(i);
      for (let o = 0; o < MiB; o += REC) t.objectStore('chunks').put(c.slice(o, o + REC), ['layer', (i * MiB + o) / REC]);
      await done(t);
    }
  });
  const offs = offsets();
  f['1000 × 4 KiB reads'] = await time(async () => {
    for (const o of offs) {
      const first = Math.floor(o / REC);
      const last = Math.floor((o + 4095) / REC);
      const t = db.transaction('chunks', 'readonly');
      const recs = await Promise.all(Array.from({ length: last - first + 1 }, (_, k) => req(t.objectStore('chunks').get(['layer', first + k]) as IDBRequest<Uint8Array>)));
      const out = new Uint8Array(4096);
      let n = 0;
      for (const [k, r] of recs.entries()) {
        const from = k === 0 ? o - first * REC : 0;
        const part = r.subarray(from, from + 4096 - n);
        out.set(part, n);
        n += part.length;
      }
      check(out, o);
    }
  });
  f['100 small puts'] = await time(async () => {
    for (let i = 0; i < SMALL; i++) {
      const t = db.transaction('values', 'readwrite');
      t.objectStore('values').put(smallValue(i), `i${i}`);
      await done(t);
    }
  });
  f['100 small gets'] = await time(async () => {
    for (let i = 0; i < SMALL; i++) if (!(await req(db.transaction('values', 'readonly').objectStore('values').get(`i${i}`)))) throw new Error('lost');
  });
  db.close();
  await req(indexedDB.deleteDatabase(name));
  return f;
}

const BACKENDS: Record<string, () => Promise<Figures>> = { OPFS: opfs, 'Cache Storage': cacheStorage, IndexedDB: indexedDb };

self.onmessage = (e: MessageEvent<string>) => {
  BACKENDS[e.data]!().then(
    (result) => postMessage({ result }),
    (err: unknown) => postMessage({ error: String(err) }),
  );
};
