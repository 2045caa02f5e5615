// Builds the Node bundles (VM worker + CLI) once for every test file: the
// tests run the real worker in worker_threads, not a mock.
import type { TestProject } from 'vitest/node';
import { fileURLToPath } from 'node:url';
import { buildNode } from '../bin/build-node.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    root: string;
    workerPath: string;
    cliPath: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const out = await buildNode(root, { force: true });
  project.provide('root', root);
  project.provide('workerPath', out.worker);
  project.provide('cliPath', out.cli);
}
