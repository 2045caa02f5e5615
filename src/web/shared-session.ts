// One VM per page for everything embedded in it (runnable code blocks and
// <dockyard-terminal> elements): booted on first use, then shared, so state
// carries from one block to the next like one docker session.
import type { Progress } from './vm-client.js';
import { pageConfig } from './page-config.js';
import { startSession, type Session } from './session.js';

let started: Promise<Session> | undefined;
let last: Progress | undefined;
const listeners = new Set<(p: Progress) => void>();

/** Progress of the shared VM's start (replays the latest event). */
export function onSharedProgress(cb: (p: Progress) => void): () => void {
  if (last) cb(last);
  listeners.add(cb);
  return () => listeners.delete(cb);
}

export function sharedSessionStarted(): boolean {
  return started !== undefined;
}

/** The page's VM, starting it on the first call; a failed start can be retried. */
export function sharedSession(): Promise<Session> {
  pageConfig.started = true;
  started ??= startSession({
    ...(pageConfig.registryProxy !== undefined ? { registryProxy: pageConfig.registryProxy } : {}),
    onProgress: (p) => {
      last = p;
      for (const l of listeners) l(p);
    },
  }).catch((e: unknown) => {
    started = undefined;
    last = undefined;
    throw e;
  });
  return started;
}
