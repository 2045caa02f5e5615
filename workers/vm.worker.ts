// Worker entry: one `expose`. The same module runs as a browser module Worker
// and under Node worker_threads (comlink's node adapter on parentPort).
import { expose, type Endpoint } from 'comlink';
import type { VmApi } from '../src/common/vm-api.js';
import { sendErrnoWithErrors } from '../src/common/errors-wire.js';
import { Vm } from './vm.js';

sendErrnoWithErrors();

const api: VmApi = new Vm();

async function endpoint(): Promise<Endpoint | undefined> {
  if (typeof process === 'undefined' || !process.versions?.node) return undefined; // browser Worker: self
  const { parentPort } = await import('node:worker_threads');
  const { default: nodeEndpoint } = await import('comlink/dist/esm/node-adapter.mjs');
  if (!parentPort) throw new Error('vm.worker must run in a worker thread');
  return nodeEndpoint(parentPort);
}

expose(api, await endpoint());
