// The image store in a directory on disk (the Node CLI): each key is a file
// under `dir`, its `/`-separated segments directories. A value is written to
// `.tmp-<random>` beside its file and renamed over it on commit, so a reader
// sees the old value or the whole new one, never part (no fsync: a crash may
// lose the newest values, not corrupt older ones). Stale temp files (a crash
// mid-write) are never listed and never read.
//
// node:fs/promises is imported when a store is opened, never at module load:
// this module is part of the worker, which also runs in browsers.
import type { FileHandle } from 'node:fs/promises';
import { checkKey, putThroughWriter, StoreFullError, TEMP_PREFIX, type BlobWriter, type Blobs } from '../src/common/store/blobs.js';

type Fs = typeof import('node:fs/promises');
type ReadSync = typeof import('node:fs').readSync;

/**
 * Reads up to this size are synchronous: the guest waits on each 9p read of
 * an image file (a program's first start reads ~100 of them, ≤ 128 KiB
 * each), and an async read costs a thread-pool hop plus a turn of this
 * worker's event loop, which v86 keeps busy (~30 ms each measured on a
 * loaded host; a page-cached pread is microseconds).
 */
const SYNC_READ_MAX = 1024 * 1024;

/** Open read handles kept per key (layers are read by byte range, file by file). */
const OPEN_FDS = 16;

const code = (e: unknown): string | undefined => (e as { code?: unknown } | null)?.code as string | undefined;
/** The key is not there: no file, a file where a directory would be, or a directory. */
const absent = (e: unknown) => ['ENOENT', 'ENOTDIR', 'EISDIR'].includes(code(e) ?? '');

function randomName(): string {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return TEMP_PREFIX + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** A shared read handle: closed once it is dropped from the cache and no read is using it. */
class Fd {
  users = 0;
  dropped = false;
  private closed = false;
  constructor(readonly handle: Promise<FileHandle | undefined>) {}

  drop(): void {
    this.dropped = true;
    this.closeIfIdle();
  }

  closeIfIdle(): void {
    if (!this.dropped || this.users > 0 || this.closed) return;
    this.closed = true;
    void this.handle.then((h) => h?.close()).catch(() => {});
  }
}

export async function dirBlobs(dir: string): Promise<Blobs> {
  const fs: Fs = await import('node:fs/promises');
  const { readSync } = await import('node:fs');
  const root = dir.replace(/\/+$/, '') || '/';
  await fs.mkdir(root, { recursive: true });
  return new DirBlobs(fs, readSync, root);
}

class DirBlobs implements Blobs {
  /** Least recently used first (Map keeps insertion order; a hit re-inserts). */
  private readonly fds = new Map<string, Fd>();

  constructor(
    private readonly fs: Fs,
    private readonly readSync: ReadSync,
    readonly where: string,
  ) {}

  private path(key: string): string {
    return `${this.where}/${checkKey(key)}`;
  }

  private parent(key: string): string {
    const i = key.lastIndexOf('/');
    return i < 0 ? this.where : `${this.where}/${key.slice(0, i)}`;
  }

  /** ENOSPC/EDQUOT as StoreFullError; anything else as it is. */
  private full(e: unknown): unknown {
    const c = code(e);
    return c === 'ENOSPC' || c === 'EDQUOT' ? new StoreFullError(`no space left in the image store at ${this.where}`) : e;
  }

  private fd(key: string): Fd {
    let fd = this.fds.get(key);
    if (fd) {
      this.fds.delete(key);
    } else {
      const path = this.path(key);
      fd = new Fd(
        this.fs.open(path, 'r').then(
          async (h) => {
            if ((await h.stat()).isFile()) return h;
            await h.close();
            return undefined;
          },
          (e) => {
            if (absent(e)) return undefined;
            throw e;
          },
        ),
      );
      // an absent key or a failed open is not kept: the next read asks again
      void fd.handle.then(
        (h) => (h ? undefined : this.forget(key, fd)),
        () => this.forget(key, fd),
      );
      while (this.fds.size >= OPEN_FDS) {
        const [oldest, old] = this.fds.entries().next().value!;
        this.fds.delete(oldest);
        old.drop();
      }
    }
    this.fds.set(key, fd);
    return fd;
  }

  async close(): Promise<void> {
    const all = [...this.fds.values()];
    this.fds.clear();
    for (const fd of all) fd.drop();
    await Promise.all(all.map((fd) => fd.handle.catch(() => undefined)));
  }

  /** Drops the cached handle of `key` (it may name a file that was replaced or removed). */
  private forget(key: string, only?: Fd): void {
    const fd = this.fds.get(key);
    if (!fd || (only && fd !== only)) return;
    this.fds.delete(key);
    fd.drop();
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const b = await this.fs.readFile(this.path(key));
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      if (absent(e)) return undefined;
      throw e;
    }
  }

  async read(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    checkKey(key);
    if (!(offset >= 0 && length >= 0)) throw new RangeError(`bad range ${offset}+${length} of ${key}`);
    const fd = this.fd(key);
    fd.users++;
    try {
      const h = await fd.handle;
      if (!h) return undefined;
      const buf = new Uint8Array(length);
      let n = 0;
      while (n < length) {
        const bytesRead = length <= SYNC_READ_MAX ? this.readSync(h.fd, buf, n, length - n, offset + n) : (await h.read(buf, n, length - n, offset + n)).bytesRead;
        if (bytesRead === 0) break;
        n += bytesRead;
      }
      return n === length ? buf : buf.subarray(0, n);
    } finally {
      fd.users--;
      fd.closeIfIdle();
    }
  }

  async size(key: string): Promise<number | undefined> {
    const fd = this.fd(key);
    fd.users++;
    try {
      const h = await fd.handle;
      return h ? (await h.stat()).size : undefined;
    } finally {
      fd.users--;
      fd.closeIfIdle();
    }
  }

  put(key: string, bytes: Uint8Array): Promise<void> {
    return putThroughWriter(this, key, bytes);
  }

  async writer(key: string): Promise<BlobWriter> {
    const path = this.path(key);
    const temp = `${this.parent(key)}/${randomName()}`;
    let h: FileHandle;
    try {
      await this.fs.mkdir(this.parent(key), { recursive: true });
      h = await this.fs.open(temp, 'wx');
    } catch (e) {
      throw this.full(e);
    }
    let state: 'open' | 'done' | Error = 'open';
    /** Writes run one after another, in call order. */
    let queue: Promise<void> = Promise.resolve();
    const discard = async () => {
      await h.close().catch(() => {});
      await this.fs.unlink(temp).catch(() => {});
    };
    const usable = () => {
      if (state === 'done') throw new Error(`the writer of ${key} was already committed or aborted`);
      if (state !== 'open') throw state;
    };
    return {
      write: (chunk) => {
        const run = queue.then(async () => {
          usable();
          try {
            for (let n = 0; n < chunk.length; ) n += (await h.write(chunk, n, chunk.length - n)).bytesWritten;
          } catch (e) {
            // the space a failed write took is given back at once; abort() then has nothing to do
            state = this.full(e) as Error;
            await discard();
            throw state;
          }
        });
        queue = run.catch(() => {});
        return run;
      },
      commit: async () => {
        await queue;
        usable();
        state = 'done';
        try {
          await h.close();
          await this.fs.rename(temp, path);
        } catch (e) {
          await this.fs.unlink(temp).catch(() => {});
          throw this.full(e);
        }
        this.forget(key);
      },
      abort: async () => {
        await queue;
        if (state === 'done') return;
        const wasOpen = state === 'open';
        state = 'done';
        if (wasOpen) await discard();
      },
    };
  }

  async delete(key: string): Promise<void> {
    const path = this.path(key);
    try {
      await this.fs.unlink(path);
    } catch (e) {
      if (!absent(e) && code(e) !== 'EPERM') throw e; // EPERM/EISDIR: a directory, which is no key
    } finally {
      this.forget(key); // after the unlink: a read meanwhile may have opened the old file
    }
  }

  async list(prefix: string): Promise<string[]> {
    // walk the deepest directory the prefix names in full, keep what starts with the prefix
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    if (base) checkKey(base.slice(0, -1));
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await this.fs.readdir(rel ? `${this.where}/${rel}` : this.where, { withFileTypes: true });
      } catch (e) {
        if (absent(e)) return;
        throw e;
      }
      for (const e of entries) {
        if (e.name.startsWith(TEMP_PREFIX)) continue;
        const key = rel + e.name;
        if (e.isDirectory()) {
          if ((key + '/').startsWith(prefix) || prefix.startsWith(key + '/')) await walk(key + '/');
        } else if (e.isFile() && key.startsWith(prefix)) out.push(key);
      }
    };
    await walk(base);
    return out;
  }
}
