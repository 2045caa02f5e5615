// The `dockyard` CLI as a separate process, as a user runs it: argv, stdin,
// and optionally an image store of its own ($DOCKYARD_HOME).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** An empty image store of its own, as on a machine that never pulled. */
export const freshHome = () => mkdtempSync(join(tmpdir(), 'dockyard-cli-home-'));

export function dockyardProcess(root: string, args: string[], stdin: string | Uint8Array = '', home?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = home ? { ...process.env, DOCKYARD_HOME: home } : process.env;
    const p = spawn(process.execPath, [join(root, 'bin/dockyard.mjs'), ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d));
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(stdin);
  });
}
