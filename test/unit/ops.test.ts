// The protocol's ops are defined three times: the TS table (src/common/protocol/ops.ts),
// the guest's C op tables (images/containerd-lite/*.c, collected in ops.c's
// op_tables) and PROTOCOL.md's op tables. They must list the same ops; the
// TS table's field names must be ones the C sources use and PROTOCOL.md
// documents for that op; the request builder must write what the hand-built
// attrs it replaced wrote.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeAttrs } from '../../src/common/protocol/attrs.js';
import { Op, reply, request, type Shape } from '../../src/common/protocol/ops.js';

const dir = fileURLToPath(new URL('../../images/containerd-lite/', import.meta.url));
const sources = Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.c')).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));

/** The ops the daemon dispatches: each table named in ops.c's op_tables, its `{ "name", fn }` entries. */
function cOps(): Map<string, string> {
  const list = /op_tables\[\]\s*=\s*\{([^}]*)\}/.exec(sources['ops.c']!)?.[1];
  if (!list) throw new Error('ops.c: no op_tables');
  const tables = list.split(',').map((s) => s.trim()).filter(Boolean);
  expect(tables.length).toBeGreaterThan(0);
  const ops = new Map<string, string>(); // op → the file whose table has it
  for (const table of tables) {
    const defs = Object.entries(sources).flatMap(([file, src]) => {
      const m = new RegExp(`struct cl_op\\s+${table}\\[\\]\\s*=\\s*\\{([\\s\\S]*?)\\n\\};`).exec(src);
      return m ? [{ file, body: m[1]! }] : [];
    });
    expect(defs.map((d) => d.file), `definition of ${table}`).toHaveLength(1);
    const { file, body } = defs[0]!;
    const entries = [...body.matchAll(/\{\s*"([^"]+)"\s*,\s*\w+\s*\}/g)].map((m) => m[1]!);
    expect(entries.length, `${table} in ${file}`).toBeGreaterThan(0);
    for (const name of entries) {
      expect(ops.has(name), `${name} in two tables`).toBe(false);
      ops.set(name, file);
    }
  }
  return ops;
}

/** PROTOCOL.md's op tables (header `| op | arguments | response |`): op → its arguments and response cells. */
function docOps(): Map<string, { args: string; response: string }> {
  const md = readFileSync(join(dir, 'PROTOCOL.md'), 'utf8');
  const ops = new Map<string, { args: string; response: string }>();
  let inTable = false;
  for (const line of md.split('\n')) {
    if (!line.startsWith('|')) {
      inTable = false;
      continue;
    }
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    if (/^op$/.test(cells[0] ?? '')) {
      inTable = true;
      continue;
    }
    if (!inTable || /^-+$/.test(cells[0] ?? '')) continue;
    const name = /^`([^`]+)`$/.exec(cells[0]!)?.[1];
    if (!name) throw new Error(`PROTOCOL.md: op table row without an op: ${line}`);
    expect(ops.has(name), `${name} twice in PROTOCOL.md`).toBe(false);
    ops.set(name, { args: cells[1] ?? '', response: cells[2] ?? '' });
  }
  return ops;
}

const tsOps = Object.values(Op).map((o) => o.name);

/** Every key of a shape, nested ones included. */
function keys(shape: Shape): string[] {
  return Object.entries(shape).flatMap(([k, f]) => [k, ...(f.shape ? keys(f.shape) : [])]);
}

describe('the protocol ops', () => {
  it('are the same set in TypeScript, in the C op tables and in PROTOCOL.md', () => {
    const c = [...cOps().keys()].sort();
    const doc = [...docOps().keys()].sort();
    const ts = [...tsOps].sort();
    expect(new Set(ts).size, 'an op twice in the TS table').toBe(ts.length);
    expect(ts, 'TS (src/common/protocol/ops.ts) vs C (images/containerd-lite op tables)').toEqual(c);
    expect(doc, 'PROTOCOL.md vs C').toEqual(c);
  });

  it('have field names the C sources use and PROTOCOL.md documents for that op', () => {
    const doc = docOps();
    const allC = Object.values(sources).join('\n');
    for (const op of Object.values(Op)) {
      const d = doc.get(op.name)!;
      for (const [side, shape, cell] of [['request', op.request, d.args], ['reply', op.reply, d.response]] as const) {
        for (const k of keys(shape)) {
          expect(allC.includes(`"${k}"`), `${op.name} ${side} field ${k}: no "${k}" in the C sources`).toBe(true);
          expect(cell.includes(`\`${k}\``), `${op.name} ${side} field ${k}: not in PROTOCOL.md's ${side === 'request' ? 'arguments' : 'response'}`).toBe(true);
        }
      }
    }
  });
});

describe('request()', () => {
  it('writes op first, then the fields in table order: numbers in decimal, booleans 1/0, repeated ones per element, nested ones encoded', () => {
    const record = new TextEncoder().encode('{"name":"x"}');
    const built = request(Op.ContainerCreate, {
      record,
      id: 'abc',
      name: 'x',
      image: 'busybox',
      snapshot: 'sha256:00',
      arg: ['sh', '-c', 'true'],
      env: ['A=1'],
      cwd: '/',
      user: '',
      hostname: 'h',
      tty: true,
      stdin: false,
      memory: 0,
      pids: 256,
      mount: [{ type: 'volume', source: 'v', target: '/data', ro: true }],
      auto_remove: false,
    });
    expect(built.op).toBe(Op.ContainerCreate);
    // what containers.ts wrote by hand before the table
    const byHand = [
      ['op', 'container.create'], ['id', 'abc'], ['name', 'x'], ['image', 'busybox'], ['snapshot', 'sha256:00'],
      ['arg', 'sh'], ['arg', '-c'], ['arg', 'true'], ['env', 'A=1'], ['cwd', '/'], ['user', ''], ['hostname', 'h'],
      ['tty', '1'], ['stdin', '0'], ['memory', '0'], ['pids', '256'],
      ['mount', encodeAttrs([['type', 'volume'], ['source', 'v'], ['target', '/data'], ['ro', '1']])],
      ['auto_remove', '0'], ['record', record],
    ] as const;
    expect(encodeAttrs(built.fields)).toEqual(encodeAttrs(byHand));
  });

  it('leaves out fields given as undefined', () => {
    expect(request(Op.TaskResize, { id: 'c', rows: 24, cols: 80, exec: undefined }).fields).toEqual([['op', 'task.resize'], ['id', 'c'], ['rows', '24'], ['cols', '80']]);
    expect(request(Op.TaskResize, { id: 'c', rows: 24, cols: 80, exec: 7 }).fields).toContainEqual(['exec', '7']);
    expect(request(Op.Info, {}).fields).toEqual([['op', 'info']]);
  });
});

describe('reply()', () => {
  it('reads fields and nested records by the reply shape', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const r = reply(Op.ContainerList, [
      ['container', encodeAttrs([['id', 'a'], ['exit_code', '3']])],
      ['container', encodeAttrs([['id', 'b'], ['oom', '1']])],
    ]);
    expect(r.nested('container').map((c) => [c.get('id'), c.int('exit_code'), c.get('oom')])).toEqual([['a', 3, undefined], ['b', undefined, '1']]);
    expect(reply(Op.Info, [['ncpu', enc('1')]]).toRecord()).toEqual({ ncpu: '1' });
  });
});
