// The playground's docker prompt against a model terminal and a stand-in
// runtime: prompt, commands, Ctrl-C while a command hangs, completion.
import { describe, expect, it } from 'vitest';
import type { Terminal as XTerm } from '@xterm/xterm';
import { DockerShell } from '../../src/web/docker-shell.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';
import { ModelTerminal } from './model-terminal.js';

class FakeXterm {
  readonly model: ModelTerminal;
  private dataCb: (d: string) => void = () => {};
  constructor(readonly cols = 80, readonly rows = 24) {
    this.model = new ModelTerminal(cols);
  }
  onData(cb: (d: string) => void) {
    this.dataCb = cb;
    return { dispose() {} };
  }
  onResize() {
    return { dispose() {} };
  }
  write(s: string | Uint8Array, cb?: () => void) {
    this.model.write(typeof s === 'string' ? s.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, (m) => (/^\x1b\[\d*[ABGJ]$/.test(m) ? m : '')) : new TextDecoder().decode(s));
    cb?.();
  }
  clear() {}
  get buffer() {
    return { active: { cursorX: this.model.x } };
  }
  type(s: string) {
    this.dataCb(s);
  }
}

const IMAGE = { name: 'docker.io/library/busybox:latest', id: `sha256:${'ab'.repeat(32)}`, created: '', size: 2_000_000 };

function fakeDockyard(): Dockyard {
  const d = {
    images: { list: async () => [IMAGE], find: async () => IMAGE },
    containers: {
      list: async () => [{ name: 'happy_turing', id: 'c0ffee'.padEnd(64, '0'), status: 'running' }],
      logs: () => new Promise(() => {}), // `logs -f` of a container that never stops
    },
  };
  return d as unknown as Dockyard;
}

const settle = () => new Promise((r) => setTimeout(r, 20));

async function started() {
  const t = new FakeXterm();
  const shell = new DockerShell(t as unknown as XTerm, { prompt: 'docker$ ', pullable: ['busybox', 'hello-world'] });
  shell.start(fakeDockyard(), 'hi\n');
  await settle();
  return { t, shell, screen: () => t.model.text() };
}

describe('DockerShell', () => {
  it('prompts, runs a command with or without "docker", and prompts again', async () => {
    const { t, screen } = await started();
    expect(screen()).toBe('hi\ndocker$');
    t.type('images\r');
    await settle();
    expect(screen()).toMatch(/^docker\$ images\nREPOSITORY +TAG +IMAGE ID +CREATED +SIZE\nbusybox +latest +abababababab +N\/A +2MB\ndocker\$$/m);
    t.type('docker nosuch\r');
    await settle();
    expect(screen()).toMatch(/docker: 'nosuch' is not a docker command\.\nSee 'docker --help'\ndocker\$$/);
  });

  it('explains that there is nothing to exit, and discards a half-typed line on Ctrl-C', async () => {
    const { t, screen } = await started();
    t.type('exit\r');
    await settle();
    expect(screen()).toMatch(/docker\$ exit\nNothing to exit: this is the page's docker prompt, not a shell\.\nexit leaves a container's shell \(docker run -it busybox sh\); the VM runs\nuntil you close the tab\.\ndocker\$$/);
    t.type('nosuch half');
    t.type('\x03');
    await settle();
    expect(screen()).not.toMatch(/is not a docker command/);
    expect(screen().split('\n').at(-1)).toBe('docker$');
  });

  it('gives the prompt back on Ctrl-C while a command hangs, and keeps working', async () => {
    const { t, screen } = await started();
    t.type('logs -f happy_turing\r');
    await settle();
    t.type('images\r'); // typed ahead: waits for the prompt
    await settle();
    expect(screen().split('\n').at(-1)).toBe('docker$ logs -f happy_turing');
    t.type('\x03');
    await settle();
    expect(screen()).toMatch(/docker\$ logs -f happy_turing\n\^C\ndocker\$ images\nREPOSITORY/);
    expect(screen().split('\n').at(-1)).toBe('docker$');
  });

  it('completes names from the runtime', async () => {
    const { t, screen } = await started();
    t.type('docker stop ha\t');
    await settle();
    expect(screen().split('\n').at(-1)).toBe('docker$ docker stop happy_turing');
    t.type('\x15run --rm b\t');
    await settle();
    expect(screen().split('\n').at(-1)).toBe('docker$ run --rm busybox');
  });

  it('reports a syntax error and keeps the history', async () => {
    const { t, shell, screen } = await started();
    t.type(`echo 'unterminated\r`);
    await settle();
    expect(screen()).toMatch(/docker: unterminated quoted string\ndocker\$$/);
    expect(shell.history).toEqual([`echo 'unterminated`]);
  });
});
