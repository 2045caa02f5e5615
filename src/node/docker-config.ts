// The CLI's registry settings: logins in docker's config.json format in
// $DOCKYARD_HOME (docker's own ~/.docker/config.json, or $DOCKER_CONFIG's, is
// read too, never written), and plain-HTTP registries from $DOCKYARD_HOME's
// daemon.json `insecure-registries` or $DOCKYARD_INSECURE_REGISTRIES.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fromConfig, withLogin, type CredentialStore, type DockerConfig } from '../runtime/credentials.js';

async function readJson(path: string): Promise<DockerConfig | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as DockerConfig;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/** Docker's own config file, if the user has one. */
export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

export function fileCredentials(home: string, env: NodeJS.ProcessEnv = process.env): CredentialStore {
  const path = join(home, 'config.json');
  const write = async (cfg: DockerConfig) => {
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(cfg, null, '\t')}\n`, { mode: 0o600 });
    await rename(tmp, path);
  };
  return {
    where: path,
    async get(domain) {
      const own = await readJson(path);
      const mine = own && fromConfig(own, domain);
      if (mine) return mine;
      const docker = await readJson(dockerConfigPath(env)).catch(() => undefined);
      return docker && fromConfig(docker, domain);
    },
    async set(domain, c) {
      await write(withLogin((await readJson(path)) ?? {}, domain, c));
    },
    async remove(domain) {
      const cfg = (await readJson(path)) ?? {};
      if (!fromConfig(cfg, domain)) return false;
      await write(withLogin(cfg, domain, undefined));
      return true;
    },
  };
}

/** Registries the user allows over plain HTTP (besides localhost and 127.0.0.0/8). */
export async function insecureRegistries(home: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const fromEnv = (env.DOCKYARD_INSECURE_REGISTRIES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const daemon = (await readJson(join(home, 'daemon.json')).catch(() => undefined)) as { 'insecure-registries'?: unknown } | undefined;
  const listed = Array.isArray(daemon?.['insecure-registries']) ? daemon['insecure-registries'].filter((s): s is string => typeof s === 'string') : [];
  return [...fromEnv, ...listed];
}
