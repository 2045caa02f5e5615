// The preview service worker: every published port gets a URL on the page's
// own origin, `<base>/ports/<port>/…`. Its scope is `<base>/ports/` only, so
// the playground itself never goes through it; a page loaded from a port's
// URL is controlled by it, so its requests — absolute paths (`/style.css`,
// `fetch('/api')`) included — come here. Each is handed to the window that
// runs the VM (it said so with a `dockyard-owner` message), which relays it
// into the container over the emulator and answers. Links and form actions
// with an absolute path in the HTML a container serves are rewritten under
// the port's URL (a navigation outside the scope would not come here). No
// VM window: a plain 503 page saying so. No imports: served as one file.
/// <reference lib="webworker" />
import type { OwnerMessage, PreviewAnswer, PreviewRequest } from '../src/common/preview-messages.js';

declare const self: ServiceWorkerGlobalScope;

const PREFIX = 'ports/';
/** windows that run a VM, newest last (lost when the browser stops this worker: asked again then) */
const owners: string[] = [];
let ownerWaiters: Array<() => void> = [];

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('message', (e) => {
  const m = e.data as OwnerMessage | undefined;
  const src = e.source as Client | null;
  if (m?.type === 'dockyard-owner' && src) {
    const i = owners.indexOf(src.id);
    if (i >= 0) owners.splice(i, 1);
    owners.push(src.id);
    for (const w of ownerWaiters) w();
    ownerWaiters = [];
  }
});

/** The scope's path: `<base>/ports/`. */
const scopePath = () => new URL(self.registration.scope).pathname;

/** The published port a URL belongs to, and the path and query the container sees. */
function portOf(url: URL): { port: number; target: string } | undefined {
  const scope = scopePath();
  if (url.origin !== self.location.origin || !url.pathname.startsWith(scope)) return undefined;
  const m = /^(\d{1,5})(\/.*)?$/.exec(url.pathname.slice(scope.length));
  return m ? { port: Number(m[1]), target: (m[2] ?? '/') + url.search } : undefined;
}

async function windows(): Promise<readonly Client[]> {
  return self.clients.matchAll({ type: 'window', includeUncontrolled: true });
}

/** The newest window that runs a VM; after a restart of this worker, they are asked (1 s). */
async function owner(): Promise<Client | undefined> {
  for (let round = 0; round < 2; round++) {
    const all = await windows();
    for (let i = owners.length - 1; i >= 0; i--) {
      const c = all.find((w) => w.id === owners[i]);
      if (c) return c;
      owners.splice(i, 1);
    }
    if (round === 0) {
      const heard = new Promise<void>((resolve) => {
        ownerWaiters.push(resolve);
        setTimeout(resolve, 1000);
      });
      for (const w of all) w.postMessage({ type: 'dockyard-who' });
      await heard;
    }
  }
  return undefined;
}

function textResponse(status: number, text: string): Response {
  return new Response(`<!doctype html><meta charset="utf-8"><title>${status}</title><p>${text.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</p>`, {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8' },
  });
}

/** Absolute paths in href/src/action attributes of HTML, under the port's URL. */
function rewriteHtml(html: string, base: string): string {
  return html.replace(/(\s(?:href|src|action)\s*=\s*)(["']?)\/(?!\/)/gi, `$1$2${base}`);
}

async function relay(e: FetchEvent, port: number, target: string): Promise<Response> {
  const vm = await owner();
  if (!vm) return textResponse(503, `No Dockyard VM is running in this browser: open the playground (or the page that published port ${port}) in another tab and keep it open.`);
  const body = ['GET', 'HEAD'].includes(e.request.method) ? null : await e.request.arrayBuffer();
  const headers: Array<[string, string]> = [];
  e.request.headers.forEach((v, k) => headers.push([k, v]));
  const req: PreviewRequest = { type: 'dockyard-http', port, method: e.request.method, target, headers, body };
  const channel = new MessageChannel();
  const answer = new Promise<PreviewAnswer>((resolve) => {
    channel.port1.onmessage = (m) => resolve(m.data as PreviewAnswer);
  });
  vm.postMessage(req, body ? [channel.port2, body] : [channel.port2]);
  const a = await answer;
  if (!a.ok) return textResponse(a.status, a.message);
  const base = `${scopePath()}${port}/`;
  const out = new Headers();
  for (const [k, v] of a.headers) {
    // a redirect to an absolute path stays under the port's URL
    if (k.toLowerCase() === 'location' && v.startsWith('/') && !v.startsWith('//')) out.append(k, base + v.slice(1));
    else out.append(k, v);
  }
  if (e.request.method === 'HEAD' || a.status === 204 || a.status === 304) return new Response(null, { status: a.status, statusText: a.statusText, headers: out });
  const html = /^text\/html/i.test(out.get('content-type') ?? '');
  const payload = html ? rewriteHtml(new TextDecoder().decode(a.body), base) : a.body;
  return new Response(payload, { status: a.status, statusText: a.statusText, headers: out });
}

self.addEventListener('fetch', (e) => {
  const url = new URL(e.request.url);
  if (url.origin !== self.location.origin) return;
  // under ports/N/: that port; an absolute path from a page of ports/N/: that port too
  const own = portOf(url);
  if (own) {
    e.respondWith(relay(e, own.port, own.target));
    return;
  }
  e.respondWith(
    self.clients.get(e.clientId).then((c) => {
      const from = c ? portOf(new URL(c.url)) : undefined;
      return from ? relay(e, from.port, url.pathname + url.search) : fetch(e.request);
    }),
  );
});
