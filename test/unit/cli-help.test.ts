// Help is generated from the same command table the interpreter parses with:
// every command and every spelling has it, every flag the parser takes is in
// it, and every error's "See 'docker X --help'" leads to help that exists.
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { flagUsages, GROUPS } from '../../src/cli/help.js';
import { parseFlags } from '../../src/cli/flags.js';
import { plan, report, USAGE } from '../../src/cli/interpreter.js';
import type { Ctx } from '../../src/cli/context.js';
import { DockerError } from '../../src/runtime/errors.js';

const words = (name: string) => name.split(' ');
const said = (argv: string[]) => {
  const p = plan(argv);
  if (p.kind !== 'done') throw new Error(`${argv.join(' ')}: expected an answer without the VM`);
  return p;
};

describe('the command table', () => {
  it('has each spelling once', () => {
    const names = COMMANDS.flatMap((d) => d.names);
    expect(new Set(names).size).toBe(names.length);
  });

  it('lists a management form and the short form where docker has both', () => {
    const spelled = new Set(COMMANDS.flatMap((d) => d.names));
    for (const [short, long] of [['ps', 'container ls'], ['run', 'container run'], ['images', 'image ls'], ['rmi', 'image rm'], ['pull', 'image pull'], ['history', 'image history'], ['rm', 'container rm'], ['exec', 'container exec'], ['info', 'system info']]) {
      expect(spelled.has(short!), short).toBe(true);
      expect(spelled.has(long!), long).toBe(true);
      expect(COMMANDS.find((d) => d.names.includes(short!))).toBe(COMMANDS.find((d) => d.names.includes(long!)));
    }
  });
});

describe('--help', () => {
  for (const def of COMMANDS) {
    for (const name of def.names) {
      it(`docker ${name} --help`, () => {
        const p = said([...words(name), '--help']);
        expect(p.status).toBe(0);
        const text = p.out!;
        expect(text.startsWith(`\nUsage:  docker ${name}${def.usage ? ` ${def.usage}` : ''}\n\n${def.description}\n`)).toBe(true);
        if (def.names.length > 1) expect(text).toContain(`\nAliases:\n  ${def.names.map((n) => `docker ${n}`).join(', ')}\n`);
        // every flag the parser accepts, long and short, on its own Options line with its description
        const options = text.split('\nOptions:\n')[1] ?? '';
        for (const f of def.flags) {
          const line = options.split('\n').find((l) => new RegExp(`^  ${f.short ? `-${f.short}, ` : '    '}--${f.long}\\b`).test(l));
          expect(line, `--${f.long}`).toBeDefined();
          expect(line).toContain(f.description);
          expect(parseFlags([`--${f.long}${f.kind === 'bool' ? '' : '=x'}`], def.flags).flags.has(f.long)).toBe(true);
        }
        expect(options.split('\n').filter((l) => l.startsWith('  ')).length).toBe(def.flags.length);
        // the same text from `docker help NAME`, and from -h where -h is not a flag of the command
        expect(said(['help', ...words(name)]).out).toBe(text);
        if (!def.flags.some((f) => f.short === 'h')) expect(said([...words(name), '-h']).out).toBe(text);
      });
    }
  }

  it('aligns options the way docker (pflag) does', () => {
    const ps = COMMANDS.find((d) => d.names.includes('ps'))!;
    expect(said(['ps', '--help']).out).toBe(
      `
Usage:  docker ps [OPTIONS]

List containers

Aliases:
  docker container ls, docker container list, docker container ps, docker ps

Options:
  -a, --all        Show all containers (default shows just running)
      --no-trunc   Don't truncate output
  -q, --quiet      Only display container IDs
`,
    );
    expect(ps.flags.length).toBe(3);
    expect(flagUsages([{ long: 'tail', short: 'n', kind: 'string', description: 'Lines', default: 'all' }, { long: 'x', kind: 'string', type: 'int', description: 'X', default: '3' }])).toBe(
      '  -n, --tail string   Lines (default "all")\n      --x int         X (default 3)\n',
    );
  });

  it('leaves --help after the image to the container, and -h to --hostname', () => {
    expect(plan(['run', 'busybox', 'ls', '--help'])).toMatchObject({ kind: 'run', parsed: { args: ['busybox', 'ls', '--help'] } });
    expect(plan(['run', '-h', 'box', 'busybox'])).toMatchObject({ kind: 'run', parsed: { args: ['busybox'] } });
    expect(plan(['exec', 'web', 'sh', '-h'])).toMatchObject({ kind: 'run', parsed: { args: ['web', 'sh', '-h'] } });
  });

  it('docker --help lists every top-level command and every management command', () => {
    for (const h of [said(['--help']).out!, said(['help']).out!, said([]).out!]) {
      expect(h).toBe(USAGE);
      for (const def of COMMANDS) {
        const top = def.names.find((n) => !n.includes(' '));
        if (top) expect(h).toMatch(new RegExp(`\\n  ${top} +${def.description.replace(/[()[\]]/g, '\\$&')}\\n`));
        const group = def.names.find((n) => n.includes(' '))?.split(' ')[0];
        if (group) expect(h).toContain(`\n  ${group.padEnd(12)}${GROUPS[group]}\n`);
      }
    }
  });

  it('a management command lists its subcommands; an unknown one is refused in docker words', () => {
    const image = said(['image']).out!;
    expect(image).toBe(said(['image', '--help']).out);
    expect(image).toMatch(/^\nUsage: {2}docker image COMMAND\n\nManage images\n\nCommands:\n/);
    for (const def of COMMANDS) {
      const n = def.names.find((x) => x.startsWith('image '));
      if (n) expect(image).toContain(`\n  ${n.slice(6).padEnd(12)}${def.description}\n`);
    }
    expect(image).not.toContain('  list ');
    expect(said(['image', 'frob'])).toEqual({ kind: 'done', status: 1, err: "docker: unknown command: docker image frob\n\nUsage:  docker image COMMAND\n\nRun 'docker image --help' for more information\n" });
    expect(said(['help', 'nosuch']).out).toMatch(/^Unknown help topic \[`nosuch`\]\n\nUsage:/);
  });
});

describe('errors point at help that exists', () => {
  for (const def of COMMANDS) {
    const name = def.names[0]!;
    it(name, () => {
      const bad = said([...words(name), '--no-such-flag']);
      expect(bad.status).toBe(125);
      expect(bad.err).toBe(`unknown flag: --no-such-flag\nSee 'docker ${name} --help'.\n`);
      expect(said([...words(name), '--help']).status).toBe(0);
    });
  }

  it("ends a run-like command's daemon error with where its help is, as docker run does", () => {
    for (const name of ['run', 'create']) {
      const def = COMMANDS.find((d) => d.names.includes(name))!;
      let err = '';
      const ctx = { io: { out: () => {}, err: (s: string | Uint8Array) => (err += String(s)) } } as unknown as Ctx;
      expect(report(ctx, def, name, new DockerError('No such image: nosuch:latest'))).toBe(125);
      expect(err).toBe(`docker: Error response from daemon: No such image: nosuch:latest\n\nRun 'docker ${name} --help' for more information\n`);
    }
  });

  it('counts operands as docker does', () => {
    expect(said(['logs'])).toEqual({
      kind: 'done',
      status: 1,
      err: `"docker logs" requires exactly 1 argument.\nSee 'docker logs --help'.\n\nUsage:  docker logs [OPTIONS] CONTAINER\n\nFetch the logs of a container\n`,
    });
    expect(said(['container', 'ls', 'x']).err).toMatch(/^"docker container ls" accepts no arguments\.\nSee 'docker container ls --help'\.\n\nUsage: {2}docker container ls \[OPTIONS\]\n/);
    expect(said(['images', 'a', 'b']).err).toMatch(/^"docker images" requires at most 1 argument\./);
    expect(said(['tag', 'a']).err).toMatch(/^"docker tag" requires exactly 2 arguments\./);
    expect(said(['run'])).toMatchObject({ status: 125, err: expect.stringMatching(/^docker: "docker run" requires at least 1 argument\.\nSee 'docker run --help'\./) });
    expect(said(['nosuch'])).toEqual({ kind: 'done', status: 1, err: "docker: 'nosuch' is not a docker command.\nSee 'docker --help'\n" });
  });
});
