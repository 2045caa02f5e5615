// A reload starts a fresh VM: containers die with the old one (images are
// kept in origin storage). The page remembers, per tab, the containers it
// last listed, and the next load says which are gone before the reader
// looks for them.
import type { ContainerInfo } from '../runtime/containers.js';

const KEY = 'dockyard.containers';

interface Remembered {
  name: string;
  image: string;
  running: boolean;
}

/** After each listing: what this tab's VM has now. */
export function rememberContainers(containers: readonly ContainerInfo[]): void {
  try {
    const list: Remembered[] = containers.map((c) => ({ name: c.name, image: c.image, running: c.status === 'running' }));
    sessionStorage.setItem(KEY, JSON.stringify(list));
  } catch {
    // storage refused: nothing to say after a reload
  }
}

/** What the last page load had, as a line for the terminal (undefined when it had none); forgotten once read. */
export function lostContainersNote(): string | undefined {
  let list: Remembered[] = [];
  try {
    list = JSON.parse(sessionStorage.getItem(KEY) ?? '[]') as Remembered[];
    sessionStorage.removeItem(KEY);
  } catch {
    return undefined;
  }
  if (!Array.isArray(list) || list.length === 0) return undefined;
  const names = list.map((c) => `${c.name} (${c.image}, ${c.running ? 'running' : 'stopped'})`).join(', ');
  const one = list.length === 1;
  return `The page was reloaded: this is a fresh VM, and the ${one ? 'container' : 'containers'} of the last one ${one ? 'is' : 'are'} gone: ${names}. Your pulled images are kept.\n`;
}

/** Breaks each line of `s` at spaces to fit `cols` columns (a terminal wraps mid-word). */
export function wrapWords(s: string, cols: number): string {
  return s
    .split('\n')
    .map((line) => {
      const out: string[] = [];
      let cur = '';
      for (const w of line.split(' ')) {
        if (cur && cur.length + 1 + w.length > cols) {
          out.push(cur);
          cur = w;
        } else cur = cur ? `${cur} ${w}` : w;
      }
      out.push(cur);
      return out.join('\n');
    })
    .join('\n');
}
