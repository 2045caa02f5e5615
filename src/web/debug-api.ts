// The shape of `window.__dockyard`, the playground's hook for tests (and
// curious people in the devtools console). Types only: the browser tests
// (a Node realm) import it too.

export interface DockyardDebug {
  state: 'starting' | 'ready' | 'error';
  error?: string;
  bootMs?: number;
  /** the VM came from the saved state (else: coldBootReason says why not) */
  restored?: boolean;
  coldBootReason?: string;
  /** the docker terminal's text (scrollback included); `'vm'`: the VM shell tab's */
  screenText(which?: 'docker' | 'vm'): string;
  /** the docker terminal's size in characters */
  termSize(): { cols: number; rows: number };
  /** files fetched from Cache Storage vs the network on this page */
  cache: { fromCache: number; fromNetwork: number; downloaded: string[] };
}

declare global {
  interface Window {
    __dockyard?: DockyardDebug;
  }
}
