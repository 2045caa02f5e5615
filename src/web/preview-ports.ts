// Published ports in a page: `-p 8080:80` gives `ports/8080/` on the page's
// own origin. The preview service worker (workers/port-sw.ts, served as
// dockyard-sw.js beside the page) hands each request there to this window,
// which writes it as HTTP/1.1 into a port.connect relay to the container and
// answers with what the container sends back. What cannot work: raw TCP from
// other programs (nothing outside this tab can connect), WebSockets and
// streaming responses (an answer is read whole), cookies the container sets
// (a service worker cannot set them), and navigations to absolute paths made
// by script (`location = '/x'`: outside the worker's scope).
import { encodeRequest, ResponseReader } from '../common/http1.js';
import { PREVIEW_PREFIX, type OwnerMessage, type PreviewAnswer, type PreviewRequest } from '../common/preview-messages.js';
import { DockerError } from '../runtime/errors.js';
import type { PortBinding, PortConnector, PortPublisher } from '../runtime/ports.js';

/** An answer must come within this: a container that never answers gets a 504, not a hung tab. */
const ANSWER_MS = 30_000;
/** Largest answer kept (it is held whole before the page gets it). */
const MAX_ANSWER = 64 * 1024 * 1024;

interface Published {
  id: string;
  containerPort: number;
  connect: PortConnector;
}

/** The URL of a published port's pages, under the page's base. */
export function previewUrl(hostPort: number, base: string = document.baseURI): string {
  return new URL(`${PREVIEW_PREFIX}${hostPort}/`, base).href;
}

export class PagePublisher implements PortPublisher {
  private readonly ports = new Map<number, Published>();
  private readonly byContainer = new Map<string, number[]>();
  /** set once the service worker runs; undefined where the browser has none */
  readonly ready: Promise<boolean>;

  constructor(swUrl: string | URL = new URL('dockyard-sw.js', document.baseURI)) {
    this.ready = this.register(swUrl);
  }

  private async register(swUrl: string | URL): Promise<boolean> {
    const sw = navigator.serviceWorker as ServiceWorkerContainer | undefined;
    if (!sw) return false;
    sw.addEventListener('message', (e: MessageEvent) => {
      const m = e.data as PreviewRequest | { type: 'dockyard-who' } | undefined;
      if (m?.type === 'dockyard-who') this.announce(e.source as ServiceWorker | null);
      else if (m?.type === 'dockyard-http' && e.ports[0]) void this.answer(m, e.ports[0]);
    });
    try {
      const reg = await sw.register(swUrl, { scope: new URL(PREVIEW_PREFIX, document.baseURI).pathname });
      const worker = reg.active ?? reg.waiting ?? reg.installing;
      if (!worker) return false;
      if (worker.state !== 'activated') {
        await new Promise<void>((resolve) => {
          const on = () => {
            if (worker.state === 'activated' || worker.state === 'redundant') {
              worker.removeEventListener('statechange', on);
              resolve();
            }
          };
          worker.addEventListener('statechange', on);
        });
      }
      this.announce(reg.active);
      return reg.active !== null;
    } catch {
      return false;
    }
  }

  private announce(to: ServiceWorker | null): void {
    const m: OwnerMessage = { type: 'dockyard-owner' };
    to?.postMessage(m);
  }

  async publish(c: { id: string; name: string }, bindings: readonly PortBinding[], connect: PortConnector): Promise<PortBinding[]> {
    const bound: PortBinding[] = [];
    const taken = new Set(this.ports.keys());
    for (const b of bindings) {
      let port = b.hostPort;
      if (port === 0) for (port = 32768; taken.has(port); port++);
      if (taken.has(port)) {
        throw new DockerError(`driver failed programming external connectivity on endpoint ${c.name} (${c.id}): Bind for ${b.hostIp || '0.0.0.0'}:${port} failed: port is already allocated`);
      }
      taken.add(port);
      bound.push({ ...b, hostIp: b.hostIp || '0.0.0.0', hostPort: port });
    }
    for (const b of bound) this.ports.set(b.hostPort, { id: c.id, containerPort: b.containerPort, connect });
    this.byContainer.set(c.id, bound.map((b) => b.hostPort));
    return bound;
  }

  async unpublish(id: string): Promise<void> {
    for (const p of this.byContainer.get(id) ?? []) this.ports.delete(p);
    this.byContainer.delete(id);
  }

  private async answer(req: PreviewRequest, reply: MessagePort): Promise<void> {
    const send = (a: PreviewAnswer) => reply.postMessage(a, a.ok ? [a.body] : []);
    const p = this.ports.get(req.port);
    if (!p) {
      send({ ok: false, status: 502, message: `Nothing is published on port ${req.port} (docker run -p ${req.port}:PORT …), or its container stopped.` });
      return;
    }
    try {
      const r = await this.fetch(p, req);
      const body = r.body.buffer.slice(r.body.byteOffset, r.body.byteOffset + r.body.byteLength) as ArrayBuffer;
      send({ ok: true, status: r.status, statusText: r.statusText, headers: r.headers, body });
    } catch (e) {
      const msg = (e as Error).message;
      send({ ok: false, status: /within/.test(msg) ? 504 : 502, message: `Port ${req.port} → container port ${p.containerPort}: ${msg}` });
    }
  }

  /** One request on its own connection: written whole, then the answer read whole. */
  private async fetch(p: Published, req: PreviewRequest) {
    const reader = new ResponseReader(req.method === 'HEAD');
    let got = 0;
    const stream = await p.connect(p.containerPort, {
      data: (b) => {
        got += b.length;
        if (got > MAX_ANSWER) reader.fail(new Error(`the answer is over ${MAX_ANSWER} bytes`));
        else reader.push(b);
      },
      end: () => reader.end(),
      fail: (m) => reader.fail(new Error(m)),
    });
    const timer = setTimeout(() => reader.fail(new Error(`the container did not answer within ${ANSWER_MS / 1000} s`)), ANSWER_MS);
    try {
      await stream.write(encodeRequest({ method: req.method, target: req.target, headers: req.headers, body: req.body ? new Uint8Array(req.body) : undefined }, `localhost:${req.port}`));
      return await reader.done;
    } finally {
      clearTimeout(timer);
      stream.close();
    }
  }
}
