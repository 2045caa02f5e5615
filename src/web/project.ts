// A small project of files on the page's side: what the playground's files
// panel shows and edits, and what a tutorial block carries. It is the page's
// "current directory": `docker build .` takes it as the context, `docker cp`
// reads files from it and writes files into it, `-f` and `load -i` read from
// it. Changes apply in memory at once and go to a store (IndexedDB in the
// playground, nothing for a tutorial block) in batches, one transaction each,
// so a rename is never half done there.
import type { CliIO } from '../cli/context.js';
import { readLayer } from '../common/store/layer.js';
import { TarBuilder } from '../common/store/layer-write.js';
import { BuildError, CONTEXT_LIMIT, type ContextFile } from '../runtime/build.js';

/** A file, directory or symlink of the project: what a build context's entries are (path relative, clean). */
export type ProjectEntry = ContextFile;

/** Where a project is kept between visits. */
export interface ProjectStore {
  /** the entries, or undefined when nothing was ever kept (the starter project goes in then) */
  load(): Promise<ProjectEntry[] | undefined>;
  /** one atomic change: `put` written, `remove` deleted */
  save(put: ProjectEntry[], remove: string[]): Promise<void>;
}

/** A refusal on the user's side (no daemon involved): docker prints it as `Error: …`. */
export class ProjectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProjectError';
  }
}

export type SaveState = { state: 'saved' } | { state: 'saving' } | { state: 'error'; message: string };

/** The project's size limit: the build context's (a build from it must be possible). */
export const PROJECT_LIMIT = CONTEXT_LIMIT;

const now = () => Math.floor(Date.now() / 1000);

/**
 * A project path, cleaned (`./a//b` → `a/b`, `a/../b` → `b`; '' is the
 * project itself); a path leaving the project is refused in the classic
 * builder's words.
 */
export function projectPath(p: string): string {
  const parts: string[] = [];
  if (p.startsWith('/')) throw new ProjectError(`Forbidden path outside the project: ${p}`);
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') {
      if (parts.length === 0) throw new ProjectError(`Forbidden path outside the project: ${p}`);
      parts.pop();
    } else parts.push(s);
  }
  return parts.join('/');
}

const parentOf = (p: string) => p.slice(0, Math.max(0, p.lastIndexOf('/')));
const baseOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const under = (p: string, dir: string) => dir === '' || p.startsWith(`${dir}/`);

export class Project {
  private readonly entries = new Map<string, ProjectEntry>();
  private readonly pendingPut = new Map<string, ProjectEntry>();
  private readonly pendingRemove = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private saving: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<() => void>();
  private readonly saveListeners = new Set<(s: SaveState) => void>();
  private lastSave: SaveState = { state: 'saved' };

  private constructor(
    private readonly store: ProjectStore | undefined,
    private readonly delayMs: number,
  ) {}

  /** The project kept in `store`; `starter` when the store never held one (it is saved at once). */
  static async open(store: ProjectStore | undefined, starter: ProjectEntry[] = [], delayMs = 250): Promise<Project> {
    const p = new Project(store, delayMs);
    const kept = await store?.load();
    for (const e of kept ?? starter) p.entries.set(e.path, e);
    if (kept === undefined && store) {
      for (const e of starter) p.pendingPut.set(e.path, e);
      await p.flush();
    }
    return p;
  }

  /** Everything, parents before children. */
  list(): ProjectEntry[] {
    return [...this.withDirs().values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /** The files (and links) only, by path. */
  files(): ProjectEntry[] {
    return this.list().filter((e) => e.kind !== 'dir');
  }

  get(path: string): ProjectEntry | undefined {
    const p = projectPath(path);
    return p === '' ? { path: '', kind: 'dir', mode: 0o755, mtime: now() } : this.withDirs().get(p);
  }

  get size(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.data?.length ?? 0;
    return n;
  }

  onChange(cb: () => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  onSave(cb: (s: SaveState) => void): () => void {
    this.saveListeners.add(cb);
    cb(this.lastSave);
    return () => this.saveListeners.delete(cb);
  }

  /** Writes a file (a new one, or new contents); its directories are implied. */
  writeFile(path: string, data: Uint8Array, mode?: number): ProjectEntry {
    const p = this.nameable(path);
    const old = this.get(p);
    if (old?.kind === 'dir') throw new ProjectError(`cannot overwrite directory "${p}" with a file`);
    this.fits([{ path: p, kind: 'file', mode: 0, mtime: 0, data }]);
    const e: ProjectEntry = { path: p, kind: 'file', mode: mode ?? old?.mode ?? 0o644, mtime: now(), data };
    this.apply([e], []);
    return e;
  }

  /** Removes a file, or a directory and all it holds. */
  remove(path: string): void {
    const p = projectPath(path);
    if (!this.get(p) || p === '') throw new ProjectError(`lstat ${path}: no such file or directory`);
    this.apply([], [...this.entries.keys()].filter((k) => k === p || under(k, p)));
  }

  /** Renames a file or a directory (with all it holds); the target must not exist. */
  rename(from: string, to: string): void {
    const a = projectPath(from);
    const b = this.nameable(to);
    const src = this.get(a);
    if (!src || a === '') throw new ProjectError(`lstat ${from}: no such file or directory`);
    if (a === b) return;
    if (this.get(b)) throw new ProjectError(`"${b}" already exists`);
    if (under(b, a)) throw new ProjectError(`cannot move "${a}" into itself`);
    const moved = [...this.entries.values()].filter((e) => e.path === a || under(e.path, a));
    this.apply(
      moved.map((e) => ({ ...e, path: b + e.path.slice(a.length) })),
      moved.map((e) => e.path),
    );
  }

  /** The file's bytes (`-f`, `load -i`, `--env-file`). */
  readFile(path: string): Uint8Array {
    const e = this.get(path);
    if (e?.kind !== 'file') throw new ProjectError(`open ${path}: ${e ? 'is a directory' : 'no such file or directory'}`);
    return e.data ?? new Uint8Array(0);
  }

  /** `docker build DIR`: what is under DIR, relative to it, up to `limit` bytes. */
  context(dir: string, limit = CONTEXT_LIMIT): ContextFile[] {
    const d = projectPath(dir);
    const top = this.get(d);
    if (!top) throw new BuildError(`unable to prepare context: path "${dir}" not found`);
    if (top.kind !== 'dir') throw new BuildError(`unable to prepare context: context must be a directory: ${dir}`);
    const out: ContextFile[] = [];
    let total = 0;
    for (const e of this.list()) {
      if (!under(e.path, d)) continue;
      total += e.data?.length ?? 0;
      if (total > limit) throw new BuildError(`build context ${dir} is over the limit of ${limit} bytes: list what the build does not need in .dockerignore`);
      out.push({ ...e, path: d === '' ? e.path : e.path.slice(d.length + 1) });
    }
    return out;
  }

  /** `docker cp PATH c:…`: a tar of PATH, its entries named from PATH's last component. */
  tarOf(path: string): Uint8Array {
    const p = projectPath(path);
    const top = this.get(p);
    if (!top) throw new ProjectError(`lstat ${path}: no such file or directory`);
    const name = p === '' ? '.' : baseOf(p);
    const t = new TarBuilder();
    for (const e of [top, ...(top.kind === 'dir' ? this.list().filter((x) => x.path !== p && under(x.path, p)) : [])]) {
      const rel = e.path === p ? name : `${name}/${p === '' ? e.path : e.path.slice(p.length + 1)}`;
      t.add({ path: rel, kind: e.kind, mode: e.mode, uid: 0, gid: 0, mtime: e.mtime, ...(e.data ? { data: e.data } : {}), ...(e.link !== undefined ? { link: e.link } : {}) });
    }
    return t.finish();
  }

  /**
   * `docker cp c:… DEST`: a tar written at DEST by docker cp's rules: into
   * DEST when it is a directory, else as DEST (the tar's top entry renamed).
   * Devices and FIFOs are left out; a hard link becomes a copy.
   */
  writeTar(dest: string, tar: Uint8Array): void {
    const entries = readLayer(tar);
    if (entries.length === 0) return;
    const d = projectPath(dest);
    const st = this.get(d);
    const top = entries[0]!.path.split('/')[0]!;
    let where: (p: string) => string;
    if (st?.kind === 'dir') where = (p) => (d === '' ? p : `${d}/${p}`);
    else if (dest.endsWith('/')) throw new ProjectError(`destination directory ${dest} does not exist`);
    else {
      const parent = parentOf(d);
      if (this.get(parent)?.kind !== 'dir') throw new ProjectError(`destination directory ${parent} does not exist`);
      where = (p) => d + p.slice(top.length);
    }
    const put: ProjectEntry[] = [];
    const byPath = new Map<string, ProjectEntry>();
    for (const e of entries) {
      const path = this.nameable(where(e.path));
      let item: ProjectEntry | undefined;
      if (e.kind === 'dir') item = { path, kind: 'dir', mode: e.mode, mtime: e.mtime };
      else if (e.kind === 'file') item = { path, kind: 'file', mode: e.mode, mtime: e.mtime, data: tar.slice(e.data, e.data + e.size) };
      else if (e.kind === 'symlink') item = { path, kind: 'symlink', mode: e.mode, mtime: e.mtime, link: e.link };
      else if (e.kind === 'hardlink') {
        const target = byPath.get(this.nameable(where(e.link)));
        if (target?.kind === 'file') item = { ...target, path, mtime: e.mtime };
      }
      if (!item) continue;
      const old = this.get(path);
      if (old && (old.kind === 'dir') !== (item.kind === 'dir')) {
        throw new ProjectError(old.kind === 'dir' ? `cannot overwrite directory "${path}" with non-directory` : `cannot overwrite non-directory "${path}" with directory`);
      }
      byPath.set(path, item);
      put.push(item);
    }
    this.fits(put);
    this.apply(put, []);
  }

  /** Saves what is pending now (the playground calls it before a reload may come). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.store || (this.pendingPut.size === 0 && this.pendingRemove.size === 0)) return this.saving;
    const put = [...this.pendingPut.values()];
    const remove = [...this.pendingRemove];
    this.pendingPut.clear();
    this.pendingRemove.clear();
    const store = this.store;
    this.saving = this.saving
      .then(() => store.save(put, remove))
      .then(
        () => {
          if (this.pendingPut.size === 0 && this.pendingRemove.size === 0) this.said({ state: 'saved' });
        },
        (e: unknown) => {
          // kept in memory, and tried again with the next change
          for (const path of [...put.map((x) => x.path), ...remove]) {
            if (this.pendingPut.has(path) || this.pendingRemove.has(path)) continue;
            const cur = this.entries.get(path);
            if (cur) this.pendingPut.set(path, cur);
            else this.pendingRemove.add(path);
          }
          this.said({ state: 'error', message: (e as Error).message });
        },
      );
    return this.saving;
  }

  /** A project path that can name a new entry: inside the project, not the project itself, no parent a file. */
  private nameable(path: string): string {
    const p = projectPath(path);
    if (p === '') throw new ProjectError(`invalid name "${path}": a file needs a name`);
    for (let q = parentOf(p); q !== ''; q = parentOf(q)) {
      const e = this.entries.get(q);
      if (e && e.kind !== 'dir') throw new ProjectError(`${q}: not a directory`);
    }
    return p;
  }

  private fits(put: ProjectEntry[]): void {
    let size = this.size;
    for (const e of put) size += (e.data?.length ?? 0) - (this.entries.get(e.path)?.data?.length ?? 0);
    if (size > PROJECT_LIMIT) throw new ProjectError(`no space left in the project: it would hold ${size} bytes, over its limit of ${PROJECT_LIMIT} bytes`);
  }

  private apply(put: ProjectEntry[], remove: string[]): void {
    for (const r of remove) {
      this.entries.delete(r);
      this.pendingPut.delete(r);
      this.pendingRemove.add(r);
    }
    for (const e of put) {
      this.entries.set(e.path, e);
      this.pendingRemove.delete(e.path);
      this.pendingPut.set(e.path, e);
    }
    for (const l of this.listeners) l();
    if (!this.store) return;
    this.said({ state: 'saving' });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), this.delayMs);
  }

  private said(s: SaveState): void {
    this.lastSave = s;
    for (const l of this.saveListeners) l(s);
  }

  /** The entries with every implied parent directory. */
  private withDirs(): Map<string, ProjectEntry> {
    const all = new Map(this.entries);
    for (const e of this.entries.values()) {
      for (let q = parentOf(e.path); q !== '' && !all.has(q); q = parentOf(q)) all.set(q, { path: q, kind: 'dir', mode: 0o755, mtime: e.mtime });
    }
    return all;
  }
}

/**
 * The docker commands' view of a project: the build context, `docker cp`'s
 * files, and files read by name (`-f`, `load -i`, `--env-file`).
 */
export function projectIO(p: Project): Required<Pick<CliIO, 'readFile' | 'readContext' | 'readArchive' | 'writeArchive'>> {
  return {
    readContext: async (dir) => p.context(dir),
    readArchive: async (path) => p.tarOf(path),
    writeArchive: async (dest, tar) => p.writeTar(dest, tar),
    readFile: async (path) => p.readFile(path),
  };
}
