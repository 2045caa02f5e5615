// Times `docker run` as the page sees it: from the container's create
// request to its first byte of output. The interpreter's run command calls
// d.containers.run (or create, then attach); a Dockyard wrapped here notices
// them without the runtime knowing. A pull before the create is not counted.
import type { Containers, Output } from '../runtime/containers.js';
import type { Dockyard } from '../runtime/dockyard.js';

export interface RunTiming {
  /** create request → first output byte, ms */
  ms: number;
  name: string;
}

/** Methods of `target` bound to it: a proxy's callers must not become their `this` (writes would miss the target). */
function delegate<T extends object>(target: T, key: string | symbol): unknown {
  const v: unknown = Reflect.get(target, key, target);
  return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
}

/** `d` for the docker prompt: the same runtime, reporting each attached run's start time to `onRun`. */
export function timeRuns(d: Dockyard, onRun: (t: RunTiming) => void): Dockyard {
  const createdAt = new Map<string, { t0: number; name: string }>();
  const create: Containers['create'] = async (...args) => {
    const t0 = performance.now();
    const made = await d.containers.create(...args);
    createdAt.set(made.id, { t0, name: made.name });
    return made;
  };
  const attach: Containers['attach'] = (id, out) => {
    const created = createdAt.get(id);
    createdAt.delete(id); // only a run's first start counts (not `docker start -a` later)
    if (!created) return d.containers.attach(id, out);
    let first = true;
    const mark = () => {
      if (!first) return;
      first = false;
      onRun({ ms: performance.now() - created.t0, name: created.name });
    };
    const timed: Output = {
      stdout: (b) => (mark(), out.stdout(b)),
      stderr: (b) => (mark(), out.stderr(b)),
    };
    return d.containers.attach(id, timed);
  };
  // `docker run` without -d: create and start in one call (Containers.run)
  const run: Containers['run'] = async (o, out, resolved) => {
    const t0 = performance.now();
    let firstAt: number | undefined;
    let name: string | undefined;
    let reported = false;
    // the first byte can come before run() resolves: report once both are known
    const report = () => {
      if (reported || firstAt === undefined || name === undefined) return;
      reported = true;
      onRun({ ms: firstAt - t0, name });
    };
    const mark = () => {
      if (firstAt !== undefined) return;
      firstAt = performance.now();
      report();
    };
    const made = await d.containers.run(o, { stdout: (b) => (mark(), out.stdout(b)), stderr: (b) => (mark(), out.stderr(b)) }, resolved);
    name = made.name;
    report();
    return made;
  };
  const start: Containers['start'] = (id) => {
    createdAt.delete(id); // detached: no output to wait for
    return d.containers.start(id);
  };
  const wrapped: Partial<Record<string | symbol, unknown>> = { create, attach, run, start };
  const containers = new Proxy(d.containers, {
    get: (target, key) => wrapped[key] ?? delegate(target, key),
  });
  return new Proxy(d, { get: (target, key) => (key === 'containers' ? containers : delegate(target, key)) });
}
