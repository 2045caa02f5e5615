// HTTP/1.1 over a published port's byte stream, for hosts that have no TCP
// client of their own (a page: its service worker hands over a fetch, this
// writes it to the container and reads the answer). One request per
// connection (`Connection: close`), as simple servers like busybox httpd
// expect; the answer's body is framed by Content-Length, chunked encoding or
// the connection's end.

export interface HttpRequest {
  method: string;
  /** path and query, as sent on the request line */
  target: string;
  headers: ReadonlyArray<readonly [string, string]>;
  body?: Uint8Array | undefined;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Headers the relay sets itself or that mean nothing over it. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'host', 'content-length', 'accept-encoding']);

/** The request's bytes: `Host` as given, `Connection: close`, the body's length. */
export function encodeRequest(r: HttpRequest, host: string): Uint8Array {
  if (!/^[A-Z]+$/.test(r.method) || /[\s]/.test(r.target) || !r.target.startsWith('/')) throw new Error(`bad request line: ${r.method} ${r.target}`);
  const lines = [`${r.method} ${r.target} HTTP/1.1`, `Host: ${host}`, 'Connection: close'];
  for (const [k, v] of r.headers) {
    if (HOP.has(k.toLowerCase()) || /[\r\n]/.test(k + v)) continue;
    lines.push(`${k}: ${v}`);
  }
  const body = r.body ?? new Uint8Array(0);
  if (body.length > 0 || !['GET', 'HEAD', 'OPTIONS', 'DELETE'].includes(r.method)) lines.push(`Content-Length: ${body.length}`);
  const head = enc.encode(`${lines.join('\r\n')}\r\n\r\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Where the header ends and the body starts: a blank line, CRLF or (as CGI scripts write it) a bare LF. */
function headerEnd(b: Uint8Array): { head: number; body: number } | undefined {
  for (let i = 0; i + 1 < b.length; i++) {
    if (b[i] !== 10) continue;
    if (b[i + 1] === 10) return { head: i, body: i + 2 };
    if (b[i + 1] === 13 && b[i + 2] === 10) return { head: i, body: i + 3 };
  }
  return undefined;
}

/** Decodes a chunked body; undefined while it is incomplete. */
function dechunk(b: Uint8Array): Uint8Array | undefined {
  const parts: Uint8Array[] = [];
  let o = 0;
  for (;;) {
    let e = o;
    while (e + 1 < b.length && !(b[e] === 13 && b[e + 1] === 10)) e++;
    if (e + 1 >= b.length) return undefined;
    const size = parseInt(dec.decode(b.subarray(o, e)).split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size)) throw new Error('bad chunk size');
    o = e + 2;
    if (size === 0) return concat(parts);
    if (o + size + 2 > b.length) return undefined;
    parts.push(b.subarray(o, o + size));
    o += size + 2;
  }
}

/**
 * Reads a response from the bytes of a connection: push() what arrives,
 * then end() at its close. `done` once the body is complete (by its length
 * or chunked framing) or the connection ended.
 */
export class ResponseReader {
  private chunks: Uint8Array[] = [];
  private settled = false;
  readonly done: Promise<HttpResponse>;
  private resolve!: (r: HttpResponse) => void;
  private reject!: (e: Error) => void;

  constructor(private readonly head = false) {
    this.done = new Promise((res, rej) => ((this.resolve = res), (this.reject = rej)));
  }

  push(b: Uint8Array): void {
    if (this.settled) return;
    this.chunks.push(b.slice());
    this.tryParse(false);
  }

  end(): void {
    this.tryParse(true);
    if (!this.settled) this.fail(new Error('the container closed the connection before a complete response'));
  }

  fail(e: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(e);
  }

  private tryParse(ended: boolean): void {
    if (this.settled) return;
    const all = concat(this.chunks);
    this.chunks = [all];
    const end = headerEnd(all);
    if (!end) return;
    const [statusLine, ...headerLines] = dec.decode(all.subarray(0, end.head)).replace(/\r$/, '').split(/\r?\n/);
    const m = /^HTTP\/\d\.\d (\d{3})(?: (.*))?$/.exec(statusLine ?? '');
    if (!m) return this.fail(new Error(`not an HTTP response: ${JSON.stringify((statusLine ?? '').slice(0, 80))}`));
    const headers = headerLines.flatMap((l): Array<[string, string]> => {
      const c = l.indexOf(':');
      return c > 0 ? [[l.slice(0, c).trim(), l.slice(c + 1).trim()]] : [];
    });
    const get = (k: string) => headers.find(([n]) => n.toLowerCase() === k)?.[1];
    const status = Number(m[1]);
    const rest = all.subarray(end.body);
    let body: Uint8Array | undefined;
    if (this.head || status === 204 || status === 304 || (status >= 100 && status < 200)) body = new Uint8Array(0);
    else if (/chunked/i.test(get('transfer-encoding') ?? '')) body = dechunk(rest);
    else if (get('content-length') !== undefined) {
      const n = Number(get('content-length'));
      if (rest.length >= n) body = rest.subarray(0, n);
    } else if (ended) body = rest;
    if (body === undefined) return;
    this.settled = true;
    this.resolve({ status, statusText: m[2] ?? '', headers: headers.filter(([k]) => !HOP.has(k.toLowerCase())), body: body.slice() });
  }
}

/**
 * Reads one request from the bytes of a connection (a container's, relayed
 * to fetch in a page): undefined until the head and the body (by its
 * Content-Length or chunked framing) are complete; throws on bytes that are
 * not an HTTP/1 request.
 */
export function parseRequest(b: Uint8Array): HttpRequest | undefined {
  const requestLine = /^([A-Z]+) (\S+) HTTP\/1\.[01]\r?$/;
  const end = headerEnd(b);
  if (!end) {
    // another protocol is told apart by its first byte or first line, not left waiting
    const nl = b.indexOf(10);
    const first = dec.decode(b.subarray(0, nl < 0 ? Math.min(b.length, 1) : nl));
    if ((b.length > 0 && !/^[A-Z]/.test(first)) || (nl >= 0 && !requestLine.test(first))) throw new Error('not an HTTP request');
    return undefined;
  }
  const [line, ...headerLines] = dec.decode(b.subarray(0, end.head)).replace(/\r$/, '').split(/\r?\n/);
  const m = requestLine.exec(line ?? '');
  if (!m) throw new Error(`not an HTTP request: ${JSON.stringify((line ?? '').slice(0, 80))}`);
  const headers = headerLines.flatMap((l): Array<[string, string]> => {
    const c = l.indexOf(':');
    return c > 0 ? [[l.slice(0, c).trim(), l.slice(c + 1).trim()]] : [];
  });
  const get = (k: string) => headers.find(([n]) => n.toLowerCase() === k)?.[1];
  const rest = b.subarray(end.body);
  let body: Uint8Array | undefined = new Uint8Array(0);
  if (/chunked/i.test(get('transfer-encoding') ?? '')) body = dechunk(rest);
  else if (get('content-length') !== undefined) {
    const n = Number(get('content-length'));
    body = rest.length >= n ? rest.subarray(0, n) : undefined;
  }
  if (body === undefined) return undefined;
  return { method: m[1]!, target: m[2]!, headers: headers.filter(([k]) => !HOP.has(k.toLowerCase())), body: body.slice() };
}

/** A response's bytes: the body framed by Content-Length, `Connection: close`. */
export function encodeResponse(r: HttpResponse): Uint8Array {
  const lines = [`HTTP/1.1 ${r.status} ${r.statusText.replace(/[\r\n]/g, ' ')}`, 'Connection: close', `Content-Length: ${r.body.length}`];
  for (const [k, v] of r.headers) {
    if (HOP.has(k.toLowerCase()) || k.toLowerCase() === 'content-encoding' || /[\r\n]/.test(k + v)) continue;
    lines.push(`${k}: ${v}`);
  }
  return concat([enc.encode(`${lines.join('\r\n')}\r\n\r\n`), r.body]);
}
