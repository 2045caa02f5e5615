// gzip inflated by the platform (DecompressionStream, in browsers and Node)
// for archives a user hands over — ADD's local tars, `docker import` — which
// may or may not be compressed.
import { concat } from './protocol/frame.js';

/** More bytes came out than the caller allows. */
export class GunzipLimitError extends Error {}

/** `d` inflated if it starts with gzip's magic bytes, else `d` itself; a GunzipLimitError past `limit` bytes out. */
export async function gunzipIfGzip(d: Uint8Array, limit = Number.POSITIVE_INFINITY): Promise<Uint8Array> {
  if (d[0] !== 0x1f || d[1] !== 0x8b) return d;
  const ds = new DecompressionStream('gzip');
  const w = ds.writable.getWriter();
  const wrote = w.write(d as Uint8Array<ArrayBuffer>).then(() => w.close());
  const r = ds.readable.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await r.read().catch((e: unknown) => {
      void wrote.catch(() => {}); // the same error, from the write side
      throw e;
    });
    if (done) break;
    if (!value) continue;
    parts.push(value);
    n += value.length;
    if (n > limit) {
      void wrote.catch(() => {}); // left to the collector: nothing reads it any more
      throw new GunzipLimitError(`unpacks to more than ${limit} bytes`);
    }
  }
  await wrote;
  return concat(parts, n);
}
