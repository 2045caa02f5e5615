// A VmBackend over comlink's Remote<VmApi>: the one wrapper the page and the
// Node host share. Every method of VmApi is forwarded by name; `settle` is
// where each realm adds its own failure handling (a crashed worker under
// Node); errors from the worker are revived here, and only here.
import { proxy, transfer, type Remote } from 'comlink';
import { reviveError } from '../common/errors-wire.js';
import { bootTransferables, vmApiMethods, type VmApi, type VmListener } from '../common/vm-api.js';
import { forward, type RemoteVmApi } from './backend.js';

/** Arguments that cannot cross as they are: callbacks become comlink proxies, boot's buffers are transferred. */
const wire: { [K in keyof VmApi]?: (...args: Parameters<VmApi[K]>) => unknown[] } = {
  boot: (opts, listener = {}) => [transfer(opts, bootTransferables(opts)), proxy(completeListener(listener))],
  open: (fields, sink) => [fields, proxy(sink)],
};

type Call = (...args: unknown[]) => Promise<unknown>;

export function remoteBackend(
  remote: Remote<VmApi>,
  shutdown: () => Promise<void>,
  settle: <T>(p: Promise<T>) => Promise<T> = (p) => p,
): RemoteVmApi {
  return forward<RemoteVmApi, keyof VmApi>(
    vmApiMethods,
    (key) =>
      (...args: unknown[]) => {
        const marshal = wire[key] as ((...a: unknown[]) => unknown[]) | undefined;
        return settle((remote[key] as unknown as Call)(...(marshal ? marshal(...args) : args))).catch(reviveError);
      },
    { shutdown },
  );
}

/** The worker sees a proxy and cannot tell which callbacks exist: give it all. */
export function completeListener(l: VmListener): Required<VmListener> {
  return { console: l.console?.bind(l) ?? (() => {}), serial: l.serial?.bind(l) ?? (() => {}), notice: l.notice?.bind(l) ?? (() => {}) };
}
