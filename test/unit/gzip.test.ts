// gunzipIfGzip (src/common/gzip.ts): what ADD and docker import hand it.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzipIfGzip, GunzipLimitError } from '../../src/common/gzip.js';

describe('gunzipIfGzip', () => {
  const text = new TextEncoder().encode('hello '.repeat(10_000));

  it('inflates gzip and leaves anything else as it is', async () => {
    expect(await gunzipIfGzip(new Uint8Array(gzipSync(text)))).toEqual(text);
    expect(await gunzipIfGzip(text)).toBe(text);
  });

  it('stops past the limit with a GunzipLimitError', async () => {
    await expect(gunzipIfGzip(new Uint8Array(gzipSync(text)), 1000)).rejects.toBeInstanceOf(GunzipLimitError);
    expect(await gunzipIfGzip(new Uint8Array(gzipSync(text)), text.length)).toEqual(text);
  });

  it('refuses damaged gzip', async () => {
    const gz = new Uint8Array(gzipSync(text));
    await expect(gunzipIfGzip(gz.subarray(0, gz.length - 20))).rejects.toThrow();
  });
});
