// Errors crossing the worker boundary. comlink sends only an Error's message,
// name and stack; the guest's errno (which decides docker's 126/127) and the
// error's class would be lost. The worker adds errno; the host revives the
// class by name.
import { transferHandlers, type TransferHandler } from 'comlink';
import { ChannelClosedError, GuestError, StreamClosedError } from './channel.js';

interface Thrown {
  value: unknown;
}

/** In the worker: serialise thrown errors with their errno. */
export function sendErrnoWithErrors(): void {
  const base = transferHandlers.get('throw') as TransferHandler<Thrown, { isError: boolean; value: unknown }>;
  transferHandlers.set('throw', {
    canHandle: base.canHandle,
    serialize(thrown: Thrown) {
      const [wire, transfer] = base.serialize(thrown);
      const e = thrown.value;
      if (wire.isError && e instanceof GuestError && e.errno !== undefined) {
        (wire.value as Record<string, unknown>).errno = e.errno;
      }
      return [wire, transfer];
    },
    deserialize: base.deserialize,
  } as TransferHandler<unknown, unknown>);
}

/** On the host: turn a revived plain Error back into the class it was. */
export function reviveError(e: unknown): never {
  if (e instanceof Error && !(e instanceof GuestError) && e.name === 'GuestError') {
    throw new GuestError(e.message, (e as { errno?: number }).errno);
  }
  if (e instanceof Error && !(e instanceof ChannelClosedError) && e.name === 'ChannelClosedError') {
    throw new ChannelClosedError(e.message);
  }
  if (e instanceof Error && !(e instanceof StreamClosedError) && e.name === 'StreamClosedError') {
    throw new StreamClosedError(e.message);
  }
  throw e;
}
