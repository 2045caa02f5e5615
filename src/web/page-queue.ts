// Commands from every block of a page run one after another, in the order
// they were asked for (kept light: no runtime code here).
let tail: Promise<unknown> = Promise.resolve();

/** Runs `fn` after everything queued before it. */
export function inOrder<T>(fn: () => Promise<T>): Promise<T> {
  const p = tail.then(fn, fn);
  tail = p.catch(() => {});
  return p;
}
