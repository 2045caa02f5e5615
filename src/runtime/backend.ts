// What the runtime needs from a VM, whichever thread or realm it lives in:
// comlink's Remote<VmApi> of workers/vm.worker.ts satisfies it.
import type { AttrList } from '../common/protocol/attrs.js';
import type { BootOptions, BootResult, VmListener, WireAttrs } from '../common/vm-api.js';

export interface VmBackend {
  boot(opts: BootOptions, listener?: VmListener): Promise<BootResult>;
  request(fields: AttrList, timeoutMs?: number): Promise<WireAttrs>;
  ping(payload: Uint8Array, timeoutMs?: number): Promise<Uint8Array>;
  consoleWrite(port: number, data: Uint8Array): Promise<void> | void;
  resizeConsole(port: number, cols: number, rows: number): Promise<void> | void;
  shutdown(): Promise<void>;
}
