// The dockyard CLI as users drive it: one command per VM, or a script on stdin.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { dockyardProcess, freshHome } from './dockyard-process.js';

const root = inject('root');

const dockyard = (args: string[], stdin: string | Uint8Array = '', home?: string) => dockyardProcess(root, args, stdin, home);

/** Drives `dockyard` on a real pseudo-terminal (util-linux `script`), like a person at a TTY. */
async function onTty(steps: Array<[waitFor: RegExp, type: string]>): Promise<{ screen: string; code: number | null | undefined }> {
  // a terminal of a known size (script's pty starts at 0x0)
  const p = spawn('script', ['-qfec', `stty cols 100 rows 30; ${process.execPath} ${join(root, 'bin/dockyard.mjs')}`, '/dev/null'], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, COLUMNS: '100', LINES: '30', DOCKYARD_HOME: freshHome() },
  });
  let screen = '';
  p.stdout.on('data', (d: Buffer) => (screen += d));
  let code: number | null | undefined;
  const closed = new Promise<void>((r) => p.on('close', (c) => ((code = c), r())));
  let from = 0;
  try {
    for (const [waitFor, type] of steps) {
      const deadline = Date.now() + 60_000;
      while (!waitFor.test(screen.slice(from)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (!waitFor.test(screen.slice(from))) throw new Error(`never saw ${waitFor} in:\n${screen}`);
      from = screen.length;
      p.stdin.write(type);
    }
    await Promise.race([closed, new Promise((r) => setTimeout(r, 20_000))]);
    return { screen, code };
  } finally {
    p.kill();
  }
}

describe('dockyard CLI', () => {
  it('on a TTY: prompts, attaches run -it to a PTY in the container, and returns to the prompt', async () => {
    const { screen, code } = await onTty([
      [/docker\$ /, 'run -it --rm busybox sh\r'],
      [/\/ # /, 'tty\r'],
      // the terminal's size reached the container's pty (sent while its setup was still running)
      [/\/dev\/pts\/\d+[\s\S]*\/ # /, 'stty size\r'],
      [/stty size\r*\n30 100\r*\n[\s\S]*\/ # /, 'exit\r'],
      [/docker\$ /, 'ps -a -q\r'],
      // Ctrl-C throws a half-typed line away (it once ran it), and exit leaves with a status
      [/docker\$ /, 'run --rm busybox echo half-typed'],
      [/half-typed/, '\x03'],
      [/\^C\r*\n(?:\x1b\[[0-9;]*[A-Za-z])*docker\$ /, 'exit 3\r'],
    ]);
    expect(screen).not.toMatch(/^half-typed/m);
    expect(code).toBe(3);
    expect(screen).toMatch(/\/dev\/pts\/0\r*\n/);
    // --rm: after exit, `ps -a -q` lists nothing before the next prompt
    expect(screen).toMatch(/ps -a -q\r*\n\S*docker\$ /);
    expect(screen).toMatch(/Status: Downloaded newer image for busybox:latest/);
  }, 180_000);

  it('pipes stdin into run -i, with EOF (issue #16: it once delivered nothing)', async () => {
    const home = freshHome();
    const cat = await dockyard(['run', '-i', '--rm', 'busybox', 'cat'], 'hello\n', home);
    expect(cat.stdout).toBe('hello\n');
    expect(cat.code).toBe(0);
    expect((await dockyard(['run', '-i', '--rm', 'busybox', 'wc', '-l'], 'a\nb\n', home)).stdout.trim()).toBe('2');
    // 5 MB: many windows' worth, read as fast as the container takes it
    const big = await dockyard(['run', '-i', '--rm', 'busybox', 'wc', '-c'], new Uint8Array(5_000_000).fill(0x7a), home);
    expect(big.stdout.trim()).toBe('5000000');
    expect(big.code).toBe(0);
    // without -i the container's stdin is /dev/null, and the pipe is left alone
    expect((await dockyard(['run', '--rm', 'busybox', 'wc', '-c'], 'ignored\n', home)).stdout.trim()).toBe('0');
  }, 240_000);

  it('runs one docker command in a fresh VM, pulling on first use', async () => {
    const home = freshHome();
    const r = await dockyard(['run', '--rm', 'busybox', 'echo', 'hi'], '', home);
    expect(r.stdout).toBe('hi\n');
    expect(r.stderr).toContain("Unable to find image 'busybox:latest' locally");
    expect(r.code).toBe(0);
    // it says once where the image stays, and that the container did not
    expect(r.stderr).toContain(`Note: Dockyard keeps pulled images in ${home}, so the next dockyard command finds them, as Docker does.\nEach command runs in a fresh VM, though: its containers end with it.`);
    await dockyard(['rmi', 'busybox'], '', home);
    const again = await dockyard(['run', '--rm', 'busybox', 'echo', 'hi'], '', home);
    expect(again.stderr).toContain("Unable to find image 'busybox:latest' locally");
    expect(again.stderr).not.toContain('Note:');
  }, 120_000);

  it('keeps pulled images between invocations, as Docker does ($DOCKYARD_HOME)', async () => {
    const home = freshHome();
    expect((await dockyard(['pull', 'busybox'], '', home)).stdout).toMatch(/Status: Downloaded newer image for busybox:latest/);
    expect((await dockyard(['images'], '', home)).stdout).toMatch(/^busybox\s+latest\s+[0-9a-f]{12}\s/m);
    const run = await dockyard(['run', '--rm', 'busybox', 'echo', 'no pull'], '', home);
    expect(run.stdout).toBe('no pull\n');
    expect(run.stderr).toBe('');
    expect((await dockyard(['pull', 'busybox'], '', home)).stdout).toMatch(/Status: Image is up to date for busybox:latest/);
    expect((await dockyard(['rmi', 'busybox'], '', home)).stdout).toMatch(/^Untagged: busybox:latest\nDeleted: sha256:/);
    expect((await dockyard(['images', '-q'], '', home)).stdout).toBe('');
  }, 180_000);

  it('passes the container exit status through', async () => {
    const r = await dockyard(['run', '--rm', 'busybox', 'sh', '-c', 'exit 7']);
    expect(r.code).toBe(7);
  }, 120_000);

  it('runs a script from stdin in one VM and stops at the first failing line', async () => {
    const script = [
      '# pull first, then run twice in the same VM',
      'docker pull -q busybox',
      '',
      'run --name keep busybox sh -c "echo first > /f"',
      'ps -a -q',
      'run --rm busybox false',
      'run --rm busybox echo never',
    ].join('\n');
    const r = await dockyard([], script);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('docker.io/library/busybox:latest');
    expect(lines[1]).toMatch(/^[0-9a-f]{12}$/); // the one container from line 4
    expect(r.stdout).not.toContain('never');
    expect(r.code).toBe(1);
  }, 120_000);

  it('keeps going past failures with --keep-going and exits with the last status', async () => {
    const r = await dockyard(['--keep-going'], 'run --rm busybox false\nrun --rm busybox echo after\n');
    expect(r.stdout).toBe('after\n');
    expect(r.code).toBe(0);
  }, 120_000);

  it('reports a bad flag with docker\'s message and status 125', async () => {
    const r = await dockyard(['run', '--bogus', 'busybox']);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe("unknown flag: --bogus\nSee 'docker run --help'.\n");
  }, 120_000);
});
