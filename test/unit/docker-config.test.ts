// The CLI's logins: docker's config.json `auths` format in $DOCKYARD_HOME,
// docker's own config read (never written), plain-HTTP registries listed.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileCredentials, insecureRegistries } from '../../src/node/docker-config.js';
import { authsKey, domainOfKey } from '../../src/runtime/credentials.js';

const dir = () => mkdtempSync(join(tmpdir(), 'dockyard-cfg-'));

describe('docker config', () => {
  it("writes docker's auths format (Docker Hub under its historical key), mode 0600, and removes only what logout names", async () => {
    const home = dir();
    const c = fileCredentials(home, { DOCKER_CONFIG: dir() });
    await c.set('docker.io', { username: 'hub', password: 'p:w' });
    await c.set('localhost:5000', { username: 'loc', password: 'x' });
    const cfg = JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    expect(cfg.auths).toEqual({
      'https://index.docker.io/v1/': { auth: Buffer.from('hub:p:w').toString('base64') },
      'localhost:5000': { auth: Buffer.from('loc:x').toString('base64') },
    });
    expect(statSync(join(home, 'config.json')).mode & 0o777).toBe(0o600);
    expect(await c.get('docker.io')).toEqual({ username: 'hub', password: 'p:w' });
    expect(await c.remove('docker.io')).toBe(true);
    expect(await c.get('docker.io')).toBeUndefined();
    expect(await c.get('localhost:5000')).toEqual({ username: 'loc', password: 'x' });
    expect(await c.remove('docker.io')).toBe(false);
  });

  it("reads docker's own ~/.docker/config.json, never writing it, its own logins first", async () => {
    const dockerDir = dir();
    const theirs = JSON.stringify({ auths: { 'https://ghcr.io': { auth: Buffer.from('gh:tok').toString('base64') }, 'reg.lan:5000': { auth: Buffer.from('a:b').toString('base64') } } });
    writeFileSync(join(dockerDir, 'config.json'), theirs);
    const home = dir();
    const c = fileCredentials(home, { DOCKER_CONFIG: dockerDir });
    expect(await c.get('ghcr.io')).toEqual({ username: 'gh', password: 'tok' });
    await c.set('reg.lan:5000', { username: 'mine', password: 'c' });
    expect(await c.get('reg.lan:5000')).toEqual({ username: 'mine', password: 'c' });
    expect(readFileSync(join(dockerDir, 'config.json'), 'utf8')).toBe(theirs);
  });

  it('names registries as docker does', () => {
    expect(authsKey('docker.io')).toBe('https://index.docker.io/v1/');
    expect(domainOfKey('https://index.docker.io/v1/')).toBe('docker.io');
    expect(domainOfKey('registry-1.docker.io')).toBe('docker.io');
    expect(domainOfKey('http://localhost:5000/')).toBe('localhost:5000');
  });

  it('lists plain-HTTP registries from daemon.json and the environment', async () => {
    const home = dir();
    writeFileSync(join(home, 'daemon.json'), JSON.stringify({ 'insecure-registries': ['reg.lan:5000'] }));
    expect(await insecureRegistries(home, { DOCKYARD_INSECURE_REGISTRIES: 'a:1, b:2' })).toEqual(['a:1', 'b:2', 'reg.lan:5000']);
    expect(await insecureRegistries(dir(), {})).toEqual([]);
  });
});
