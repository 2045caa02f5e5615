// Content: blobs by digest (manifests, configs, compressed layers), exactly
// as a registry or archive gave them, so `docker save` and pushes hand out
// the same bytes. Every blob is checked against its digest before it is kept.
import { sha256Hex } from '../manifest.js';
import type { Blobs } from './blobs.js';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export class ContentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContentError';
  }
}

export function checkDigest(digest: string): string {
  if (!DIGEST.test(digest)) throw new ContentError(`invalid digest ${JSON.stringify(digest)}`);
  return digest;
}

const keyOf = (digest: string) => `content/sha256/${checkDigest(digest).slice(7)}`;

export class Content {
  constructor(private readonly blobs: Blobs) {}

  /**
   * Keeps `bytes` under `digest`, which they must hash to — also when the
   * store has that blob already (then it is not written again): bytes that
   * do not match are refused, never silently swapped for the good copy.
   */
  async put(digest: string, bytes: Uint8Array): Promise<void> {
    const key = keyOf(digest);
    const got = `sha256:${await sha256Hex(bytes)}`;
    if (got !== digest) throw new ContentError(`blob ${digest}: content hashes to ${got}`);
    if ((await this.blobs.size(key)) === bytes.length) return;
    await this.blobs.put(key, bytes);
  }

  get(digest: string): Promise<Uint8Array | undefined> {
    return this.blobs.get(keyOf(digest));
  }

  size(digest: string): Promise<number | undefined> {
    return this.blobs.size(keyOf(digest));
  }

  remove(digest: string): Promise<void> {
    return this.blobs.delete(keyOf(digest));
  }

  async list(): Promise<Array<{ digest: string; size: number }>> {
    const out: Array<{ digest: string; size: number }> = [];
    for (const k of await this.blobs.list('content/sha256/')) {
      const hex = k.slice('content/sha256/'.length);
      if (!/^[0-9a-f]{64}$/.test(hex)) continue;
      out.push({ digest: `sha256:${hex}`, size: (await this.blobs.size(k)) ?? 0 });
    }
    return out;
  }
}
