// Installs `window.__dockyard` (see debug-api.ts).
import { stats } from './artifact-cache.js';
import type { DockyardDebug } from './debug-api.js';

export type { DockyardDebug } from './debug-api.js';

export function installDebugHook(screens: { docker: () => string; vm: () => string }, termSize: () => { cols: number; rows: number }): DockyardDebug {
  const hook: DockyardDebug = {
    state: 'starting',
    screenText: (which = 'docker') => screens[which](),
    termSize,
    cache: stats,
  };
  window.__dockyard = hook;
  return hook;
}
