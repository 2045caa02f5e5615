// The playground's files panel: the project docker build and docker cp use
// as the current directory. Lists its files; a file opens in a plain
// textarea (no editor dependency: a Dockerfile and a script are small, and a
// textarea is accessible as it is); new, rename and delete are inline forms
// and buttons, every one reachable with Tab and Enter. Each change is kept
// in origin storage (project-idb.ts) a moment after the last keystroke.
import { humanSize } from '../cli/format.js';
import { h } from './dom.js';
import type { Project, ProjectEntry, SaveState } from './project.js';

const enc = new TextEncoder();
/** bigger files are listed, not opened: a textarea that size is slow to type in */
const EDIT_LIMIT = 1 << 20;

function textOf(e: ProjectEntry): string | undefined {
  if (e.kind !== 'file' || (e.data?.length ?? 0) > EDIT_LIMIT) return undefined;
  try {
    const s = new TextDecoder('utf-8', { fatal: true }).decode(e.data ?? new Uint8Array(0));
    return s.includes('\u0000') ? undefined : s;
  } catch {
    return undefined;
  }
}

export class FilesPanel {
  readonly el: HTMLElement;
  private readonly listEl: HTMLUListElement;
  private readonly messageEl: HTMLElement;
  private readonly saveEl: HTMLElement;
  private readonly editorEl: HTMLElement;
  private readonly editorLabel: HTMLElement;
  private readonly textarea: HTMLTextAreaElement;
  private readonly newInput: HTMLInputElement;
  private readonly uploadInput: HTMLInputElement;
  private open: string | undefined;
  /** the bytes this panel last wrote to the open file (anything else came from elsewhere: docker cp) */
  private mine: Uint8Array | undefined;
  /** the entry whose row shows a rename field or a delete confirmation */
  private editing: { path: string; mode: 'rename' | 'delete' } | undefined;

  constructor(private readonly project: Project) {
    this.textarea = h('textarea', { id: 'file-text', className: 'file-text', spellcheck: false, wrap: 'off', rows: 12 });
    this.textarea.setAttribute('autocapitalize', 'off');
    this.textarea.addEventListener('input', () => this.edited());
    this.uploadInput = h('input', { type: 'file', multiple: true, hidden: true, id: 'files-upload-input', onchange: () => void this.upload() });
    this.newInput = h('input', { type: 'text', id: 'new-file-name', placeholder: 'new file, e.g. app/main.py', autocomplete: 'off', spellcheck: false, 'aria-label': 'New file name' });
    this.el = h(
      'section',
      { className: 'panel-section files', id: 'files-panel', 'aria-label': 'Files' },
      h('h2', {}, 'Files ', (this.saveEl = h('span', { className: 'save-state', id: 'files-save-state', role: 'status' }))),
      h('p', { className: 'files-note' }, 'The current directory of ', h('code', {}, 'docker build .'), ' and ', h('code', {}, 'docker cp'), '.'),
      (this.listEl = h('ul', { className: 'panel-list file-list', id: 'files-list' })),
      h(
        'form',
        {
          className: 'file-new',
          onsubmit: (ev: SubmitEvent) => {
            ev.preventDefault();
            this.create();
          },
        },
        this.newInput,
        h('button', { type: 'submit' }, 'New file'),
        h('button', { type: 'button', id: 'files-upload', title: 'Add files from your computer (docker load -i reads a tar from here)', onclick: () => this.uploadInput.click() }, 'Upload…'),
        this.uploadInput,
      ),
      (this.messageEl = h('p', { className: 'panel-message', id: 'files-message', role: 'status' })),
      (this.editorEl = h(
        'div',
        { className: 'file-editor', hidden: true },
        (this.editorLabel = h('label', { htmlFor: 'file-text', className: 'file-editor-label' })),
        this.textarea,
      )),
    );
    project.onChange(() => this.render());
    project.onSave((s) => this.saved(s));
    this.render();
  }

  /** Opens a file in the editor (the first Dockerfile when none is named). */
  show(path?: string): void {
    const e = path !== undefined ? this.project.get(path) : this.project.files().find((f) => /(^|\/)Dockerfile$/.test(f.path));
    if (!e || e.kind === 'dir') return;
    this.open = e.path;
    this.mine = undefined;
    this.render();
  }

  private say(msg: string, error = false): void {
    this.messageEl.textContent = msg;
    this.messageEl.classList.toggle('error', error);
  }

  private saved(s: SaveState): void {
    this.saveEl.dataset.state = s.state;
    this.saveEl.textContent = s.state === 'saved' ? 'Saved' : s.state === 'saving' ? 'Saving…' : `Not saved: ${s.message}`;
  }

  private try(fn: () => void): boolean {
    try {
      fn();
      this.say('');
      return true;
    } catch (e) {
      this.say((e as Error).message, true);
      return false;
    }
  }

  private create(): void {
    const name = this.newInput.value.trim();
    if (name === '') return this.say('Type a name for the new file first.', true);
    if (
      this.try(() => {
        if (this.project.get(name)) throw new Error(`"${name}" already exists.`);
        const e = this.project.writeFile(name, new Uint8Array(0));
        this.open = e.path;
      })
    ) {
      this.newInput.value = '';
      this.render();
      this.textarea.focus();
    }
  }

  /** The chosen files, added at the project's top (a file of the same name is replaced). */
  private async upload(): Promise<void> {
    const chosen = [...(this.uploadInput.files ?? [])];
    this.uploadInput.value = '';
    const added: string[] = [];
    for (const f of chosen) {
      const data = new Uint8Array(await f.arrayBuffer());
      if (!this.try(() => void this.project.writeFile(f.name, data))) return;
      added.push(f.name);
    }
    if (added.length > 0) this.say(`Added ${added.join(', ')}.`);
  }

  private edited(): void {
    const path = this.open;
    if (path === undefined) return;
    const data = enc.encode(this.textarea.value);
    this.mine = data;
    this.try(() => void this.project.writeFile(path, data));
  }

  private render(): void {
    const entries = this.project.list();
    if (this.open !== undefined && !entries.some((e) => e.path === this.open)) this.open = undefined;
    if (this.editing && !entries.some((e) => e.path === this.editing!.path)) this.editing = undefined;
    const focused = document.activeElement instanceof HTMLElement && this.listEl.contains(document.activeElement) ? document.activeElement.dataset.focusKey : undefined;
    this.listEl.replaceChildren(...(entries.length === 0 ? [h('li', { className: 'empty' }, 'No files. Name one below: ', h('code', {}, 'Dockerfile'), '.')] : entries.map((e) => this.row(e))));
    if (focused) this.listEl.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focused)}"]`)?.focus();
    this.renderEditor();
  }

  private row(e: ProjectEntry): HTMLLIElement {
    const label = e.kind === 'dir' ? `${e.path}/` : e.path;
    const meta = e.kind === 'dir' ? 'directory' : e.kind === 'symlink' ? `→ ${e.link}` : `${humanSize(e.data?.length ?? 0)}${e.mode & 0o111 ? ' · executable' : ''}`;
    const key = (what: string) => ({ focusKey: `${what}:${e.path}` });
    const li = h('li', { className: `item file-item${e.path === this.open ? ' open' : ''}`, dataset: { file: e.path, kind: e.kind } });
    if (this.editing?.path === e.path && this.editing.mode === 'rename') {
      const input = h('input', { type: 'text', value: e.path, className: 'rename-input', spellcheck: false, 'aria-label': `New name for ${e.path}` });
      const done = (commit: boolean) => {
        if (commit && input.value.trim() !== e.path) {
          const to = input.value.trim();
          if (!this.try(() => this.project.rename(e.path, to))) return;
          if (this.open === e.path) this.open = this.project.get(to)?.path;
        }
        this.editing = undefined;
        this.render();
        this.listEl.querySelector<HTMLElement>(`[data-file="${CSS.escape(commit ? (this.project.get(input.value.trim())?.path ?? e.path) : e.path)}"] .file-name`)?.focus();
      };
      input.addEventListener('keydown', (ev) => {
        if (ev.key === 'Escape') done(false);
      });
      li.append(
        h(
          'form',
          {
            className: 'rename-form',
            onsubmit: (ev: SubmitEvent) => {
              ev.preventDefault();
              done(true);
            },
          },
          input,
          h('button', { type: 'submit' }, 'Rename'),
          h('button', { type: 'button', onclick: () => done(false) }, 'Cancel'),
        ),
      );
      queueMicrotask(() => {
        input.focus();
        input.select();
      });
      return li;
    }
    const editable = e.kind === 'file';
    const name = h(
      'button',
      {
        type: 'button',
        className: 'file-name',
        title: editable ? `Edit ${e.path}` : e.path,
        disabled: !editable,
        dataset: key('open'),
        onclick: () => this.show(e.path),
      },
      label,
    );
    name.setAttribute('aria-pressed', String(e.path === this.open));
    const actions =
      this.editing?.path === e.path && this.editing.mode === 'delete'
        ? [
            h('button', { type: 'button', className: 'danger', dataset: key('confirm'), onclick: () => this.remove(e.path) }, `Delete${e.kind === 'dir' ? ' all' : ''}`),
            h('button', { type: 'button', dataset: key('cancel'), onclick: () => this.startEditing(undefined, `delete:${e.path}`) }, 'Keep'),
          ]
        : [
            h('button', { type: 'button', title: `Rename ${e.path}`, dataset: key('rename'), onclick: () => this.startEditing({ path: e.path, mode: 'rename' }) }, 'Rename'),
            h('button', { type: 'button', title: `Delete ${e.path}`, dataset: key('delete'), onclick: () => this.startEditing({ path: e.path, mode: 'delete' }, `confirm:${e.path}`) }, 'Delete'),
          ];
    li.append(h('div', { className: 'item-main' }, name, h('span', { className: 'item-meta' }, meta)), h('div', { className: 'item-actions' }, ...actions));
    return li;
  }

  private startEditing(editing: FilesPanel['editing'], focus?: string): void {
    this.editing = editing;
    this.render();
    if (focus) this.listEl.querySelector<HTMLElement>(`[data-focus-key="${CSS.escape(focus)}"]`)?.focus();
  }

  private remove(path: string): void {
    this.editing = undefined;
    if (this.try(() => this.project.remove(path))) this.newInput.focus();
  }

  private renderEditor(): void {
    const e = this.open !== undefined ? this.project.get(this.open) : undefined;
    if (!e) {
      this.editorEl.hidden = true;
      return;
    }
    this.editorEl.hidden = false;
    const text = textOf(e);
    this.editorLabel.replaceChildren('Editing ', h('code', {}, e.path));
    if (text === undefined) {
      this.textarea.hidden = true;
      this.editorLabel.replaceChildren(h('code', {}, e.path), ` is ${e.kind === 'file' ? `binary or over ${humanSize(EDIT_LIMIT)}` : 'not a file'}: not editable here.`);
      return;
    }
    this.textarea.hidden = false;
    this.textarea.dataset.file = e.path;
    // what the user typed stays as it is; a change from elsewhere (docker cp) is shown
    if (e.data !== this.mine && this.textarea.value !== text) this.textarea.value = text;
  }
}
