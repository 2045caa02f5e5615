// The side panel: images and containers with live status, refreshed after
// every command and every few seconds, with the actions the runtime API
// offers (start, stop, remove; remove an image), and the "containers vs.
// VMs" figures fed from the same lists.
import { execute } from '../cli/interpreter.js';
import { rememberContainers } from './lost-containers.js';
import { statusText } from '../cli/commands/ps.js';
import { humanSize } from '../cli/format.js';
import { familiarNameOf } from '../common/oci/reference.js';
import type { ContainerInfo } from '../runtime/containers.js';
import type { Dockyard } from '../runtime/dockyard.js';
import type { ImageRecord } from '../runtime/images.js';
import { h } from './dom.js';
import type { Figures } from './figures.js';
import { previewUrl } from './preview-ports.js';

export class SidePanel {
  private readonly imagesEl: HTMLElement;
  private readonly containersEl: HTMLElement;
  private readonly messageEl: HTMLElement;
  private readonly previewEl: HTMLElement;
  private readonly previewFrame: HTMLIFrameElement;
  private readonly previewLink: HTMLAnchorElement;
  private inFlight: Promise<void> | undefined;
  private again = false;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    root: HTMLElement,
    private readonly d: Dockyard,
    private readonly onAction: () => void = () => {},
    private readonly figures?: Figures,
  ) {
    root.replaceChildren(
      h('section', { className: 'panel-section' }, h('h2', {}, 'Images'), (this.imagesEl = h('ul', { className: 'panel-list', id: 'images-list' }))),
      h('section', { className: 'panel-section' }, h('h2', {}, 'Containers'), (this.containersEl = h('ul', { className: 'panel-list', id: 'containers-list' }))),
      (this.messageEl = h('p', { className: 'panel-message', role: 'status' })),
      // a published port's page (docker run -p): served by the container through the preview service worker
      (this.previewEl = h(
        'section',
        { className: 'panel-section preview', id: 'preview', hidden: true },
        h('h2', {}, 'Preview ', (this.previewLink = h('a', { target: '_blank', rel: 'noopener', title: 'Open in a new tab' }, '')), ' ', h('button', { type: 'button', onclick: () => this.closePreview() }, 'Close')),
        (this.previewFrame = h('iframe', { title: 'Preview of a published port', className: 'preview-frame' })),
      )),
      ...(figures ? [figures.el] : []),
    );
  }

  /** Refreshes now, and every `ms` while the page is visible. */
  start(ms = 3000): void {
    void this.refresh();
    this.timer = setInterval(() => {
      if (document.visibilityState === 'visible') void this.refresh();
    }, ms);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One refresh at a time; a request during one runs once more after it. */
  refresh(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = (async () => {
      do {
        this.again = false;
        try {
          // info() and the containers' memory only for the figures, and only while they can be seen
          const figures = this.figures?.visible ?? false;
          const info = figures ? this.d.info().catch(() => undefined) : undefined;
          const [images, containers] = await Promise.all([this.d.images.list(), this.d.containers.list(true, { memory: figures })]);
          this.renderImages(images, containers);
          this.renderContainers(containers);
          rememberContainers(containers);
          this.figures?.update(images, containers, await info);
        } catch (e) {
          this.say(`Could not list: ${(e as Error).message}`, true);
        }
      } while (this.again);
    })().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /** Shows a published port's page in the panel (and a link to open it in a tab). */
  openPreview(port: number): void {
    const url = previewUrl(port);
    this.previewLink.href = url;
    this.previewLink.textContent = `:${port} ↗`;
    this.previewFrame.src = url;
    this.previewEl.hidden = false;
  }

  private closePreview(): void {
    this.previewFrame.src = 'about:blank';
    this.previewEl.hidden = true;
  }

  private say(msg: string, error = false): void {
    this.messageEl.textContent = msg;
    this.messageEl.classList.toggle('error', error);
  }

  private act(label: string, fn: () => Promise<unknown>): (ev: Event) => void {
    return (ev) => {
      const btn = ev.currentTarget as HTMLButtonElement;
      btn.disabled = true;
      this.say(`${label}…`);
      fn().then(
        () => this.say(''),
        (e: Error) => this.say(`${label} failed: ${e.message}`, true),
      ).finally(() => {
        void this.refresh();
        this.onAction();
      });
    };
  }

  private renderImages(images: ImageRecord[], containers: ContainerInfo[]): void {
    if (images.length === 0) {
      this.imagesEl.replaceChildren(h('li', { className: 'empty' }, 'No images yet. Try ', h('code', {}, 'docker pull busybox'), '.'));
      return;
    }
    this.imagesEl.replaceChildren(
      ...images.map((img) => {
        const name = familiarNameOf(img.name);
        const used = containers.filter((c) => c.imageId === img.id).length;
        return h(
          'li',
          { className: 'item', dataset: { image: name } },
          h('div', { className: 'item-main' }, h('span', { className: 'item-name' }, name), h('span', { className: 'item-meta' }, `${img.id.slice(7, 19)} · ${humanSize(img.size)}${used ? ` · ${used} container${used > 1 ? 's' : ''}` : ''}`)),
          h('div', { className: 'item-actions' }, h('button', { type: 'button', title: `docker rmi ${name}`, onclick: this.act(`Removing ${name}`, () => this.removeImage(name)) }, 'Remove')),
        );
      }),
    );
  }

  private async removeImage(name: string): Promise<void> {
    let err = '';
    const dec = new TextDecoder();
    const status = await execute({ d: this.d, io: { out: () => {}, err: (s: string | Uint8Array) => (err += typeof s === 'string' ? s : dec.decode(s)) } }, ['rmi', name]);
    if (status !== 0) throw new Error(err.trim().replace(/^Error response from daemon: /, ''));
  }

  private renderContainers(containers: ContainerInfo[]): void {
    if (containers.length === 0) {
      this.containersEl.replaceChildren(h('li', { className: 'empty' }, 'No containers. Try ', h('code', {}, 'docker run -it busybox sh'), '.'));
      return;
    }
    const now = Date.now();
    this.containersEl.replaceChildren(
      ...containers.map((c) => {
        const running = c.status === 'running';
        const actions: HTMLElement[] = [];
        if (running) actions.push(h('button', { type: 'button', title: `docker stop ${c.name}`, onclick: this.act(`Stopping ${c.name}`, () => this.d.containers.stop(c.id)) }, 'Stop'));
        else actions.push(h('button', { type: 'button', title: `docker start ${c.name}`, onclick: this.act(`Starting ${c.name}`, () => this.d.containers.start(c.id)) }, 'Start'));
        actions.push(h('button', { type: 'button', title: `docker rm -f ${c.name}`, onclick: this.act(`Removing ${c.name}`, () => this.d.containers.remove(c.id, true)) }, 'Remove'));
        const ports = running
          ? c.ports.map((p) =>
              h('button', { type: 'button', className: 'port', title: `Preview ${previewUrl(p.hostPort)}`, dataset: { port: String(p.hostPort) }, onclick: () => this.openPreview(p.hostPort) }, `:${p.hostPort}`),
            )
          : [];
        return h(
          'li',
          { className: `item ${c.status}`, dataset: { container: c.name, status: c.status } },
          h(
            'div',
            { className: 'item-main' },
            h('span', { className: 'item-name' }, h('span', { className: `dot ${c.status}`, 'aria-hidden': 'true' }), c.name),
            h('span', { className: 'item-meta' }, `${c.id.slice(0, 12)} · ${c.image} · ${c.command}`),
            h('span', { className: 'item-status' }, statusText(c, now), ...ports),
          ),
          h('div', { className: 'item-actions' }, ...actions),
        );
      }),
    );
  }
}
