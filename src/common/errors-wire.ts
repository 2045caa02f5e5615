// Errors crossing the worker boundary. comlink sends only an Error's message,
// name and stack; the guest's errno (which decides docker's 126/127) and the
// error's class would be lost. The worker adds errno; the host revives the
// class by name (remote-backend.ts, for every call).
import { transferHandlers, type TransferHandler } from 'comlink';
import { ChannelClosedError, GuestError, StreamClosedError } from './channel.js';
import { ColdBootNeededError } from './vm-api.js';

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

/** The classes revived: the name each sets, the class, how to make one from what crossed. */
const revivable: ReadonlyArray<readonly [name: string, cls: abstract new (...a: never[]) => Error, revive: (e: Error & { errno?: number }) => Error]> = [
  ['GuestError', GuestError, (e) => new GuestError(e.message, e.errno)],
  ['ChannelClosedError', ChannelClosedError, (e) => new ChannelClosedError(e.message)],
  ['StreamClosedError', StreamClosedError, (e) => new StreamClosedError(e.message)],
  [ColdBootNeededError.NAME, ColdBootNeededError, (e) => new ColdBootNeededError(e.message)],
];

/** On the host: turn a revived plain Error back into the class it was. */
export function reviveError(e: unknown): never {
  if (e instanceof Error) {
    for (const [name, cls, revive] of revivable) if (e.name === name && !(e instanceof cls)) throw revive(e);
  }
  throw e;
}
