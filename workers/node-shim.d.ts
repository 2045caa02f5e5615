// The two Node facts the worker entry needs, declared here so the worker
// realm compiles without Node's (or the DOM's) types.
declare const process: { versions?: { node?: string } } | undefined;

declare module 'node:worker_threads' {
  export const parentPort: import('comlink/dist/esm/node-adapter.mjs').NodeEndpointLike | null;
}
