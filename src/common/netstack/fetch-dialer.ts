// Outbound connections from containers in a page, which has no TCP: each
// connection is read as one HTTP/1 request, made with fetch() — it works
// where the far origin allows the page (CORS) — and the answer is written
// back with `Connection: close`. What cannot go through fetch is answered
// at once with a reason, never left hanging: port 443 is refused (the page
// cannot relay TLS without a certificate the container would have to trust),
// TLS or another protocol on any port is reset, a fetch the browser refuses
// is a `502` whose reason phrase says why. Each also gives a notice line.
import { encodeResponse, parseRequest, type HttpRequest } from '../http1.js';
import { DialRefused, type Dialer, type OutboundSink } from './dialer.js';
import { HOST_IP, ipText } from './wire.js';

/** a request body held in memory until it is complete */
const MAX_REQUEST = 8 * 1024 * 1024;

const TLS_WHY = 'the page cannot relay TLS (that would need a certificate the container trusts); use http:// from containers in the page';

/**
 * A page cannot resolve names; fetch() can use them. So a name a container
 * asks for gets an address of its own from 198.18.0.0/15 (reserved for
 * benchmarks: no real host has one), and a connection to that address is
 * fetched by the name.
 */
export class FetchNames {
  private readonly byName = new Map<string, number>();
  private readonly byIp = new Map<number, string>();

  resolve(name: string): number[] | undefined {
    if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(name) || this.byName.size >= 0x1ffff) return undefined;
    let ip = this.byName.get(name);
    if (ip === undefined) {
      ip = 0xc6120000 + this.byName.size + 1; // 198.18.0.1, …
      this.byName.set(name, ip);
      this.byIp.set(ip, name);
    }
    return [ip];
  }

  nameOf(ip: number): string | undefined {
    return this.byIp.get(ip);
  }
}

/** hostName: what host.docker.internal is here (the page's own host); names: the addresses given for names. */
export function fetchDialer(hostName: string, notice: (text: string) => void, fetchFn: typeof fetch = (...a) => fetch(...a), names = new FetchNames()): Dialer {
  return async ({ ip, port }, sink) => {
    if (port === 443) throw new DialRefused(`https: ${TLS_WHY}`);
    const origin = `http://${ip === HOST_IP ? hostName : (names.nameOf(ip) ?? ipText(ip))}${port === 80 ? '' : `:${port}`}`;
    const abort = new AbortController();
    let held = new Uint8Array(0);
    let started = false;
    const cut = (why: string) => {
      started = true;
      notice(`outbound connection to ${origin} cut: ${why}`);
      sink.reset();
    };
    return {
      write(b) {
        if (started) return;
        const all = new Uint8Array(held.length + b.length);
        all.set(held);
        all.set(b, held.length);
        held = all;
        if (held[0] === 0x16) return cut(`it speaks TLS: ${TLS_WHY}`);
        if (held.length > MAX_REQUEST) return cut(`a request over ${MAX_REQUEST >> 20} MiB`);
        let req: HttpRequest | undefined;
        try {
          req = parseRequest(held);
        } catch {
          return cut('only HTTP requests can leave a container in the page (through fetch)');
        }
        if (!req) return;
        started = true;
        held = new Uint8Array(0);
        void relay(req, origin, sink, abort.signal, notice, fetchFn);
      },
      get backlog() {
        return held.length;
      },
      end() {
        if (!started) cut('the container ended the connection before a whole HTTP request');
      },
      close: () => abort.abort(),
      pause() {},
      resume() {},
    };
  };
}

async function relay(req: HttpRequest, origin: string, sink: OutboundSink, signal: AbortSignal, notice: (text: string) => void, fetchFn: typeof fetch): Promise<void> {
  const url = /^https?:\/\//.test(req.target) ? req.target : `${origin}${req.target}`;
  // names and values fetch would refuse are left out
  const headers: Record<string, string> = {};
  for (const [k, v] of req.headers) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(k) || /[\0\r\n]/.test(v)) continue;
    const key = k.toLowerCase();
    headers[key] = headers[key] === undefined ? v : `${headers[key]}, ${v}`;
  }
  let answer: Uint8Array;
  try {
    const body = req.body && req.body.length > 0 && !['GET', 'HEAD'].includes(req.method) ? new Uint8Array(req.body) : undefined;
    const res = await fetchFn(url, { method: req.method, headers, body, signal, credentials: 'omit' });
    const resBody = req.method === 'HEAD' ? new Uint8Array(0) : new Uint8Array(await res.arrayBuffer());
    const resHeaders: Array<[string, string]> = [];
    res.headers.forEach((v, k) => resHeaders.push([k, v]));
    answer = encodeResponse({ status: res.status, statusText: res.statusText || 'OK', headers: resHeaders, body: resBody });
  } catch (e) {
    if (signal.aborted) return;
    const why = `the browser refused fetch ${url} (the origin sends no CORS headers allowing this page, or nothing answers there)`;
    notice(`outbound HTTP from a container failed: ${why}: ${(e as Error).message}`);
    answer = encodeResponse({ status: 502, statusText: `Bad Gateway: ${why}`, headers: [['Content-Type', 'text/plain']], body: new TextEncoder().encode(`${why}\n`) });
  }
  if (signal.aborted) return;
  sink.data(answer);
  sink.end();
}
