// comlink ships node-adapter.d.ts beside node-adapter.mjs, which TypeScript
// does not pair up; this declares the module by its .mjs path.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  export interface NodeEndpointLike {
    postMessage(message: unknown, transfer?: never[]): void;
    on(type: string, listener: (...args: never[]) => void): void;
    off(type: string, listener: (...args: never[]) => void): void;
  }
  export default function nodeEndpoint(nep: NodeEndpointLike): Endpoint;
}
