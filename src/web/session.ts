// A booted Dockyard for a page: the VM in its worker, the runtime API over
// it, and the bundled registry served beside the page. Console and kernel
// output go to whoever is listening at the time.
import type { Manifest } from '../common/manifest.js';
import { Dockyard } from '../runtime/dockyard.js';
import { startVm, type Progress } from './vm-client.js';
import { Registries } from '../runtime/registries.js';
import { bundledThenRemote, remoteSource } from '../runtime/registry.js';
import type { RegistryProxy } from './page-config.js';
import { webRegistry } from './web-registry.js';
import { PagePublisher } from './preview-ports.js';

export type ConsoleListener = (data: Uint8Array) => void;

export interface Session {
  d: Dockyard;
  manifest: Manifest;
  /** output of the VM's own shell (hvc0) */
  onConsole(cb: ConsoleListener): () => void;
  /** the kernel log (ttyS0); replays what came before */
  onKernelLog(cb: ConsoleListener): () => void;
  /** lines for the user from the VM's host side (why a container's outbound connection failed) */
  onNotice(cb: (text: string) => void): () => void;
}

/** Output that arrives before anyone listens is kept (a bounded tail) and replayed. */
class Fanout {
  private readonly listeners = new Set<ConsoleListener>();
  private backlog: Uint8Array[] = [];
  private backlogBytes = 0;

  constructor(private readonly keep: number) {}

  emit(data: Uint8Array): void {
    const copy = data.slice();
    this.backlog.push(copy);
    this.backlogBytes += copy.length;
    while (this.backlogBytes > this.keep && this.backlog.length > 1) this.backlogBytes -= this.backlog.shift()!.length;
    for (const l of this.listeners) l(copy);
  }

  listen(cb: ConsoleListener): () => void {
    for (const b of this.backlog) cb(b);
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }
}

export interface StartOptions {
  onProgress?: (p: Progress) => void;
  /** called as soon as the kernel log can be listened to (before boot ends) */
  onKernelLogReady?: (listen: (cb: ConsoleListener) => () => void) => void;
  /**
   * A registry that stands in for Docker Hub (a pull-through cache sending
   * CORS headers: docs/registry-proxy.md), or one per registry host
   * (`{ 'docker.io': url, 'ghcr.io': url2 }`). Registries that send CORS
   * headers themselves need none.
   */
  registryProxy?: RegistryProxy;
}

/**
 * The page's own registryProxy when the code starting the session gives
 * none: `?registryProxy=URL` on the page's address (the playground), else
 * `<meta name="dockyard-registry-proxy" content="URL">` (any page).
 */
export function pageRegistryProxy(): string | undefined {
  const fromQuery = new URLSearchParams(location.search).get('registryProxy');
  if (fromQuery) return fromQuery;
  return document.querySelector<HTMLMetaElement>('meta[name="dockyard-registry-proxy"]')?.content || undefined;
}

/** registryProxy as distribution-client mirrors. */
export function proxyMirrors(p: StartOptions['registryProxy']): Record<string, string> {
  if (p === undefined || p === '') return {};
  return typeof p === 'string' ? { 'docker.io': p } : { ...p };
}

export async function startSession(o: StartOptions = {}): Promise<Session> {
  const shell = new Fanout(64 * 1024);
  const kernel = new Fanout(64 * 1024);
  const listenKernel = (cb: ConsoleListener) => kernel.listen(cb);
  const notices = new Set<(text: string) => void>();
  o.onKernelLogReady?.(listenKernel);
  const listener = {
    console: (port: number, data: Uint8Array) => {
      if (port === 0) shell.emit(data);
    },
    serial: (data: Uint8Array) => kernel.emit(data),
    notice: (text: string) => {
      for (const l of notices) l(text);
    },
  };
  const { vm, boot, manifest } = await startVm(listener, o.onProgress ?? (() => {}));
  // a guest that stops answering is replaced by a fresh VM (Dockyard.recover)
  const reboot = () => startVm(listener, o.onProgress ?? (() => {}));
  // logins last as long as the page (never written to storage)
  const registries = new Registries(undefined, { page: true, mirrors: proxyMirrors(o.registryProxy ?? pageRegistryProxy()) });
  const d = new Dockyard(vm, boot, bundledThenRemote(webRegistry(manifest), remoteSource(registries.client)), reboot, undefined, registries);
  // -p: ports/<port>/ on this origin, through the preview service worker
  d.containers.publisher = new PagePublisher();
  return {
    d,
    manifest,
    onConsole: (cb) => shell.listen(cb),
    onKernelLog: listenKernel,
    onNotice: (cb) => {
      notices.add(cb);
      return () => notices.delete(cb);
    },
  };
}
