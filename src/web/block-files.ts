// The files a runnable block carries: elements marked `data-dockyard-file`
// (a `<pre>` the reader sees, or a `<script type="text/plain">` they do not)
// before the block, after the previous one. The block's commands see them as
// their current directory: `docker build .` builds them, `docker cp` reads
// and writes them.

export const FILE_SELECTOR = '[data-dockyard-file]';

export interface BlockFile {
  path: string;
  text: string;
  /** permission bits (`data-mode="755"`; default 644) */
  mode: number;
}

/** An element's text as a file: a `<pre>` as it is; other elements (scripts) without their first newline and common indentation. */
export function fileText(el: Element): string {
  const raw = el.textContent ?? '';
  if (el.tagName === 'PRE') return raw;
  const lines = raw.replace(/^\r?\n/, '').replace(/[ \t]+$/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length));
  return lines.map((l) => l.slice(Number.isFinite(indent) ? indent : 0)).join('\n');
}

export function blockFile(el: HTMLElement): BlockFile {
  const mode = el.dataset.mode !== undefined && /^[0-7]{3,4}$/.test(el.dataset.mode) ? parseInt(el.dataset.mode, 8) : 0o644;
  return { path: el.dataset.dockyardFile ?? '', text: fileText(el), mode };
}
