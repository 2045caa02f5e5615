#!/usr/bin/env node
// `dockyard`: bundles the TypeScript CLI and VM worker on first use (or after
// a source change), then runs the CLI.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildNode } from './build-node.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = await buildNode(root);
const { main } = await import(out.cli);
process.exitCode = await main(process.argv.slice(2), { root, workerPath: out.worker });
