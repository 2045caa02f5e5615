// `dockyard mirror IMAGE… --out DIR`: no VM, only the registry client and a
// directory (see src/runtime/mirror.ts).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { DockerError } from '../runtime/errors.js';
import { mirrorImage, type MirrorFiles } from '../runtime/mirror.js';
import { Registries } from '../runtime/registries.js';
import { FlagError, parseFlags, str } from '../cli/flags.js';
import { fileCredentials, insecureRegistries } from './docker-config.js';

export const MIRROR_USAGE = `Usage:  dockyard mirror IMAGE [IMAGE...] --out DIR

Copies the linux/386 images a site needs from their registries into DIR in
the bundled registry's layout (DIR/<domain>/<repository>/index.json, blobs),
every blob verified; \`npm run build\` serves DIR's images beside busybox and
hello-world (DOCKYARD_MIRROR=DIR, default ./mirror), so the site works offline.

Options:
  -o, --out string   Directory to write (created if missing; images already there are kept)
`;

export function dirFiles(root: string): MirrorFiles {
  return {
    read: (rel) => readFile(join(root, rel)).then((b) => new Uint8Array(b), () => undefined),
    async write(rel, data) {
      const p = join(root, rel);
      await mkdir(dirname(p), { recursive: true });
      // whole files only: a mirror interrupted mid-write has no half blob
      await writeFile(`${p}.tmp`, data);
      await rename(`${p}.tmp`, p);
    },
  };
}

export async function mirrorCommand(argv: string[], home: string, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let outDir: string | undefined;
  let images: string[];
  try {
    const p = parseFlags(argv, [
      { long: 'out', short: 'o', kind: 'string', description: 'Directory to write' },
      { long: 'help', short: 'h', kind: 'bool', description: 'Print usage' },
    ]);
    if (p.flags.get('help') === true) {
      out(MIRROR_USAGE);
      return 0;
    }
    outDir = str(p, 'out');
    images = p.args;
  } catch (e) {
    err(`${(e as FlagError).message}\nSee 'dockyard mirror --help'.\n`);
    return 1;
  }
  if (images.length === 0 || outDir === undefined) {
    err(`"dockyard mirror" requires at least 1 image and --out DIR.\n\n${MIRROR_USAGE}`);
    return 1;
  }
  const registries = new Registries(fileCredentials(home), { insecure: await insecureRegistries(home) });
  const files = dirFiles(resolve(outDir));
  for (const image of images) {
    try {
      const r = await mirrorImage(registries.client, files, image, (l) => out(`${l}\n`));
      out(`Digest: ${r.digest}\nMirrored ${r.ref} (linux/386) into ${outDir}\n`);
    } catch (e) {
      err(`Error: ${image}: ${e instanceof DockerError || e instanceof Error ? e.message : String(e)}\n`);
      return 1;
    }
  }
  return 0;
}
