// How the host's TCP/IP relay reaches the far end of a container's outbound
// connection: a real socket under Node, fetch() in a page (HTTP only).

/** What the far end sends back. */
export interface OutboundSink {
  data(bytes: Uint8Array): void;
  /** the far end finished sending (the container reads EOF) */
  end(): void;
  /** the connection broke: the container gets a reset */
  reset(): void;
  /** the far end took bytes: the relay may open its receive window again */
  drain(): void;
}

/** One connection to the far end, as the relay drives it. */
export interface Outbound {
  write(bytes: Uint8Array): void;
  /** bytes written and not yet taken by the far end: the relay's window shrinks by them */
  readonly backlog: number;
  /** the container finished sending */
  end(): void;
  /** the container reset the connection, or the relay gave up on it */
  close(): void;
  /** the container reads slower than the far end sends: stop reading it for now */
  pause(): void;
  resume(): void;
}

/** A connection the far end (or the realm) refused: the container sees "Connection refused"; the message says why. */
export class DialRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DialRefused';
  }
}

/** Where to: an IPv4 address as a number (HOST_IP = the host) and a port. */
export type Dialer = (to: { ip: number; port: number }, sink: OutboundSink) => Promise<Outbound>;
