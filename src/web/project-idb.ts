// The playground's project kept in IndexedDB (one record per file, keyed by
// path). Why not OPFS, which the image store uses: a project is a few small
// files written one edit at a time from the page's main thread, where OPFS
// has no sync access handles (writes are a temp file + move, ~3 ms each, 8×
// IndexedDB's; see README's "Image store in the page" figures), and a change
// that touches several files (a rename, a `docker cp` of a directory) must
// land whole or not at all, which one IndexedDB transaction gives.
import type { ProjectEntry, ProjectStore } from './project.js';

const FILES = 'files';
const META = 'meta';
/** written with the first save: an empty project stays empty (the starter comes back only in a fresh origin) */
const SEEDED = 'seeded';

function done(req: IDBRequest | IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    if ('oncomplete' in req) {
      req.oncomplete = () => resolve();
      req.onabort = req.onerror = () => reject(storeError(req.error));
    } else {
      req.onsuccess = () => resolve();
      req.onerror = () => reject(storeError(req.error));
    }
  });
}

function storeError(e: DOMException | null): Error {
  if (e?.name === 'QuotaExceededError') return new Error('no space left in the origin storage for the project');
  return new Error(`the project could not be saved: ${e?.message ?? 'IndexedDB failed'}`);
}

function openDb(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore(FILES, { keyPath: 'path' });
      req.result.createObjectStore(META);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(storeError(req.error));
    req.onblocked = () => reject(new Error('the project store is held open by another tab of an older Dockyard'));
  });
}

export function idbProjectStore(name = 'dockyard-project'): ProjectStore {
  let db: Promise<IDBDatabase> | undefined;
  const database = () => (db ??= openDb(name));
  return {
    async load() {
      const tx = (await database()).transaction([FILES, META], 'readonly');
      const seeded = tx.objectStore(META).get(SEEDED);
      const all = tx.objectStore(FILES).getAll();
      await done(tx);
      return seeded.result === undefined ? undefined : (all.result as ProjectEntry[]);
    },
    async save(put, remove) {
      const tx = (await database()).transaction([FILES, META], 'readwrite');
      const files = tx.objectStore(FILES);
      for (const r of remove) files.delete(r);
      for (const e of put) files.put(e);
      tx.objectStore(META).put(1, SEEDED);
      await done(tx);
    },
  };
}
