// The image store in the origin private file system (the page's worker).
// Each key is a file; its `/`-separated segments are directories under
// `root`. Only a dedicated worker may use this: it reads and writes through
// FileSystemSyncAccessHandle, the one OPFS interface with positioned reads.
//
// - A value is written to `.tmp-<random>` beside its file, then moved over it
//   (FileSystemFileHandle.move, which replaces the destination in one step):
//   readers see the old value or the whole new one. Where move() is missing
//   the temp file is copied over the destination (not atomic if the tab dies
//   mid-copy; Chromium has had move() since 110).
// - Sync access handles lock their file. Reads use one `read-only` handle per
//   key (read-only handles share the file, also with other tabs), kept in a
//   small LRU; reads are synchronous calls on it, so any number of
//   concurrent reads of one key share it. A commit or delete of a key first
//   closes that handle (move/removeEntry fail on a locked file) and holds
//   new reads of the key back until it is done.
// - A quota error becomes StoreFullError; the temp file is removed and the
//   old value kept.
import { checkKey, putThroughWriter, StoreFullError, TEMP_PREFIX, type BlobWriter, type Blobs } from '../src/common/store/blobs.js';

/** Read handles kept open. */
const OPEN_HANDLES = 32;
/** Chunk size of the copy fallback. */
const COPY_CHUNK = 1 << 20;

const FULL = 'no space left in the image store (origin storage quota)';

// Parts of the File System API that TypeScript's WebWorker lib lacks.
type ReadMode = { mode?: 'read-only' | 'readwrite' | 'readwrite-unsafe' };
interface FileHandle extends FileSystemFileHandle {
  createSyncAccessHandle(options?: ReadMode): Promise<FileSystemSyncAccessHandle>;
  move?(name: string): Promise<void>;
}
interface DirHandle extends FileSystemDirectoryHandle {
  values(): AsyncIterable<FileSystemHandle>;
}

const errName = (e: unknown) => (e as { name?: unknown } | null)?.name;
/** No such file, or a directory where a file was asked for (or the other way round). */
const absent = (e: unknown) => errName(e) === 'NotFoundError' || errName(e) === 'TypeMismatchError';
const full = (e: unknown) => (errName(e) === 'QuotaExceededError' ? new StoreFullError(FULL) : e);

function randomName(): string {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return TEMP_PREFIX + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

let persistAsked = false;

/**
 * Asks the browser, once, to keep the origin's storage under pressure
 * (granted or refused silently). StorageManager.persist() is exposed to
 * windows only in Chromium, so from a worker this is usually a no-op and the
 * page should call `navigator.storage.persist()` itself.
 */
function askPersistence(): void {
  if (persistAsked) return;
  persistAsked = true;
  const storage = navigator.storage as StorageManager & { persist?: () => Promise<boolean> };
  if (typeof storage.persist === 'function') storage.persist().catch(() => false);
}

export async function opfsBlobs(root?: string): Promise<Blobs> {
  if (typeof navigator === 'undefined' || typeof navigator.storage?.getDirectory !== 'function') {
    throw new Error('this browser has no origin private file system');
  }
  askPersistence();
  let dir = (await navigator.storage.getDirectory()) as DirHandle;
  if (root) for (const seg of checkKey(root).split('/')) dir = (await dir.getDirectoryHandle(seg, { create: true })) as DirHandle;
  return new OpfsBlobs(dir);
}

interface Reader {
  /** undefined: no such key */
  handle: Promise<FileSystemSyncAccessHandle | undefined>;
  /** reads waiting for the handle to open */
  users: number;
  /** dropped from the cache to make room: the reads waiting still use it, the last one closes it */
  evicted: boolean;
  /** the key is being replaced or deleted: nobody uses it any more, and it is closed */
  stale: boolean;
  closed: boolean;
}

function closeReader(r: Reader): void {
  if (r.closed) return;
  r.closed = true;
  r.handle.then((h) => h?.close()).catch(() => {});
}

class OpfsBlobs implements Blobs {
  readonly where = 'origin storage';
  /** Directory handles by path ('' is the root); only directories that exist. */
  private readonly dirs = new Map<string, Promise<DirHandle>>();
  /** Least recently used first. */
  private readonly readers = new Map<string, Reader>();
  /** Keys being replaced or deleted: reads of them wait. */
  private readonly busy = new Map<string, Promise<void>>();

  constructor(root: DirHandle) {
    this.dirs.set('', Promise.resolve(root));
  }

  private async dir(path: string, create: boolean): Promise<DirHandle | undefined> {
    const known = this.dirs.get(path);
    if (known) return known;
    const i = path.lastIndexOf('/');
    const parent = await this.dir(i < 0 ? '' : path.slice(0, i), create);
    if (!parent) return undefined;
    const again = this.dirs.get(path); // made meanwhile
    if (again) return again;
    const made = parent.getDirectoryHandle(path.slice(i + 1), { create }) as Promise<DirHandle>;
    this.dirs.set(path, made);
    try {
      return await made;
    } catch (e) {
      if (this.dirs.get(path) === made) this.dirs.delete(path);
      if (absent(e)) return undefined;
      throw full(e);
    }
  }

  private split(key: string): { parent: string; name: string } {
    checkKey(key);
    const i = key.lastIndexOf('/');
    return { parent: i < 0 ? '' : key.slice(0, i), name: key.slice(i + 1) };
  }

  private async fileHandle(key: string): Promise<FileHandle | undefined> {
    const { parent, name } = this.split(key);
    const d = await this.dir(parent, false);
    if (!d) return undefined;
    try {
      return (await d.getFileHandle(name)) as FileHandle;
    } catch (e) {
      if (absent(e)) return undefined;
      throw e;
    }
  }

  private reader(key: string): Reader {
    let r = this.readers.get(key);
    if (r) {
      this.readers.delete(key);
    } else {
      const entry: Reader = {
        users: 0,
        evicted: false,
        stale: false,
        closed: false,
        handle: (async () => {
          for (let b = this.busy.get(key); b; b = this.busy.get(key)) await b;
          const f = await this.fileHandle(key);
          if (!f) return undefined;
          try {
            return await f.createSyncAccessHandle({ mode: 'read-only' });
          } catch (e) {
            if (absent(e)) return undefined;
            throw e;
          }
        })(),
      };
      r = entry;
      // an absent key or a failed open is not kept: the next read asks again
      const unkeep = () => {
        if (this.readers.get(key) === entry) this.readers.delete(key);
      };
      entry.handle.then((h) => h || unkeep(), unkeep);
      while (this.readers.size >= OPEN_HANDLES) {
        const [oldest, old] = this.readers.entries().next().value!;
        this.readers.delete(oldest);
        old.evicted = true;
        if (old.users === 0) closeReader(old);
      }
    }
    this.readers.set(key, r);
    return r;
  }

  /** Closes the read handle of `key` before its file is replaced or removed. */
  private async dropReader(key: string): Promise<void> {
    const r = this.readers.get(key);
    if (!r) return;
    this.readers.delete(key);
    r.stale = true;
    closeReader(r);
    await r.handle.catch(() => undefined);
  }

  /** `use(handle)` with `key`'s read handle (undefined: no such key); `use` must not await. */
  private async withHandle<T>(key: string, use: (h: FileSystemSyncAccessHandle | undefined) => T): Promise<T> {
    checkKey(key);
    for (;;) {
      const r = this.reader(key);
      r.users++;
      let h: FileSystemSyncAccessHandle | undefined;
      try {
        h = await r.handle;
      } finally {
        r.users--;
      }
      if (r.stale) continue; // its file was replaced or removed while we waited: open again
      try {
        return use(h);
      } finally {
        if (r.evicted && r.users === 0) closeReader(r);
      }
    }
  }

  /** Runs `fn` with `key`'s read handle closed and new reads of it held back; one at a time per key. */
  private async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    for (let b = this.busy.get(key); b; b = this.busy.get(key)) await b;
    let done!: () => void;
    this.busy.set(key, new Promise<void>((resolve) => (done = resolve)));
    try {
      await this.dropReader(key);
      return await fn();
    } finally {
      this.busy.delete(key);
      done();
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.withHandle(key, (h) => {
      if (!h) return undefined;
      const buf = new Uint8Array(h.getSize());
      const n = h.read(buf, { at: 0 });
      return n === buf.length ? buf : buf.subarray(0, n);
    });
  }

  async read(key: string, offset: number, length: number): Promise<Uint8Array | undefined> {
    if (!(offset >= 0 && length >= 0)) throw new RangeError(`bad range ${offset}+${length} of ${key}`);
    return this.withHandle(key, (h) => {
      if (!h) return undefined;
      const n = Math.max(0, Math.min(length, h.getSize() - offset));
      const buf = new Uint8Array(n);
      const got = n ? h.read(buf, { at: offset }) : 0;
      return got === n ? buf : buf.subarray(0, got);
    });
  }

  async size(key: string): Promise<number | undefined> {
    return this.withHandle(key, (h) => h?.getSize());
  }

  put(key: string, bytes: Uint8Array): Promise<void> {
    return putThroughWriter(this, key, bytes);
  }

  async writer(key: string): Promise<BlobWriter> {
    const { parent, name } = this.split(key);
    const temp = randomName();
    let d: DirHandle, f: FileHandle, h: FileSystemSyncAccessHandle;
    try {
      const made = await this.dir(parent, true);
      if (!made) throw new Error(`cannot store ${key}: a value is where a directory of its path would be`);
      d = made;
      f = (await d.getFileHandle(temp, { create: true })) as FileHandle;
    } catch (e) {
      throw full(e);
    }
    try {
      h = await f.createSyncAccessHandle();
    } catch (e) {
      await d.removeEntry(temp).catch(() => {});
      throw full(e);
    }
    let at = 0;
    let state: 'open' | 'done' | Error = 'open';
    const discard = async () => {
      try {
        h.close();
      } catch {
        // closed already
      }
      await d.removeEntry(temp).catch(() => {});
    };
    const usable = () => {
      if (state === 'done') throw new Error(`the writer of ${key} was already committed or aborted`);
      if (state !== 'open') throw state;
    };
    return {
      write: async (chunk) => {
        usable();
        try {
          for (let n = 0; n < chunk.length; ) {
            const w = h.write(chunk.subarray(n), { at: at + n });
            if (w === 0) throw new DOMException(FULL, 'QuotaExceededError');
            n += w;
          }
          at += chunk.length;
        } catch (e) {
          // the space a failed write took is given back at once; abort() then has nothing to do
          state = full(e) as Error;
          await discard();
          throw state;
        }
      },
      commit: async () => {
        usable();
        state = 'done';
        try {
          h.flush();
          h.close();
          await this.exclusive(key, () => this.replace(d, f, temp, name));
        } catch (e) {
          await discard();
          throw full(e);
        }
      },
      abort: async () => {
        const wasOpen = state === 'open';
        state = 'done';
        if (wasOpen) await discard();
      },
    };
  }

  /** Puts the temp file `f` (named `temp` in `d`) in the place of `name`. */
  private async replace(d: DirHandle, f: FileHandle, temp: string, name: string): Promise<void> {
    if (typeof f.move === 'function') {
      await f.move(name);
      return;
    }
    const src = await f.createSyncAccessHandle();
    try {
      const dst = await ((await d.getFileHandle(name, { create: true })) as FileHandle).createSyncAccessHandle();
      try {
        const size = src.getSize();
        dst.truncate(size);
        const buf = new Uint8Array(Math.min(COPY_CHUNK, size));
        for (let at = 0; at < size; ) {
          const n = src.read(buf, { at });
          dst.write(buf.subarray(0, n), { at });
          at += n;
        }
        dst.flush();
      } finally {
        dst.close();
      }
    } finally {
      src.close();
    }
    await d.removeEntry(temp);
  }

  async delete(key: string): Promise<void> {
    const { parent, name } = this.split(key);
    await this.exclusive(key, async () => {
      const d = await this.dir(parent, false);
      if (!d) return;
      try {
        await d.getFileHandle(name); // a directory is no key: TypeMismatchError
        await d.removeEntry(name);
      } catch (e) {
        if (!absent(e)) throw e;
      }
    });
  }

  async list(prefix: string): Promise<string[]> {
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    if (base) checkKey(base.slice(0, -1));
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      const d = await this.dir(rel.slice(0, -1), false).catch((e: unknown) => {
        if (errName(e) === 'TypeMismatchError') return undefined; // a value, not a directory
        throw e;
      });
      if (!d) return;
      for await (const e of d.values()) {
        if (e.name.startsWith(TEMP_PREFIX)) continue;
        const key = rel + e.name;
        if (e.kind === 'directory') {
          if ((key + '/').startsWith(prefix) || prefix.startsWith(key + '/')) await walk(key + '/');
        } else if (key.startsWith(prefix)) out.push(key);
      }
    };
    // A directory iterated while a write moves a temp file in it or out of
    // it can end in NotFoundError (Chromium, a pull completing in the
    // background beside another pull): the listing is taken again.
    for (let attempt = 1; ; attempt++) {
      try {
        await walk(base);
        return out;
      } catch (e) {
        if (errName(e) !== 'NotFoundError' || attempt === 5) throw e;
        out.length = 0;
      }
    }
  }
}
