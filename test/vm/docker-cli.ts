// Runs docker command lines through the shared interpreter against a
// Dockyard, capturing what a user would see — the tests' `docker(...)`.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Ctx } from '../../src/cli/context.js';
import { execute, parseLine } from '../../src/cli/interpreter.js';
import type { Dockyard } from '../../src/runtime/dockyard.js';
import { tarOfPath, writeTarAt } from '../../src/node/archive.js';
import { readContextDir } from '../../src/node/context-dir.js';

export interface Result {
  status: number;
  out: string;
  err: string;
}

const dec = new TextDecoder();

export function dockerCli(dockyard: () => Dockyard, env: Record<string, string> = {}): (line: string) => Promise<Result> {
  return async (line) => {
    let out = '';
    let err = '';
    const ctx: Ctx = {
      d: dockyard(),
      io: {
        out: (s) => (out += typeof s === 'string' ? s : dec.decode(s)),
        err: (s) => (err += typeof s === 'string' ? s : dec.decode(s)),
        readFile: async (p) => new Uint8Array(readFileSync(p)),
        writeFile: async (p, data) => writeFileSync(p, data),
        readContext: (p) => readContextDir(p),
        readArchive: (p) => tarOfPath(p),
        writeArchive: (p, tar) => writeTarAt(p, tar),
        env,
      },
    };
    const status = await execute(ctx, parseLine(line)!);
    return { status, out, err };
  };
}
