// The forwarders over the worker's API are built from VM_API_METHODS: each
// method reaches the worker under its own name, callbacks cross as comlink
// proxies, and errors come back as the classes they were.
import { proxyMarker, type Remote } from 'comlink';
import { describe, expect, it } from 'vitest';
import { GuestError } from '../../src/common/channel.js';
import { ColdBootNeededError, VM_API_METHODS, type VmApi } from '../../src/common/vm-api.js';
import { backendMethods } from '../../src/runtime/backend.js';
import { remoteBackend } from '../../src/runtime/remote-backend.js';

/** A stand-in for comlink's Remote<VmApi>: records each call; `fail` makes a method reject with a plain Error as it arrives from a thread. */
function fakeRemote(fail: Partial<Record<keyof VmApi, { name: string; message: string; errno?: number }>> = {}) {
  const calls: Array<[string, unknown[]]> = [];
  const remote = Object.fromEntries(
    Object.keys(VM_API_METHODS).map((k) => [
      k,
      (...args: unknown[]) => {
        calls.push([k, args]);
        const f = fail[k as keyof VmApi];
        return f ? Promise.reject(Object.assign(new Error(f.message), { name: f.name, errno: f.errno })) : Promise.resolve(`${k} done`);
      },
    ]),
  );
  return { remote: remote as unknown as Remote<VmApi>, calls };
}

describe('remoteBackend', () => {
  it('forwards every VmApi method but shutdown by name, with its arguments', async () => {
    const { remote, calls } = fakeRemote();
    let shut = 0;
    const vm = remoteBackend(remote, async () => void shut++);
    expect(Object.keys(vm).sort()).toEqual(Object.keys(VM_API_METHODS).sort());
    expect(await vm.ping(new Uint8Array([1]), 5)).toBe('ping done');
    expect(await vm.store('snapshotList')).toBe('store done');
    await vm.shutdown();
    expect(calls).toEqual([['ping', [new Uint8Array([1]), 5]], ['store', ['snapshotList']]]);
    expect(shut).toBe(1);
  });

  it('hands callbacks over as comlink proxies', async () => {
    const { remote, calls } = fakeRemote();
    const vm = remoteBackend(remote, async () => {});
    await vm.open([['op', 'x']], { data() {}, end() {}, fail() {} });
    expect((calls[0]![1][1] as Record<symbol, unknown>)[proxyMarker]).toBe(true);
  });

  it('revives the error classes that crossed as plain errors, errno included', async () => {
    const { remote } = fakeRemote({
      request: { name: 'GuestError', message: 'No such container: x', errno: 2 },
      boot: { name: ColdBootNeededError.NAME, message: 'no snapshot' },
      readFile: { name: 'Error', message: 'plain' },
    });
    const vm = remoteBackend(remote, async () => {});
    const e = await vm.request([]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(GuestError);
    expect((e as GuestError).errno).toBe(2);
    const c = await vm.boot({ wasmPath: '', bios: new ArrayBuffer(0), cmdline: '', memoryMB: 1, state: { buffer: new ArrayBuffer(0), hello: { version: '', kernel: '', machine: '', memKb: 0 } } }).catch((x: unknown) => x);
    expect(c).toBeInstanceOf(ColdBootNeededError);
    expect((c as ColdBootNeededError).reason).toBe('no snapshot');
    await expect(vm.readFile('f')).rejects.toThrow('plain');
  });

  it('leaves the host-only methods out of what the runtime sees', () => {
    expect([...backendMethods].sort()).toEqual(Object.keys(VM_API_METHODS).filter((k) => !['boot', 'channelStats', 'saveState'].includes(k)).sort());
  });
});
