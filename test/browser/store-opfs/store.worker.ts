// Runs in a dedicated Worker in Chromium (test/browser/store-opfs.test.ts):
// the Blobs conformance suite against opfsBlobs, and a write/read pair for
// "values survive a page reload". Answers each message with one result.
import { blobsConformance } from '../../unit/blobs-conformance.js';
import { opfsBlobs } from '../../../workers/store-opfs.js';
import { StoreFullError } from '../../../src/common/store/blobs.js';

export type Request = { op: 'conformance' } | { op: 'write'; root: string } | { op: 'read'; root: string } | { op: 'full'; root: string };
export interface CaseResult {
  name: string;
  error?: string;
}

async function conformance(): Promise<CaseResult[]> {
  const cases: { name: string; fn: () => Promise<void> }[] = [];
  let n = 0;
  const run = `conformance-${Date.now()}`;
  blobsConformance(
    (name, fn) => cases.push({ name, fn }),
    () => opfsBlobs(`${run}/c${n++}`),
  );
  const out: CaseResult[] = [];
  for (const c of cases) {
    try {
      await c.fn();
      out.push({ name: c.name });
    } catch (e) {
      out.push({ name: c.name, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
    }
  }
  return out;
}

const big = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

async function handle(req: Request): Promise<unknown> {
  switch (req.op) {
    case 'conformance':
      return conformance();
    case 'write': {
      const b = await opfsBlobs(req.root);
      await b.put('images/busybox', new TextEncoder().encode('{"name":"busybox"}'));
      const w = await b.writer('snapshots/ab/layer.tar');
      for (let i = 0; i < 4; i++) await w.write(big(1 << 20).subarray(i << 18, (i + 1) << 18));
      await w.commit();
      // a write that never commits: gone after the reload
      const w2 = await b.writer('snapshots/cd/layer.tar');
      await w2.write(big(1000));
      return { where: b.where, listed: (await b.list('')).sort() };
    }
    case 'read': {
      const b = await opfsBlobs(req.root);
      const tail = await b.read('snapshots/ab/layer.tar', (1 << 20) - 10, 100);
      const expected = big(1 << 20).subarray((1 << 20) - 10);
      return {
        listed: (await b.list('')).sort(),
        record: new TextDecoder().decode(await b.get('images/busybox')),
        size: await b.size('snapshots/ab/layer.tar'),
        tailOk: tail !== undefined && tail.length === 10 && tail.every((x, i) => x === expected[i]),
      };
    }
    case 'full': {
      // the test has set the origin's quota to ~1 MiB; Chromium checks it
      // against usage it learns of a little late, so fill until it refuses
      const b = await opfsBlobs(req.root);
      const old = big(300 * 1024);
      await b.put('snapshots/a/layer.tar', old);
      const caught = async (p: Promise<unknown>) => p.then(() => 'no error', (e: unknown) => (e instanceof StoreFullError ? `StoreFullError: ${e.message}` : String(e)));
      let fill = 'no error';
      let fillers = 0;
      while (fill === 'no error' && fillers < 64) fill = await caught(b.put(`filler/${fillers++}`, big(1 << 20)));
      const put = await caught(b.put('snapshots/a/layer.tar', big(200 * 1024)));
      const w = await b.writer('snapshots/b/layer.tar').catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
      let writer = w instanceof Error ? await caught(Promise.reject(w)) : 'no error';
      if (!(w instanceof Error)) {
        for (let i = 0; i < 8 && writer === 'no error'; i++) writer = await caught(w.write(big(256 * 1024)));
        if (writer === 'no error') writer = await caught(w.commit());
        else if ((await caught(w.commit())) !== writer) writer += ' (then commit went through)';
        await w.abort();
      }
      const kept = await b.get('snapshots/a/layer.tar');
      const keptOk = kept !== undefined && kept.length === old.length && kept.every((x, i) => x === old[i]);
      const listed = (await b.list('snapshots/')).sort();
      for (const k of await b.list('filler/')) await b.delete(k);
      const after = await caught(b.put('snapshots/c/layer.tar', big(200 * 1024)));
      return { fill, put, writer, keptOk, listed, after };
    }
  }
}

self.onmessage = (e: MessageEvent<Request>) => {
  handle(e.data).then(
    (result) => postMessage({ result }),
    (err: unknown) => postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }),
  );
};
