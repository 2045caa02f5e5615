// What the runtime needs from a booted VM, whichever thread or realm it lives
// in: comlink's Remote<VmApi> of workers/vm.worker.ts, wrapped by
// remoteBackend(), satisfies it. Both are derived from VmApi and its method
// list (VM_API_METHODS): nothing here names a method.
import { VM_API_METHODS, vmApiMethods, type VmApi } from '../common/vm-api.js';

type Async<T> = { [K in keyof T]: T[K] extends (...a: infer A) => infer R ? (...a: A) => Promise<Awaited<R>> : never };

/** VmApi as called from another thread: every method returns a promise. */
export type RemoteVmApi = Async<Omit<VmApi, 'store'>> &
  // generic: a mapped type would erase its type parameter (it returns a promise already)
  Pick<VmApi, 'store'>;

type Roles = typeof VM_API_METHODS;
/** The methods the runtime calls (VM_API_METHODS' `runtime` ones). */
export type BackendMethod = { [K in keyof Roles]: Roles[K] extends 'runtime' ? K : never }[keyof Roles];

export type VmBackend = Pick<RemoteVmApi, BackendMethod>;

export const backendMethods: readonly BackendMethod[] = vmApiMethods.filter((k): k is BackendMethod => VM_API_METHODS[k] === 'runtime');

/**
 * An object with one method per key, each `via(key)` unless `own` has it:
 * how every forwarder over the VM's API is built, so none lists the methods.
 */
export function forward<T, K extends keyof T>(keys: readonly K[], via: (key: K) => (...args: never[]) => unknown, own: Partial<Pick<T, K>> = {}): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, own[k] ?? via(k)])) as Pick<T, K>;
}
