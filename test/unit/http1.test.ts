// HTTP/1.1 over a published port's relay (src/common/http1.ts): requests as
// the page writes them, responses framed every way a server frames them.
import { describe, expect, it } from 'vitest';
import { encodeRequest, encodeResponse, parseRequest, ResponseReader } from '../../src/common/http1.js';

const enc = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('encodeRequest', () => {
  it('writes the request line, Host, Connection: close and the body length; drops hop-by-hop headers', () => {
    const r = encodeRequest({ method: 'POST', target: '/cgi-bin/echo?x=1', headers: [['Content-Type', 'a/b'], ['Connection', 'keep-alive'], ['Accept-Encoding', 'gzip']], body: enc('q=hi') }, 'localhost:8080');
    expect(text(r)).toBe('POST /cgi-bin/echo?x=1 HTTP/1.1\r\nHost: localhost:8080\r\nConnection: close\r\nContent-Type: a/b\r\nContent-Length: 4\r\n\r\nq=hi');
  });

  it('refuses a request line that could smuggle another, and header values with line breaks are left out', () => {
    expect(() => encodeRequest({ method: 'GET', target: '/ HTTP/1.1\r\nX: y', headers: [] }, 'h')).toThrow(/bad request line/);
    expect(text(encodeRequest({ method: 'GET', target: '/', headers: [['X', 'a\r\nY: b']] }, 'h'))).toBe('GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
  });
});

describe('ResponseReader', () => {
  it('reads a Content-Length body split across chunks, before the connection ends', async () => {
    const r = new ResponseReader();
    r.push(enc('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Len'));
    r.push(enc('gth: 5\r\n\r\nhel'));
    r.push(enc('lo'));
    const res = await r.done;
    expect(res.status).toBe(200);
    expect(res.statusText).toBe('OK');
    expect(res.headers).toEqual([['Content-Type', 'text/plain']]);
    expect(text(res.body)).toBe('hello');
  });

  it('decodes a chunked body', async () => {
    const r = new ResponseReader();
    r.push(enc('HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n'));
    const res = await r.done;
    expect(res.status).toBe(201);
    expect(text(res.body)).toBe('abcde');
    expect(res.headers).toEqual([]);
  });

  it('takes the body to the end of the connection without a length (HTTP/1.0, busybox httpd CGI)', async () => {
    const r = new ResponseReader();
    r.push(enc('HTTP/1.0 200 OK\r\n\r\nposted:\nq=hi'));
    r.end();
    expect(text((await r.done).body)).toBe('posted:\nq=hi');
  });

  it('takes header lines ended by a bare LF, as a CGI script writes them through busybox httpd', async () => {
    const r = new ResponseReader();
    r.push(enc('HTTP/1.0 200 OK\r\nContent-Type: text/plain\n\nposted:\n'));
    r.end();
    const res = await r.done;
    expect(res.headers).toEqual([['Content-Type', 'text/plain']]);
    expect(text(res.body)).toBe('posted:\n');
  });

  it('has no body for HEAD, 204 and 304', async () => {
    const head = new ResponseReader(true);
    head.push(enc('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'));
    expect((await head.done).body.length).toBe(0);
    const none = new ResponseReader();
    none.push(enc('HTTP/1.1 304 Not Modified\r\n\r\n'));
    expect((await none.done).status).toBe(304);
  });

  it('fails on a cut response and on something that is not HTTP', async () => {
    const cut = new ResponseReader();
    cut.push(enc('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    cut.end();
    await expect(cut.done).rejects.toThrow(/before a complete response/);
    const junk = new ResponseReader();
    junk.push(enc('SSH-2.0-OpenSSH\r\n\r\n'));
    await expect(junk.done).rejects.toThrow(/not an HTTP response/);
  });
});

describe('parseRequest / encodeResponse (a container’s request relayed through fetch)', () => {
  it('waits for the head and a Content-Length or chunked body; drops hop-by-hop headers', () => {
    expect(parseRequest(enc('POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nq='))).toBeUndefined();
    expect(parseRequest(enc('POST /a HTTP/1.1\r\nHost: h\r\nX-A: 1\r\nContent-Length: 4\r\n\r\nq=hi'))).toEqual({ method: 'POST', target: '/a', headers: [['X-A', '1']], body: enc('q=hi') });
    expect(parseRequest(enc('PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n'))?.body).toEqual(enc('ok'));
    expect(parseRequest(enc('GET / HTTP/1.0\r\n\r\n'))?.body).toEqual(new Uint8Array(0));
  });

  it('tells another protocol apart at its first line', () => {
    expect(parseRequest(enc('GET / HT'))).toBeUndefined();
    expect(() => parseRequest(enc('SSH-2.0-x\r\n'))).toThrow(/not an HTTP request/);
    expect(() => parseRequest(new Uint8Array([0x16, 3, 1]))).toThrow(/not an HTTP request/);
  });

  it('frames the answer by Content-Length, Connection: close', () => {
    const r = encodeResponse({ status: 404, statusText: 'Not Found', headers: [['Content-Type', 'text/plain'], ['Content-Encoding', 'gzip'], ['Transfer-Encoding', 'chunked']], body: enc('no') });
    expect(text(r)).toBe('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nno');
  });
});
