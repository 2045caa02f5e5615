import { DEFAULT_DOMAIN } from '../../common/oci/reference.js';
import { authsKey, domainOfKey } from '../../runtime/credentials.js';
import { DockerError } from '../../runtime/errors.js';
import type { Ctx, Terminal } from '../context.js';
import type { CommandDef } from '../command.js';
import { bool, str, type Parsed } from '../flags.js';

/** The registry a login/logout argument names (`localhost:5000`, `https://index.docker.io/v1/`, none: Docker Hub). */
function registryOf(arg: string | undefined): string {
  return arg === undefined ? DEFAULT_DOMAIN : domainOfKey(arg);
}

/** One line typed at the terminal; with `echo` false nothing is shown (a password). */
function readLine(ctx: Ctx, term: Terminal, prompt: string, echo: boolean): Promise<string> {
  ctx.io.out(prompt);
  term.setRaw(true);
  return new Promise((resolve, reject) => {
    let line = '';
    const off = term.onData((data) => {
      for (const ch of new TextDecoder().decode(data)) {
        if (ch === '\r' || ch === '\n') {
          off();
          term.setRaw(false);
          ctx.io.out('\r\n');
          return resolve(line);
        }
        if (ch === '\x03') {
          off();
          term.setRaw(false);
          ctx.io.out('\r\n');
          return reject(new DockerError('login canceled', 1));
        }
        if (ch === '\x7f' || ch === '\b') {
          if (line.length > 0) {
            line = line.slice(0, -1);
            if (echo) ctx.io.out('\b \b');
          }
          continue;
        }
        line += ch;
        if (echo) ctx.io.out(ch);
      }
    });
  });
}

async function readStdin(ctx: Ctx): Promise<string> {
  const input = ctx.io.stdin;
  if (!input) throw new DockerError('--password-stdin: no standard input to read the password from', 1);
  const chunks: Uint8Array[] = [];
  for (let c = await input.read(); c !== null; c = await input.read()) chunks.push(c);
  let n = 0;
  for (const c of chunks) n += c.length;
  const all = new Uint8Array(n);
  n = 0;
  for (const c of chunks) {
    all.set(c, n);
    n += c.length;
  }
  return new TextDecoder().decode(all).replace(/\r?\n$/, '');
}

export const login: CommandDef = {
  names: ['login'],
  usage: '[OPTIONS] [SERVER]',
  description: 'Log in to a registry',
  flags: [
    { long: 'password', short: 'p', kind: 'string', description: 'Password' },
    { long: 'password-stdin', kind: 'bool', description: 'Take the password from stdin' },
    { long: 'username', short: 'u', kind: 'string', description: 'Username' },
  ],
  args: { max: 1 },
  operands: ['none'],
  run: logIn,
};

export const logout: CommandDef = {
  names: ['logout'],
  usage: '[SERVER]',
  description: 'Log out from a registry',
  flags: [],
  args: { max: 1 },
  operands: ['none'],
  run: logOut,
};

async function logIn(ctx: Ctx, p: Parsed): Promise<number> {
  const domain = registryOf(p.args[0]);
  let username = str(p, 'username');
  let password = str(p, 'password');
  if (bool(p, 'password-stdin')) {
    if (password !== undefined) throw new DockerError('--password and --password-stdin are mutually exclusive', 1);
    if (username === undefined) throw new DockerError('Must provide --username with --password-stdin', 1);
    password = await readStdin(ctx);
  } else if (password !== undefined) {
    ctx.io.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
  }
  const term = ctx.io.terminal;
  if (username === undefined || password === undefined) {
    if (!term) throw new DockerError('Cannot perform an interactive login from a non TTY device', 1);
    if (domain === DEFAULT_DOMAIN && username === undefined) {
      ctx.io.out("Login with your Docker ID to push and pull images from Docker Hub. If you don't have a Docker ID, head over to https://hub.docker.com to create one.\n");
    }
    username ??= await readLine(ctx, term, 'Username: ', true);
    password ??= await readLine(ctx, term, 'Password: ', false);
  }
  if (username === '') throw new DockerError('Username: Error: Non-null Username Required', 1);
  if (password === '') throw new DockerError('Error: Password Required', 1);
  const creds = { username, password };
  await ctx.d.registries.client.login(domain, creds);
  await ctx.d.registries.credentials.set(domain, creds);
  const where = ctx.d.registries.credentials.where;
  if (where) {
    ctx.io.err(
      `WARNING! Your password will be stored unencrypted in ${where}.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/engine/reference/commandline/login/#credentials-store\n\n`,
    );
  }
  ctx.io.out('Login Succeeded\n');
  return 0;
}

async function logOut(ctx: Ctx, p: Parsed): Promise<number> {
  const domain = registryOf(p.args[0]);
  if (await ctx.d.registries.credentials.remove(domain)) ctx.io.out(`Removing login credentials for ${authsKey(domain)}\n`);
  else ctx.io.out(`Not logged in to ${authsKey(domain)}\n`);
  return 0;
}
