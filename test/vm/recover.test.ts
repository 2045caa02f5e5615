// A guest that stops answering is noticed, reported in one line naming what
// was lost, and replaced by a fresh VM that serves the next command.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startDockyard } from '../../src/node/cli.js';
import { dockerCli } from './docker-cli.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';

let d: Dockyard;

const docker = dockerCli(() => d);

beforeAll(async () => {
  d = await startDockyard(inject('root'), inject('workerPath'), { watchdog: { intervalMs: 300, timeoutMs: 1000, misses: 2 } });
}, 120_000);

afterAll(async () => {
  await d?.close();
});

describe('a guest that stops answering', () => {
  it('is restarted, and the user is told which containers were lost', async () => {
    expect((await docker('run -d --name web busybox sleep 300')).status).toBe(0);
    expect((await docker('ps')).out).toMatch(/\sweb$/m);
    // wedge the daemon from the VM's own shell
    await d.backend.consoleWrite(0, new TextEncoder().encode('kill -STOP $(pidof containerd-lite)\n'));
    const deadline = Date.now() + 20_000;
    while (d.stoppedReason === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(d.stoppedReason).toMatch(/no answer to 2 heartbeats/);
    const r = await docker('ps -a');
    expect(r.err).toMatch(/^docker: the VM stopped responding \(no answer to 2 heartbeats .*\); restarted — containers lost: web\n$/);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^CONTAINER ID\s+IMAGE/);
    expect(r.out).not.toMatch(/\sweb$/m);
    expect((await docker('run --rm busybox echo alive')).out).toBe('alive\n');
  }, 120_000);
});
