// Where the host-side image store keeps its bytes: a flat key → bytes map
// with ranged reads. Keys are `/`-separated relative paths of [A-Za-z0-9._-]
// segments (`content/sha256/<hex>`, `snapshots/<hex>/layer.tar`,
// `images/<escaped name>`). Backends: MemoryBlobs (tests, and a page
// without origin storage), a directory on disk (the Node CLI,
// workers/store-dir.ts) and the origin private file system (the page,
// workers/store-opfs.ts).

export class StoreFullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreFullError';
  }
}

export interface BlobWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Makes the key visible (atomically: readers see all of it or nothing). */
  commit(): Promise<void>;
  /** Drops what was written; the key keeps its old value, if any. */
  abort(): Promise<void>;
}

export interface Blobs {
  /** What the store is, for messages: `memory`, `/root/.local/share/dockyard`, `origin storage`. */
  readonly where: string;
  /** The whole value, or undefined. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** `length` bytes from `offset` (fewer at the end of the value); undefined if the key is absent. */
  read(key: string, offset: number, length: number): Promise<Uint8Array | undefined>;
  /** Size in bytes, or undefined. */
  size(key: string): Promise<number | undefined>;
  /** Writes the whole value atomically. A full disk or quota: StoreFullError, old value kept. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** A streaming write for large values (layers); same atomicity and errors as put. */
  writer(key: string): Promise<BlobWriter>;
  delete(key: string): Promise<void>;
  /** Keys under `prefix` (which ends in `/`), in no particular order. */
  list(prefix: string): Promise<string[]>;
  /** Lets go of open files (the worker is going away). */
  close?(): Promise<void>;
}

/** `put` for a backend whose writer already is atomic: one write, then commit (abort on failure). */
export async function putThroughWriter(blobs: Pick<Blobs, 'writer'>, key: string, bytes: Uint8Array): Promise<void> {
  const w = await blobs.writer(key);
  try {
    await w.write(bytes);
  } catch (e) {
    await w.abort();
    throw e;
  }
  await w.commit();
}

const KEY = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** Backends write a value to a `.tmp-<random>` file beside it first: no key segment may look like one. */
export const TEMP_PREFIX = '.tmp-';

/** Throws unless `key` is a well-formed store key (no `.`/`..` segments, no empty ones, none starting with `.tmp-`). */
export function checkKey(key: string): string {
  if (!KEY.test(key) || key.split('/').some((s) => s === '.' || s === '..' || s.startsWith(TEMP_PREFIX))) {
    throw new Error(`bad store key ${JSON.stringify(key)}`);
  }
  return key;
}

/** Everything in memory; `limit` bytes in all (to test a full store). */
export class MemoryBlobs implements Blobs {
  private readonly map = new Map<string, Uint8Array>();

  constructor(
    private readonly limit = Infinity,
    readonly where = 'memory',
  ) {}

  private used(): number {
    let n = 0;
    for (const v of this.map.values()) n += v.length;
    return n;
  }

  async get(key: string) {
    return this.map.get(checkKey(key));
  }

  async read(key: string, offset: number, length: number) {
    return this.map.get(checkKey(key))?.subarray(offset, offset + length);
  }

  async size(key: string) {
    return this.map.get(checkKey(key))?.length;
  }

  async put(key: string, bytes: Uint8Array) {
    checkKey(key);
    if (this.used() - (this.map.get(key)?.length ?? 0) + bytes.length > this.limit) {
      throw new StoreFullError(`no space left in the image store (${this.where})`);
    }
    this.map.set(key, bytes.slice());
  }

  async writer(key: string): Promise<BlobWriter> {
    checkKey(key);
    const parts: Uint8Array[] = [];
    let n = 0;
    return {
      write: async (chunk) => {
        if (this.used() + n + chunk.length > this.limit) throw new StoreFullError(`no space left in the image store (${this.where})`);
        parts.push(chunk.slice());
        n += chunk.length;
      },
      commit: async () => {
        const all = new Uint8Array(n);
        let off = 0;
        for (const p of parts) {
          all.set(p, off);
          off += p.length;
        }
        this.map.set(key, all);
      },
      abort: async () => {
        parts.length = 0;
      },
    };
  }

  async delete(key: string) {
    this.map.delete(checkKey(key));
  }

  async list(prefix: string) {
    return [...this.map.keys()].filter((k) => k.startsWith(prefix));
  }
}
