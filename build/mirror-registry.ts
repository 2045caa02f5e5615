// The site's mirrored images (`dockyard mirror … --out DIR`, DIR from
// $DOCKYARD_MIRROR, default ./mirror) beside the bundled registry in the
// build: each repository's index.json hashed here becomes a root of trust
// the page checks it against, as the artifact manifest is for the bundled
// images (index → manifest → config → layers are content-addressed).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

export interface MirrorRegistry {
  /** "docker.io/library/alpine" → its index.json's sha256 (hex) and size */
  entries: Record<string, { index: string; size: number }>;
  /** every file, relative to the mirror directory (posix) */
  files: string[];
  dir: string;
}

export function mirrorDir(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(root, env.DOCKYARD_MIRROR || 'mirror');
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile() && !e.name.endsWith('.tmp')) out.push(p);
  }
  return out.sort();
}

/** The mirror's repositories (a folder with an index.json), or none when there is no mirror. */
export function readMirror(dir: string, bundled: readonly string[]): MirrorRegistry {
  const entries: MirrorRegistry['entries'] = {};
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return { entries, files: [], dir };
  const files = walk(dir).map((f) => relative(dir, f).split(sep).join('/'));
  for (const f of files) {
    if (!f.endsWith('/index.json')) continue;
    const repo = f.slice(0, -'/index.json'.length);
    if (bundled.includes(repo)) throw new Error(`${join(dir, f)}: ${repo} is bundled already; mirror another name (a tag of it under your own repository)`);
    const bytes = readFileSync(join(dir, f));
    entries[repo] = { index: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
  }
  return { entries, files: files.filter((f) => Object.keys(entries).some((r) => f.startsWith(`${r}/`))), dir };
}
