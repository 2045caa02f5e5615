// Docker's network model in the guest (PROTOCOL.md "Networks"): the default
// bridge, user networks resolving names through the embedded DNS server,
// isolation between networks, --network none/host/container:, the files
// Docker writes, and published ports reached from the host with a real HTTP
// client.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createServer } from 'node:net';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startDockyard } from '../../src/node/cli.js';
import { dockerCli } from './docker-cli.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';

const root = inject('root');
const workerPath = inject('workerPath');

let d: Dockyard;
const docker = dockerCli(() => d);

/** busybox httpd serving `text` as /index.html on port 80, in the foreground. */
const httpd = (text: string) => `sh -c "mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p 80 -h /www"`;

/** The first answer of a server that may not listen yet (`run -d` returns once its process runs). */
async function firstFetch(url: string): Promise<Response> {
  for (let i = 0; ; i++) {
    try {
      return await fetch(url);
    } catch (e) {
      if (i >= 100) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function ok(line: string): Promise<string> {
  const r = await docker(line);
  expect(r.err, line).toBe('');
  expect(r.status, line).toBe(0);
  return r.out;
}

beforeAll(async () => {
  d = await startDockyard(root, workerPath);
  await ok('pull busybox');
}, 120_000);

afterAll(async () => {
  await d?.close();
});

describe('default bridge', () => {
  it('gives a container eth0 from 172.17.0.0/16, a default route and Docker’s files', async () => {
    const out = await ok('run --rm --name b1 --add-host db.local:10.1.2.3 busybox sh -c "ip -4 addr show eth0; ip route; cat /etc/hosts /etc/resolv.conf /etc/hostname"');
    expect(out).toMatch(/inet 172\.17\.0\.\d+\/16/);
    expect(out).toMatch(/default via 172\.17\.0\.1 dev eth0/);
    expect(out).toMatch(/^127\.0\.0\.1\tlocalhost$/m);
    expect(out).toMatch(/^10\.1\.2\.3\tdb\.local$/m);
    expect(out).toMatch(/^172\.17\.0\.\d+\t[0-9a-f]{12}$/m);
    expect(out).toMatch(/^nameserver 127\.0\.0\.11$/m);
  });

  it('--hostname names the container in /etc/hostname and /etc/hosts', async () => {
    const out = await ok('run --rm -h myhost busybox sh -c "hostname; cat /etc/hostname; grep myhost /etc/hosts"');
    expect(out).toMatch(/^myhost\nmyhost\n172\.17\.0\.\d+\tmyhost\n$/);
  });

  it('does not resolve container names (as Docker’s default bridge)', async () => {
    await ok(`run -d --name quiet busybox ${httpd('quiet')}`);
    const r = await docker('run --rm busybox nslookup quiet');
    expect(r.status).not.toBe(0);
    // but the address is reachable
    const ip = (await ok('inspect -f {{.NetworkSettings.IPAddress}} quiet')).trim();
    expect(ip).toMatch(/^172\.17\.0\.\d+$/);
    expect(await ok(`run --rm busybox wget -qO- http://${ip}/`)).toBe('quiet\n');
    await ok('rm -f quiet');
  });
});

describe('user-defined networks', () => {
  it('containers find each other by name and alias; networks are isolated', async () => {
    const id = (await ok('network create appnet')).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    await ok('network create othernet');
    expect(await ok('network ls')).toMatch(/^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE\n(?:.*\n)*[0-9a-f]{12}\s+appnet\s+bridge\s+local\n/m);
    await ok(`run -d --name web --network appnet --network-alias www busybox ${httpd('hello-from-web')}`);
    expect(await ok('run --rm --network appnet busybox wget -qO- http://web/')).toBe('hello-from-web\n');
    expect(await ok('run --rm --network appnet busybox wget -qO- http://www/')).toBe('hello-from-web\n');
    // Docker's files are world-readable: a non-root user resolves names too
    expect(await ok('run --rm --network appnet -u nobody busybox sh -c "ls -l /etc/hosts /etc/resolv.conf | cut -c1-10; wget -qO- http://web/"')).toBe('-rw-r--r--\n-rw-r--r--\nhello-from-web\n');
    const inspect = JSON.parse(await ok('network inspect appnet')) as Array<{ Containers: Record<string, { Name: string; IPv4Address: string }>; IPAM: { Config: Array<{ Subnet: string }> } }>;
    expect(inspect[0]!.IPAM.Config[0]!.Subnet).toBe('172.18.0.0/16');
    expect(Object.values(inspect[0]!.Containers).map((c) => c.Name)).toEqual(['web']);
    expect(Object.values(inspect[0]!.Containers)[0]!.IPv4Address).toMatch(/^172\.18\.0\.\d+\/16$/);
    // another network: the name does not resolve, and the address is not routed
    const other = await docker('run --rm --network othernet busybox nslookup web');
    expect(other.status).not.toBe(0);
    const webIp = (await ok('inspect -f {{.NetworkSettings.Networks.appnet.IPAddress}} web')).trim();
    expect(webIp).toMatch(/^172\.18\.0\.\d+$/);
    // refused by the VM at once (no timeout needed: busybox's `wget -T` segfaults on this guest)
    const isolated = await docker(`run --rm --network othernet busybox wget -qO- http://${webIp}/`);
    expect(isolated.status).not.toBe(0);
    expect(isolated.out + isolated.err).toMatch(new RegExp(`can't connect to remote host \\(${webIp.replace(/\./g, '\\.')}\\): (No route to host|Network is unreachable)`));
    // connect joins it to othernet: now it resolves there too
    await ok('network connect othernet web');
    expect(await ok('run --rm --network othernet busybox wget -qO- http://web/')).toBe('hello-from-web\n');
    const rm = await docker('network rm appnet');
    expect(rm.err).toMatch(/^Error response from daemon: error while removing network: network appnet id [0-9a-f]{64} has active endpoints\n$/);
    await ok('rm -f web');
    expect(await ok('network rm appnet othernet')).toBe('appnet\nothernet\n');
    expect((await docker('network rm appnet')).err).toBe('Error response from daemon: network appnet not found\n');
  }, 120_000);

  it('two containers with the same alias: the name gives both addresses, then the one left', async () => {
    await ok('network create aliasnet');
    await ok(`run -d --name a1 --network aliasnet --network-alias db busybox ${httpd('one')}`);
    await ok(`run -d --name a2 --network aliasnet --network-alias db busybox ${httpd('two')}`);
    const ips = await Promise.all(['a1', 'a2'].map(async (n) => (await ok(`inspect -f {{.NetworkSettings.Networks.aliasnet.IPAddress}} ${n}`)).trim()));
    const both = await ok('run --rm --network aliasnet busybox nslookup db');
    for (const ip of ips) expect(both).toContain(`Address: ${ip}`);
    await ok('rm -f a1');
    const left = await ok('run --rm --network aliasnet busybox sh -c "nslookup db; wget -qO- http://db/"');
    expect(left).toContain(`Address: ${ips[1]}`);
    expect(left).not.toContain(`Address: ${ips[0]}\n`);
    expect(left).toMatch(/two\n$/);
    await ok('rm -f a2');
    await ok('network rm aliasnet');
  }, 120_000);

  it('refuses an unknown network, and aliases on the default bridge', async () => {
    const r = await docker('run --rm --network nosuch busybox true');
    expect(r.status).toBe(125);
    expect(r.err).toMatch(/network nosuch not found/);
    await ok('run -d --name nx busybox sleep 1000');
    for (const line of ['network connect nosuch nx', 'network inspect nosuch', 'network disconnect nosuch nx']) {
      const u = await docker(line);
      expect(u.status, line).not.toBe(0);
      expect(u.err, line).toMatch(/network nosuch not found/);
    }
    await ok('rm -f nx');
    const a = await docker('run --rm --network-alias x busybox true');
    expect(a.err).toMatch(/network-scoped alias is supported only for containers in user defined networks/);
  });
});

describe('network modes', () => {
  it('none has only lo; host is the VM’s; container: shares another’s', async () => {
    expect(await ok('run --rm --network none busybox ls /sys/class/net')).toBe('lo\n');
    expect(await ok('run --rm --network host busybox ls /sys/class/net')).toMatch(/docker0/);
    await ok(`run -d --name shared busybox ${httpd('shared')}`);
    expect(await ok('run --rm --network container:shared busybox wget -qO- http://127.0.0.1/')).toBe('shared\n');
    await ok('rm -f shared');
  });
});

// A network namespace whose container is gone serves the next container on
// the same network when nothing of the last one can be in it (network.c,
// struct slot). eth0's iflink (its peer's index in the VM) tells a reused
// one from a new one.
describe('reused network namespaces', () => {
  const iflink = 'cat /sys/class/net/eth0/iflink';

  it('the next container finds eth0 fresh: only its own address and routes, no neighbours', async () => {
    const first = await ok(`run --rm busybox sh -c "ping -c1 -W2 172.17.0.1 >/dev/null; ip neigh | grep -c . ; ${iflink}"`);
    const [neighbours, link] = first.trim().split('\n');
    expect(Number(neighbours)).toBeGreaterThan(0);
    const out = await ok(`run --rm busybox sh -c "${iflink}; echo --; ip neigh; echo --; ip -4 -o addr | cut -d' ' -f2,7; echo --; ip route"`);
    const [link2, neigh, addrs, routes] = out.split('--\n');
    expect(link2!.trim()).toBe(link); // the same veth pair: this test sees reuse
    expect(neigh!.trim()).toBe('');
    expect(addrs!.trim().split('\n').sort()).toEqual([expect.stringMatching(/^eth0 172\.17\.0\.\d+\/16$/), 'lo 127.0.0.1/8']);
    expect(routes!.trim().split('\n').map((l) => l.trim()).sort()).toEqual([expect.stringMatching(/^172\.17\.0\.0\/16 dev eth0 scope link\s+src 172\.17\.0\.\d+$/), 'default via 172.17.0.1 dev eth0']);
  });

  it('is not reused while it holds a socket, nor while another container shares it', async () => {
    // a served request leaves the server's end in TIME_WAIT
    await ok(`run -d --name tw -p 127.0.0.1:18083:80 busybox ${httpd('tw')}`);
    expect(await (await firstFetch('http://127.0.0.1:18083/')).text()).toBe('tw\n');
    const twLink = (await ok(`exec tw ${iflink}`)).trim();
    await ok('rm -f tw');
    const out = await ok(`run --rm busybox sh -c "${iflink}; tail -n +2 /proc/net/tcp | grep -c . || true"`);
    expect(out.split('\n')[0]).not.toBe(twLink);
    expect(out.split('\n')[1]).toBe('0');
    // --network container: holds it past its owner, as in Docker without
    // the owner's eth0: the owner's address is free again, and the next
    // container may get it, so the guest must not keep it
    await ok('run -d --name owner busybox sleep 600');
    await ok('run -d --name guest --network container:owner busybox sleep 600');
    const ownerLink = (await ok(`exec owner ${iflink}`)).trim();
    const ownerIp = (await ok('inspect -f {{.NetworkSettings.IPAddress}} owner')).trim();
    expect((await ok('exec guest ip -4 -o addr')).split('\n')).toContainEqual(expect.stringContaining(`inet ${ownerIp}/16`));
    await ok('rm -f owner');
    expect((await ok('exec guest ls /sys/class/net')).trim()).toBe('lo');
    expect((await ok('exec guest ip -4 -o addr')).trim()).toMatch(/^1: lo\s+inet 127\.0\.0\.1\/8/);
    const next = await ok(`run --rm busybox sh -c "${iflink}; ip -4 -o addr show eth0"`);
    expect(next.split('\n')[0]).not.toBe(ownerLink);
    expect(next).toContain(`inet ${ownerIp}/16`); // the freed address, in use once only
    await ok('rm -f guest');
  }, 120_000);
});

describe('published ports', () => {
  it('a host HTTP client reaches busybox httpd through -p; ps and port show it', async () => {
    await ok(`run -d --name pub -p 127.0.0.1:18080:80 busybox ${httpd('published')}`);
    expect(await ok('port pub')).toBe('80/tcp -> 127.0.0.1:18080\n');
    expect(await ok('ps')).toMatch(/127\.0\.0\.1:18080->80\/tcp\s+pub\n/);
    await firstFetch('http://127.0.0.1:18080/');
    for (let i = 0; i < 5; i++) {
      const res = await fetch('http://127.0.0.1:18080/');
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('published\n');
    }
    // a connection flood: bounded, every request still answered or refused, the VM keeps serving
    const flood = await Promise.allSettled(Array.from({ length: 60 }, () => fetch('http://127.0.0.1:18080/').then((r) => r.text())));
    expect(flood.filter((f) => f.status === 'fulfilled' && f.value === 'published\n').length).toBeGreaterThan(20);
    expect(await (await fetch('http://127.0.0.1:18080/')).text()).toBe('published\n');
    // a port in use
    const r = await docker(`run -d --name pub2 -p 127.0.0.1:18080:80 busybox ${httpd('x')}`);
    expect(r.status).toBe(125);
    expect(r.err).toMatch(/Bind for 127\.0\.0\.1:18080 failed: port is already allocated/);
    await ok('rm -f pub pub2');
    await expect(fetch('http://127.0.0.1:18080/')).rejects.toThrow();
  }, 120_000);

  it('a port another program holds gives docker’s error; out of range is refused', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(18081, '127.0.0.1', r));
    const r = await docker('run -d --name held -p 127.0.0.1:18081:80 busybox true');
    s.close();
    expect(r.err).toMatch(/Error starting userland proxy: listen tcp4 127\.0\.0\.1:18081: bind: address already in use/);
    await ok('rm -f held');
    const bad = await docker('run --rm -p 70000:80 busybox true');
    expect(bad.status).toBe(125);
    expect(bad.err).toMatch(/^docker: Invalid hostPort: 70000\./);
    const badContainer = await docker('run --rm -p 8080:65536 busybox true');
    expect(badContainer.status).toBe(125);
    expect(badContainer.err).toMatch(/^docker: Invalid containerPort: 65536\./);
  });

  it('a container that accepts and never answers does not stall the VM', async () => {
    await ok('run -d --name mute -p 127.0.0.1:18082:80 busybox nc -lk -p 80 -e sleep 1000');
    const hung = fetch('http://127.0.0.1:18082/', { signal: AbortSignal.timeout(1500) }).catch((e: Error) => e);
    expect(await ok('run --rm busybox echo still-serving')).toBe('still-serving\n');
    expect(await hung).toBeInstanceOf(Error);
    await ok('rm -f mute');
  });
});

describe('the host from a container', () => {
  let server: Server;
  let port: number;
  let closedPort: number;

  beforeAll(async () => {
    server = createHttpServer((req, res) => {
      res.setHeader('Content-Type', 'text/plain');
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => res.end(`host says hi to ${req.method} ${req.url}${body ? ` with ${body}` : ''}\n`));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    // a port nothing listens on: take one and let it go
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
  });

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
  });

  it('host.docker.internal reaches a server on the host’s 127.0.0.1, from the default bridge and a user network', async () => {
    expect(await ok(`run --rm busybox wget -qO- http://host.docker.internal:${port}/hello`)).toBe('host says hi to GET /hello\n');
    expect(await ok(`run --rm busybox nslookup host.docker.internal`)).toMatch(/Address: 192\.168\.65\.254/);
    await ok('network create outnet');
    expect(await ok(`run --rm --network outnet busybox wget -qO- --post-data a=1 http://host.docker.internal:${port}/form`)).toBe('host says hi to POST /form with a=1\n');
    await ok('network rm outnet');
    // Docker Engine's way to name the host
    expect(await ok(`run --rm --add-host myhost:host-gateway busybox sh -c "grep myhost /etc/hosts; wget -qO- http://myhost:${port}/gw"`)).toBe(`192.168.65.254\tmyhost\nhost says hi to GET /gw\n`);
  }, 120_000);

  it('names the daemon does not know are resolved by the host', async () => {
    // busybox nslookup asks DNS only (never /etc/hosts): the daemon passes "localhost" on to this process's resolver
    expect(await ok('run --rm busybox nslookup localhost')).toMatch(/Name:\s+localhost\nAddress: 127\.0\.0\.1/);
    const unknown = await docker('run --rm busybox nslookup no-such-host.invalid');
    expect(unknown.status).not.toBe(0);
    expect(unknown.out + unknown.err).toMatch(/NXDOMAIN|can't find/);
  }, 120_000);

  it('a closed host port is refused at once, not a hang', async () => {
    const r = await docker(`run --rm busybox wget -qO- http://host.docker.internal:${closedPort}/`);
    expect(r.status).not.toBe(0);
    expect(r.out + r.err).toMatch(/can't connect to remote host \(192\.168\.65\.254\): Connection refused/);
    // and the VM keeps serving
    expect(await ok(`run --rm busybox wget -qO- http://host.docker.internal:${port}/again`)).toBe('host says hi to GET /again\n');
  }, 120_000);

  it('a large answer arrives whole', async () => {
    const big = createHttpServer((_req, res) => res.end('x'.repeat(1 << 20)));
    await new Promise<void>((r) => big.listen(0, '127.0.0.1', r));
    try {
      const out = await ok(`run --rm busybox sh -c "wget -qO- http://host.docker.internal:${(big.address() as AddressInfo).port}/ | wc -c"`);
      expect(out.trim()).toBe(String(1 << 20));
    } finally {
      await new Promise((r) => big.close(r));
    }
  }, 120_000);
});
