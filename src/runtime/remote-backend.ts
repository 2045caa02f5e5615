// A VmBackend over comlink's Remote<VmApi>: the one wrapper the page and the
// Node host share. `settle` is where each realm adds its own failure handling
// (a crashed worker under Node); guest errors are revived here for both.
import { proxy, type Remote } from 'comlink';
import { reviveError } from '../common/errors-wire.js';
import type { VmApi, VmListener } from '../common/vm-api.js';
import type { VmBackend } from './backend.js';

export function remoteBackend(
  remote: Remote<VmApi>,
  shutdown: () => Promise<void>,
  settle: <T>(p: Promise<T>) => Promise<T> = (p) => p,
): VmBackend {
  const call = <T>(p: Promise<T>): Promise<T> => settle(p).catch(reviveError);
  return {
    request: (fields, timeoutMs) => call(remote.request(fields, timeoutMs)),
    ping: (payload, timeoutMs) => call(remote.ping(payload, timeoutMs)),
    open: (fields, sink) => call(remote.open(fields, proxy(sink))),
    sendStream: (id, stream, data) => call(remote.sendStream(id, stream, data)),
    consoleWrite: (port, data) => call(remote.consoleWrite(port, data)),
    resizeConsole: (port, cols, rows) => call(remote.resizeConsole(port, cols, rows)),
    writeFile: (path, data, opts) => call(remote.writeFile(path, data, opts)),
    readFile: (path) => call(remote.readFile(path)),
    store: ((method, ...args) => call((remote.store as unknown as (m: typeof method, ...a: typeof args) => Promise<unknown>)(method, ...args))) as VmApi['store'],
    mountSnapshot: (key) => call(remote.mountSnapshot(key)),
    instructionCount: () => call(remote.instructionCount()),
    shutdown,
  };
}

/** The worker sees a proxy and cannot tell which callbacks exist: give it all. */
export function completeListener(l: VmListener): Required<VmListener> {
  return { console: l.console?.bind(l) ?? (() => {}), serial: l.serial?.bind(l) ?? (() => {}) };
}
