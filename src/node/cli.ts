// The `dockyard` command (bin/dockyard.mjs bundles and runs this).
import { ArtifactError } from '../common/manifest.js';
import { createDockyard, formatInfo } from './index.js';

export interface CliContext {
  root: string;
  workerPath: string;
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
}

const USAGE = `Usage:  dockyard COMMAND

Docker in an emulated i386 Linux VM, no daemon on the host.

Commands:
  info        Display system-wide information (boots the VM)
`;

export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const out = ctx.stdout ?? ((s) => process.stdout.write(s));
  const err = ctx.stderr ?? ((s) => process.stderr.write(s));
  const [cmd, ...rest] = argv[0] === 'docker' ? argv.slice(1) : argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    out(USAGE);
    return 0;
  }
  if (cmd !== 'info') {
    err(`dockyard: '${cmd}' is not a dockyard command.\nSee 'dockyard --help'\n`);
    return 125;
  }
  if (rest.length > 0) {
    err(`dockyard: "info" accepts no arguments.\nSee 'dockyard info --help'\n`);
    return 125;
  }
  let d;
  try {
    d = await createDockyard({ root: ctx.root, workerPath: ctx.workerPath });
  } catch (e) {
    const msg = e instanceof ArtifactError ? e.message : `failed to start the VM: ${(e as Error).message}`;
    err(`dockyard: ${msg}\n`);
    return 1;
  }
  try {
    out(formatInfo(await d.info()));
    return 0;
  } catch (e) {
    err(`dockyard: ${(e as Error).message}\n`);
    return 1;
  } finally {
    await d.close();
  }
}
