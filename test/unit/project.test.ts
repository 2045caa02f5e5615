// The page's project (files panel, tutorial blocks): names kept inside it,
// the build context it gives, docker cp's rules both ways, and how changes
// reach its store (batched, a rename in one save, a failed save kept).
import { describe, expect, it } from 'vitest';
import { fileText } from '../../src/web/block-files.js';
import { Project, projectIO, projectPath, type ProjectEntry, type ProjectStore } from '../../src/web/project.js';
import { starterProject } from '../../src/web/starter-project.js';
import { readLayer } from '../../src/common/store/layer.js';
import { TarBuilder } from '../../src/common/store/layer-write.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

class MemoryStore implements ProjectStore {
  saves: Array<{ put: string[]; remove: string[] }> = [];
  kept: Map<string, ProjectEntry> | undefined;
  fail: string | undefined;
  async load() {
    return this.kept ? [...this.kept.values()] : undefined;
  }
  async save(put: ProjectEntry[], remove: string[]) {
    if (this.fail) throw new Error(this.fail);
    this.kept ??= new Map();
    for (const r of remove) this.kept.delete(r);
    for (const e of put) this.kept.set(e.path, e);
    this.saves.push({ put: put.map((e) => e.path), remove });
  }
}

const file = (path: string, text: string, mode = 0o644): ProjectEntry => ({ path, kind: 'file', mode, mtime: 1, data: enc.encode(text) });

describe('project paths', () => {
  it('cleans names and refuses one leaving the project, in the classic builder words', () => {
    expect(projectPath('./a//b/')).toBe('a/b');
    expect(projectPath('a/../b')).toBe('b');
    expect(projectPath('.')).toBe('');
    expect(() => projectPath('../x')).toThrow('Forbidden path outside the project: ../x');
    expect(() => projectPath('a/../../x')).toThrow('Forbidden path outside the project: a/../../x');
    expect(() => projectPath('/etc/passwd')).toThrow('Forbidden path outside the project: /etc/passwd');
  });

  it('refuses a panel file named out of the project, and a file under a file', async () => {
    const p = await Project.open(undefined, [file('Dockerfile', 'FROM busybox\n')]);
    expect(() => p.writeFile('../x', enc.encode('x'))).toThrow('Forbidden path outside the project: ../x');
    expect(() => p.rename('Dockerfile', '../Dockerfile')).toThrow('Forbidden path outside the project: ../Dockerfile');
    expect(() => p.writeFile('Dockerfile/x', enc.encode('x'))).toThrow('Dockerfile: not a directory');
    expect(p.list().map((e) => e.path)).toEqual(['Dockerfile']);
  });
});

describe('the project as a build context', () => {
  it('gives every file with its implied directories, of the project or of a directory in it', async () => {
    const p = await Project.open(undefined, [file('Dockerfile', 'FROM busybox\n'), file('src/app/main.sh', 'echo hi\n', 0o755), file('other/Dockerfile', 'FROM scratch\n')]);
    expect(p.context('.').map((f) => `${f.kind} ${f.path}`)).toEqual(['file Dockerfile', 'dir other', 'file other/Dockerfile', 'dir src', 'dir src/app', 'file src/app/main.sh']);
    expect(p.context('src').map((f) => f.path)).toEqual(['app', 'app/main.sh']);
    expect(p.context('src').find((f) => f.path === 'app/main.sh')?.mode).toBe(0o755);
    expect(() => p.context('nope')).toThrow('unable to prepare context: path "nope" not found');
    expect(() => p.context('Dockerfile')).toThrow('unable to prepare context: context must be a directory: Dockerfile');
    expect(() => p.context('..')).toThrow('Forbidden path outside the project: ..');
  });

  it('refuses a context over the limit', async () => {
    const p = await Project.open(undefined, [file('Dockerfile', 'FROM busybox\n'), file('big', 'x'.repeat(100))]);
    expect(() => p.context('.', 64)).toThrow('build context . is over the limit of 64 bytes: list what the build does not need in .dockerignore');
  });

  it('reads -f and load -i files from the project, and says when it does not hold one', async () => {
    const p = await Project.open(undefined, [file('other/Dockerfile', 'FROM scratch\n')]);
    const io = projectIO(p);
    expect(dec.decode(await io.readFile('other/Dockerfile'))).toBe('FROM scratch\n');
    await expect(io.readFile('image.tar')).rejects.toThrow('open image.tar: no such file or directory');
    await expect(io.readFile('other')).rejects.toThrow('open other: is a directory');
  });
});

describe('docker cp and the project', () => {
  const tarOf = (...items: Array<{ path: string; kind: 'file' | 'dir' | 'symlink'; data?: string; link?: string; mode?: number }>) => {
    const t = new TarBuilder();
    for (const i of items) t.add({ path: i.path, kind: i.kind, mode: i.mode ?? (i.kind === 'dir' ? 0o755 : 0o644), uid: 0, gid: 0, mtime: 5, ...(i.data !== undefined ? { data: enc.encode(i.data) } : {}), ...(i.link !== undefined ? { link: i.link } : {}) });
    return t.finish();
  };

  it('lands a file as the new name, into a directory, or over a file', async () => {
    const p = await Project.open(undefined, [file('dir/keep', 'k')]);
    p.writeTar('./hostname', tarOf({ path: 'hostname', kind: 'file', data: 'abc\n' }));
    p.writeTar('renamed.txt', tarOf({ path: 'hostname', kind: 'file', data: 'abc\n' }));
    p.writeTar('dir', tarOf({ path: 'hostname', kind: 'file', data: 'in dir\n' }));
    p.writeTar('renamed.txt', tarOf({ path: 'hostname', kind: 'file', data: 'over\n' }));
    expect(p.files().map((e) => `${e.path}=${dec.decode(e.data)}`)).toEqual(['dir/hostname=in dir\n', 'dir/keep=k', 'hostname=abc\n', 'renamed.txt=over\n']);
  });

  it('lands a directory with its links; refuses a missing directory and a path out of the project', async () => {
    const p = await Project.open(undefined);
    const tar = tarOf({ path: 'etc', kind: 'dir' }, { path: 'etc/a', kind: 'file', data: 'a' }, { path: 'etc/l', kind: 'symlink', link: 'a' });
    p.writeTar('.', tar);
    p.writeTar('copy', tar);
    expect(p.list().map((e) => `${e.kind} ${e.path}`)).toEqual(['dir copy', 'file copy/a', 'symlink copy/l', 'dir etc', 'file etc/a', 'symlink etc/l']);
    expect(() => p.writeTar('missing/', tar)).toThrow('destination directory missing/ does not exist');
    expect(() => p.writeTar('missing/x', tar)).toThrow('destination directory missing does not exist');
    expect(() => p.writeTar('../x', tar)).toThrow('Forbidden path outside the project: ../x');
    expect(() => p.writeTar('etc/a', tar)).toThrow('cannot overwrite non-directory "etc/a" with directory');
  });

  it('gives a file or a directory as a tar named from its last component', async () => {
    const p = await Project.open(undefined, [file('app/app.py', 'print(1)\n', 0o755), file('app/lib/x.py', '')]);
    const one = readLayer(p.tarOf('./app/app.py'));
    expect(one.map((e) => [e.path, e.mode])).toEqual([['app.py', 0o755]]);
    expect(readLayer(p.tarOf('app')).map((e) => e.path)).toEqual(['app', 'app/app.py', 'app/lib', 'app/lib/x.py']);
    expect(() => p.tarOf('nope.py')).toThrow('lstat nope.py: no such file or directory');
  });
});

describe('keeping the project', () => {
  it('puts the starter project in a store that never held one, and an emptied project stays empty', async () => {
    const store = new MemoryStore();
    const p = await Project.open(store, starterProject(1));
    expect([...store.kept!.keys()].sort()).toEqual(['.dockerignore', 'Dockerfile', 'hello.sh', 'notes.md']);
    for (const e of p.files()) p.remove(e.path);
    await p.flush();
    const again = await Project.open(store, starterProject(1));
    expect(again.list()).toEqual([]);
  });

  it('saves a burst of edits once, and a rename in one save', async () => {
    const store = new MemoryStore();
    const p = await Project.open(store, [file('Dockerfile', '')], 10_000);
    store.saves = [];
    for (const s of ['F', 'FR', 'FRO', 'FROM']) p.writeFile('Dockerfile', enc.encode(s));
    p.rename('Dockerfile', 'build/Dockerfile');
    await p.flush();
    expect(store.saves).toEqual([{ put: ['build/Dockerfile'], remove: ['Dockerfile'] }]);
    expect(dec.decode((await Project.open(store)).readFile('build/Dockerfile'))).toBe('FROM');
  });

  it('keeps what a failed save held and saves it with the next change', async () => {
    const store = new MemoryStore();
    const p = await Project.open(store, [], 10_000);
    const states: string[] = [];
    p.onSave((s) => states.push(s.state === 'error' ? `error: ${s.message}` : s.state));
    store.fail = 'no space left in the origin storage for the project';
    p.writeFile('a', enc.encode('1'));
    await p.flush();
    store.fail = undefined;
    p.writeFile('b', enc.encode('2'));
    await p.flush();
    expect([...store.kept!.keys()].sort()).toEqual(['a', 'b']);
    expect(states).toEqual(['saved', 'saving', 'error: no space left in the origin storage for the project', 'saving', 'saved']);
  });
});

describe('a block file element', () => {
  const el = (tagName: string, textContent: string) => ({ tagName, textContent }) as unknown as Element;
  it('takes a <pre> as it is and a script without its first newline and indentation', () => {
    expect(fileText(el('PRE', 'FROM busybox\n  RUN x\n'))).toBe('FROM busybox\n  RUN x\n');
    expect(fileText(el('SCRIPT', '\n        # comment\n          *.md\n      '))).toBe('# comment\n  *.md\n');
  });
});
