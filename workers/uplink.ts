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
  const send = (frame: Uint8Array) => emulator.bus.send('net0-receive', frame);
  emulator.bus.register(
    'net0-send',
    (frame) => {
      // in order: every frame waits on the same promise
      void (stack ??= load(uplink, send, notice)).then((s) => s.receive(frame));
    },
    undefined,
  );
  return () => void stack?.then((s) => s.close());
}

async function load(uplink: Uplink | undefined, send: (f: Uint8Array) => void, notice: (text: string) => void): Promise<NetStack> {
  const [{ NetStack }, dial] = await Promise.all([import('../src/common/netstack/stack.js'), dialer(uplink, notice)]);
  return new NetStack({ send, dial, notice });
}

async function dialer(uplink: Uplink | undefined, notice: (text: string) => void): Promise<Dialer> {
  if (uplink?.kind === 'socket') return (await import('./dial-socket.js')).socketDialer();
  if (uplink?.kind === 'fetch') return (await import('../src/common/netstack/fetch-dialer.js')).fetchDialer(uplink.host, notice);
  const { DialRefused } = await import('../src/common/netstack/dialer.js');
  return async () => {
    throw new DialRefused('this host relays no outbound connections');
  };
}
