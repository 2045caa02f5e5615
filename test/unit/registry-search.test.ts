// docker search: Docker Hub's /v1/search as a small node:http stand-in
// serves it (its JSON shape, docker's columns and truncation), and the
// bundled catalogue when the index cannot be reached.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ctx } from '../../src/cli/context.js';
import { execute } from '../../src/cli/interpreter.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';
import { Registries } from '../../src/runtime/registries.js';
import { freePort } from '../fixtures/registry.js';

let server: Server;
let index = '';
const queries: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    queries.push(req.url ?? '');
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        num_results: 2,
        query: 'busybox',
        results: [
          { name: 'busybox', description: 'Busybox base image.', star_count: 3300, is_official: true, is_automated: false },
          { name: 'someone/busybox-tools', description: 'A very long description that docker cuts at forty-five characters', star_count: 4, is_official: false, is_automated: false },
        ],
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  index = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

async function search(indexUrl: string, args: string[]) {
  let out = '';
  let err = '';
  const d = { registries: new Registries(undefined, { indexUrl }), registry: { runnable: ['busybox', 'hello-world'] }, stoppedReason: undefined } as unknown as Dockyard;
  const ctx: Ctx = { d, io: { out: (s) => (out += String(s)), err: (s) => (err += String(s)) } };
  const status = await execute(ctx, ['search', ...args]);
  return { status, out, err };
}

describe('docker search', () => {
  it("prints Docker Hub's results in docker's columns, descriptions cut at 45 characters", async () => {
    const r = await search(index, ['busybox']);
    expect(r).toEqual({
      status: 0,
      err: '',
      out:
        'NAME                    DESCRIPTION                                     STARS   OFFICIAL\n' +
        'busybox                 Busybox base image.                             3300    [OK]\n' +
        'someone/busybox-tools   A very long description that docker cuts at …   4\n',
    });
    expect(queries.at(-1)).toBe('/v1/search?q=busybox&n=25');
  });

  it('filters and limits as docker does, --no-trunc keeps the whole description', async () => {
    expect((await search(index, ['--filter', 'is-official=true', 'busybox'])).out.split('\n').slice(1, -1).map((l) => l.split(/\s+/)[0])).toEqual(['busybox']);
    expect((await search(index, ['-f', 'stars=10', 'busybox'])).out).not.toContain('someone/');
    expect((await search(index, ['--no-trunc', 'busybox'])).out).toContain('forty-five characters');
    expect(await search(index, ['--limit', '0', 'busybox'])).toMatchObject({ status: 1, err: 'Error response from daemon: limit 0 is outside the range of [1, 100]\n' });
  });

  it('offline: says so, and searches the bundled images', async () => {
    const r = await search(`http://127.0.0.1:${await freePort()}`, ['hello']);
    expect(r.status).toBe(0);
    expect(r.err).toMatch(/^Docker Hub cannot be reached \(Get "http:\/\/127\.0\.0\.1:\d+\/v1\/search\?q=hello&n=25": dial tcp 127\.0\.0\.1:\d+: connect: connection refused\); searching the images bundled with Dockyard\n$/);
    expect(r.out).toMatch(/^NAME\s+DESCRIPTION\s+STARS\s+OFFICIAL\nhello-world\s+Bundled with Dockyard: linux\/386, offline\s+0\s+\[OK\]\n$/);
  });
});
