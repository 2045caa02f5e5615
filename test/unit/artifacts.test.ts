// The guest images in images/dist/ match images/dist/manifest.json, were
// built from the sources in the tree, and for the v86 that is installed.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ARTIFACTS,
  CMDLINE,
  DIST_DIR,
  MANIFEST_PATH,
  MEMORY_MB,
  describeSources,
  fileSha256,
  installedV86Version,
  readManifest,
  sourceHash,
} from '../../images/artifacts.js';

const REBUILD = 'run `npm run images`';

describe('guest artifacts', () => {
  it('have a manifest', () => {
    expect(existsSync(MANIFEST_PATH), `${MANIFEST_PATH} missing: ${REBUILD}`).toBe(true);
    const m = readManifest();
    expect(m.schema).toBe(1);
    expect(m.cmdline, `images/artifacts.ts CMDLINE changed: ${REBUILD}`).toBe(CMDLINE);
    expect(m.memoryMB, `images/artifacts.ts MEMORY_MB changed: ${REBUILD}`).toBe(MEMORY_MB);
    expect(Object.keys(m.artifacts).sort()).toEqual(ARTIFACTS.map((a) => a.name).sort());
  });

  describe.each(ARTIFACTS.map((a) => [a.name, a] as const))('%s', (name, a) => {
    it(`dist/${a.file} matches the manifest (size, sha256)`, () => {
      const entry = readManifest().artifacts[name];
      const path = join(DIST_DIR, a.file);
      expect(existsSync(path), `${path} missing: ${REBUILD}`).toBe(true);
      expect(entry.file).toBe(a.file);
      expect(statSync(path).size, `${a.file} size differs from manifest.json: ${REBUILD}`).toBe(entry.size);
      expect(fileSha256(path), `${a.file} sha256 differs from manifest.json: ${REBUILD}`).toBe(entry.sha256);
    });

    it('was built from the current sources', () => {
      const entry = readManifest().artifacts[name];
      expect(
        sourceHash(a),
        `${describeSources(a)} changed since the artifacts were built (${a.file}): ${REBUILD}`,
      ).toBe(entry.sources);
    });
  });

  it('were built for the installed v86', () => {
    expect(readManifest().v86, `node_modules/v86 is not the v86 the images were checked with: ${REBUILD}`).toBe(
      installedV86Version(),
    );
  });
});
