// Messages between the page that owns the VM and the preview service worker
// (workers/port-sw.ts): the worker hands each HTTP request for a published
// port's URL to the page, which relays it into the container and answers
// on the MessagePort that came with it.

/** page → service worker: this window runs a VM and answers for its ports. */
export interface OwnerMessage {
  type: 'dockyard-owner';
}

/** service worker → page, with a MessagePort for the answer. */
export interface PreviewRequest {
  type: 'dockyard-http';
  /** the published (host) port */
  port: number;
  method: string;
  /** path and query as the container sees them */
  target: string;
  headers: Array<[string, string]>;
  body: ArrayBuffer | null;
}

/** page → service worker, on the request's MessagePort. */
export type PreviewAnswer =
  | { ok: true; status: number; statusText: string; headers: Array<[string, string]>; body: ArrayBuffer }
  | { ok: false; status: number; message: string };

/** Where a published port's pages live, under the site's base: `ports/8080/`. */
export const PREVIEW_PREFIX = 'ports/';
