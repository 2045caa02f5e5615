// The VM's uplink: v86's virtio NIC (eth0 in the guest). The frames the
// guest routes out of it go to the host's TCP/IP relay (src/common/netstack),
// loaded with its dialer on the first frame: a VM whose containers never
// leave it pays nothing for it, and a page does not download it up front.
import type { Emulator } from './emulator.js';
import type { Uplink } from '../src/common/vm-api.js';
import type { NetStack } from '../src/common/netstack/stack.js';
import type { Dialer } from '../src/common/netstack/dialer.js';

/** Relays the emulator's uplink frames; the result stops it (every connection reset). */
export function attachUplink(emulator: Emulator, uplink: Uplink | undefined, notice: (text: string) => void): () => void {
  let stack: Promise<NetStack> | undefined;
  let stopped = false;
  // nothing goes to an emulator that is being destroyed
  const send = (frame: Uint8Array) => {
    if (!stopped) emulator.bus.send('net0-receive', frame);
  };
  emulator.bus.register(
    'net0-send',
    (frame) => {
      if (stopped) return;
      // in order: every frame waits on the same promise
      (stack ??= load(uplink, send, notice)).then(
        (s) => s.receive(frame),
        () => {}, // the stack could not load (said once, below)
      );
    },
    undefined,
  );
  return () => {
    stopped = true;
    // the far ends' sockets closed; the guest's resets are not sent (it is going away)
    void stack?.then((s) => s.close(), () => {});
  };
}

async function load(uplink: Uplink | undefined, send: (f: Uint8Array) => void, notice: (text: string) => void): Promise<NetStack> {
  try {
    const [{ NetStack }, realm] = await Promise.all([import('../src/common/netstack/stack.js'), realmOf(uplink, notice)]);
    return new NetStack({ send, notice, ...realm });
  } catch (e) {
    notice(`containers cannot reach the host: the network relay did not load (${(e as Error).message})`);
    throw e;
  }
}

/** How this realm dials, and resolves the names the daemon passes on. */
async function realmOf(uplink: Uplink | undefined, notice: (text: string) => void): Promise<{ dial: Dialer; resolve?: (name: string) => Promise<number[] | undefined> }> {
  if (uplink?.kind === 'socket') {
    const { socketDialer, socketResolve } = await import('./dial-socket.js');
    return { dial: socketDialer(), resolve: socketResolve };
  }
  if (uplink?.kind === 'fetch') {
    const { fetchDialer, FetchNames } = await import('../src/common/netstack/fetch-dialer.js');
    const names = new FetchNames();
    return { dial: fetchDialer(uplink.host, notice, undefined, names), resolve: async (name) => names.resolve(name) };
  }
  const { DialRefused } = await import('../src/common/netstack/dialer.js');
  return {
    dial: async () => {
      throw new DialRefused('this host relays no outbound connections');
    },
  };
}
