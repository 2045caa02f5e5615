// Start-up in stages — download (bytes so far of the total), boot (seconds),
// ready — and, when something fails, what failed and what to do about it.
import { DownloadError } from './artifact-cache.js';
import { h } from './dom.js';
import { VmStartError, type Progress } from './vm-client.js';

const STAGES = ['download', 'boot', 'ready'] as const;
type Stage = (typeof STAGES)[number];

export const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** One line of text for a progress event (for terminals and status lines). */
export function progressText(p: Progress, now = performance.now()): string {
  switch (p.stage) {
    case 'download':
      return `Downloading the VM: ${mb(p.loaded)} of ${mb(p.total)}`;
    case 'boot':
      return `Starting Linux: ${((now - p.startedAt) / 1000).toFixed(1)} s`;
    case 'ready':
      return `Ready: ${readyText(p)}`;
  }
}

/** "booted in 4.1 s" or "restored from a snapshot in 0.6 s" */
export function readyText(p: { bootMs: number; restored: boolean }): string {
  return `${p.restored ? 'restored from a snapshot' : 'booted'} in ${(p.bootMs / 1000).toFixed(1)} s`;
}

/** Said once when the kernel must be downloaded after all: why the saved state is not used. */
export function coldBootNote(reason: string): string {
  return `The saved VM state cannot be used (${reason}): booting Linux from its kernel instead.`;
}

/** What went wrong and what to do, for any error thrown while starting. */
export function explain(e: unknown): { message: string; advice: string } {
  if (e instanceof VmStartError || e instanceof DownloadError) return { message: e.message, advice: e.advice };
  return { message: (e as Error)?.message ?? String(e), advice: 'Reload the page to try again.' };
}

export class BootStatus {
  private readonly items = new Map<Stage, { li: HTMLElement; detail: HTMLElement }>();
  private readonly bar: HTMLProgressElement;
  private tick: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly root: HTMLElement) {
    const labels: Record<Stage, string> = { download: 'Download', boot: 'Start', ready: 'Ready' };
    const ol = h('ol', { className: 'stages' });
    for (const s of STAGES) {
      const detail = h('span', { className: 'stage-detail' });
      const li = h('li', { dataset: { stage: s } }, h('span', { className: 'stage-name' }, labels[s]), detail);
      ol.append(li);
      this.items.set(s, { li, detail });
    }
    this.bar = h('progress', { max: 1, value: 0 });
    root.replaceChildren(ol, this.bar);
    root.dataset.state = 'starting';
  }

  update(p: Progress): void {
    clearInterval(this.tick);
    const idx = STAGES.indexOf(p.stage);
    STAGES.forEach((s, i) => {
      const it = this.items.get(s)!;
      it.li.classList.toggle('done', i < idx || p.stage === 'ready');
      it.li.classList.toggle('active', i === idx && p.stage !== 'ready');
    });
    const detail = (s: Stage) => this.items.get(s)!.detail;
    if (p.stage === 'download') {
      detail('download').textContent = `${mb(p.loaded)} / ${mb(p.total)}`;
      this.bar.value = p.total ? (0.7 * p.loaded) / p.total : 0;
    } else if (p.stage === 'boot') {
      const show = () => {
        const s = (performance.now() - p.startedAt) / 1000;
        detail('boot').textContent = `${s.toFixed(1)} s`;
        this.bar.value = Math.min(0.98, 0.7 + (0.28 * s) / 5);
      };
      show();
      this.tick = setInterval(show, 100);
    } else {
      detail('boot').textContent = `${(p.bootMs / 1000).toFixed(1)} s`;
      // the whole story on hover: snapshot or cold boot, and why
      this.items.get('boot')!.li.title = `${readyText(p)}${p.restored ? '' : ` (${p.coldBootReason ?? 'no snapshot'})`}`;
      this.bar.value = 1;
      this.root.dataset.state = 'ready';
    }
  }

  fail(e: unknown): void {
    clearInterval(this.tick);
    for (const { li } of this.items.values()) if (li.classList.contains('active')) li.classList.replace('active', 'failed');
    this.root.dataset.state = 'error';
  }
}

/** A plain error box: what failed, what to do, and a reload button. */
export function errorBox(e: unknown, extra?: Node): HTMLElement {
  const { message, advice } = explain(e);
  return h(
    'div',
    { className: 'error-box', role: 'alert' },
    h('h2', {}, 'Dockyard could not start'),
    h('p', { className: 'error-message' }, message.charAt(0).toUpperCase() + message.slice(1)),
    h('p', { className: 'error-advice' }, advice),
    h('button', { type: 'button', onclick: () => location.reload() }, 'Reload'),
    ...(extra ? [extra] : []),
  );
}
