// Content-addressed downloads: a file named by its sha256 is fetched once,
// kept in Cache Storage under that digest, and verified every time it is
// used (from the network or from the cache). Without Cache Storage (plain
// http on a non-local host) it still downloads and verifies.
import { sha256Hex } from '../common/manifest.js';

const CACHE_NAME = 'dockyard-sha256-v1';

export interface Digested {
  /** what to call it in messages: "bzImage" */
  name: string;
  url: string;
  sha256: string;
  /** expected size in bytes (for progress before headers arrive) */
  size?: number;
}

export class DownloadError extends Error {
  constructor(
    message: string,
    /** what the user can do about it */
    readonly advice: string,
  ) {
    super(message);
    this.name = 'DownloadError';
  }
}

export interface FetchStats {
  fromCache: number;
  fromNetwork: number;
  /** names of the files that came from the network */
  downloaded: string[];
}

export const stats: FetchStats = { fromCache: 0, fromNetwork: 0, downloaded: [] };

function cacheKey(sha256: string): string {
  // keys are per origin: the same file is shared by every base path of a site
  return new URL(`/.dockyard-cache/sha256/${sha256}`, location.origin).href;
}

async function openCache(): Promise<Cache | undefined> {
  try {
    return typeof caches === 'undefined' ? undefined : await caches.open(CACHE_NAME);
  } catch {
    return undefined; // e.g. storage disabled
  }
}

async function readBody(res: Response, onBytes: (n: number) => void): Promise<Uint8Array<ArrayBuffer>> {
  if (!res.body) {
    const b = new Uint8Array(await res.arrayBuffer());
    onBytes(b.length);
    return b;
  }
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    total += value.length;
    onBytes(value.length);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * The verified bytes of `a`. `onBytes` gets byte counts as they arrive; a
 * cached file reports its whole size at once.
 */
export async function fetchDigested(a: Digested, onBytes: (n: number) => void = () => {}): Promise<Uint8Array<ArrayBuffer>> {
  const cache = await openCache();
  const key = cacheKey(a.sha256);
  const hit = await cache?.match(key).catch(() => undefined);
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    if ((await sha256Hex(bytes)) === a.sha256) {
      stats.fromCache++;
      onBytes(bytes.length);
      return bytes;
    }
    await cache!.delete(key).catch(() => false); // damaged: fetch it again
  }
  let res: Response;
  try {
    res = await fetch(a.url);
  } catch (e) {
    throw new DownloadError(`could not download ${a.name}: ${(e as Error).message}`, 'Check your connection and reload the page.');
  }
  if (!res.ok) {
    throw new DownloadError(
      `could not download ${a.name}: HTTP ${res.status} ${res.statusText}`.trim(),
      'The site seems to be missing files: deploy the whole build folder (dist/), then reload.',
    );
  }
  const bytes = await readBody(res, onBytes);
  const got = await sha256Hex(bytes);
  if (got !== a.sha256) {
    throw new DownloadError(
      `${a.name} is not the file this page was built with (sha256 ${got.slice(0, 12)}…, expected ${a.sha256.slice(0, 12)}…)`,
      'The server has files from another build: deploy one build folder (dist/) whole, then reload.',
    );
  }
  stats.fromNetwork++;
  stats.downloaded.push(a.name);
  await cache
    ?.put(key, new Response(bytes, { headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(bytes.length) } }))
    .catch(() => {}); // quota: carry on uncached
  return bytes;
}
