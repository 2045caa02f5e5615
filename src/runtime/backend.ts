// What the runtime needs from a booted VM, whichever thread or realm it lives
// in: comlink's Remote<VmApi> of workers/vm.worker.ts satisfies it.
import type { VmApi } from '../common/vm-api.js';

type Async<T> = { [K in keyof T]: T[K] extends (...a: infer A) => infer R ? (...a: A) => Promise<Awaited<R>> : never };

export type VmBackend = Async<Omit<VmApi, 'boot' | 'channelStats' | 'saveState' | 'instructionCount' | 'store'>> &
  Partial<Async<Pick<VmApi, 'instructionCount'>>> &
  // generic: a mapped type would erase its type parameter (it returns a promise already)
  Pick<VmApi, 'store'>;
