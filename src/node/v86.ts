// The installed v86 package, as the Node host, the image build and the Vite
// build see it: the one place its version and wasm are looked up.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Version of the v86 package installed for the project at `root` (its package.json). */
export function v86Version(root: string): string {
  const require = createRequire(join(root, 'package.json'));
  const pkg = require('v86/package.json') as { version: string };
  return pkg.version;
}

/** Path of that v86's v86.wasm. */
export function v86WasmPath(root: string): string {
  const require = createRequire(join(root, 'package.json'));
  return join(dirname(require.resolve('v86')), 'v86.wasm');
}
