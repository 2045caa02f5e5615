// The protocol's ops (PROTOCOL.md, "Ops" and "Runtime ops"), defined once on
// the host's side: each op's name, its request fields and its reply fields.
// Requests are built with `request(Op.X, {...})` and replies read with
// `reply(Op.X, attrs)`, so an op name or an attribute key appears here and
// nowhere else in TypeScript. test/unit/ops.test.ts checks that this table,
// the guest's C op tables and PROTOCOL.md list the same ops.
import { Attrs, encodeAttrs, type AttrList, type AttrValue } from './attrs.js';

/** How a field's value is written: text, a decimal number, 0/1, raw bytes, or a nested attrs record. */
export type FieldType = 'string' | 'int' | 'bool' | 'bytes' | 'nested';

export interface FieldSpec {
  readonly type: FieldType;
  /** one field per element, in order (e.g. one `arg` per argv element) */
  readonly repeated?: boolean;
  /** may be left out (the guest has a default) */
  readonly optional?: boolean;
  /** the fields of a `nested` value */
  readonly shape?: Shape;
}

/** The fields of one attrs payload, in the order a request writes them. */
export type Shape = { readonly [key: string]: FieldSpec };

export interface OpSpec {
  /** the request's `op` */
  readonly name: string;
  readonly request: Shape;
  readonly reply: Shape;
  /** keeps its request id open: STREAM frames until the RESPONSE (PROTOCOL.md, "Long-running requests") */
  readonly streams?: boolean;
}

const str = { type: 'string' } as const;
const int = { type: 'int' } as const;
const bool = { type: 'bool' } as const;
const bytes = { type: 'bytes' } as const;
const opt = <F extends FieldSpec>(f: F) => ({ ...f, optional: true }) as const;
const many = <F extends FieldSpec>(f: F) => ({ ...f, repeated: true }) as const;
const nested = <S extends Shape>(shape: S) => ({ type: 'nested', shape }) as const;

/** Every op the guest answers. The key order of `request` is the order its fields are sent in. */
export const Op = {
  Echo: { name: 'echo', request: { data: bytes }, reply: { data: bytes } },
  Info: {
    name: 'info',
    request: {},
    reply: { kernel: str, kernel_version: str, machine: str, os: str, mem_kb: int, mem_available_kb: int, ncpu: int, uptime_ms: int },
  },
  SysSync: { name: 'sys.sync', request: { time_ms: opt(int), seed: opt(bytes) }, reply: { time_ms: int, entropy_bits: int, reseeded: bool } },
  SysSnapshotPrepare: { name: 'sys.snapshot_prepare', request: { zero: opt(bool) }, reply: { zeroed_kb: int, free_kb: int } },
  SysExec: { name: 'sys.exec', request: { arg: many(str), timeout_ms: opt(int) }, reply: { exit_code: int } },

  ContainerCreate: {
    name: 'container.create',
    request: {
      id: str,
      name: opt(str),
      image: opt(str),
      snapshot: str,
      arg: many(str),
      env: opt(many(str)),
      cwd: opt(str),
      user: opt(str),
      hostname: opt(str),
      tty: opt(bool),
      stdin: opt(bool),
      memory: opt(int),
      pids: opt(int),
      disk: opt(int),
      mount: opt(
        many(
          nested({
            type: str,
            source: opt(str),
            target: str,
            ro: opt(bool),
            // tmpfs only: flags and data (Docker's defaults filled in by the host)
            noexec: opt(bool),
            nosuid: opt(bool),
            nodev: opt(bool),
            size: opt(str),
            mode: opt(str),
            uid: opt(str),
            gid: opt(str),
            nr_inodes: opt(str),
          }),
        ),
      ),
      auto_remove: opt(bool),
      restart: opt(str),
      restart_max: opt(int),
      // networking (network.h): `none`, `host`, `container:REF`, else the attachments
      network_mode: opt(str),
      network: opt(many(nested({ name: str, alias: opt(many(str)) }))),
      // --add-host NAME:IP (IP `host-gateway`: the first network's gateway)
      extra_host: opt(many(str)),
      record: opt(bytes),
    },
    reply: {},
  },
  ContainerList: {
    name: 'container.list',
    request: { memory: opt(bool), stats: opt(bool) },
    reply: {
      container: many(
        nested({
          id: str,
          name: str,
          image: str,
          status: str,
          exit_code: int,
          oom: bool,
          created: int,
          started: int,
          finished: int,
          pid: int,
          memory: opt(int),
          memory_max: opt(int),
          cpu_usec: opt(int),
          pids: opt(int),
          paused: opt(bool),
          restarting: opt(bool),
          restart_count: opt(int),
          record: opt(bytes),
        }),
      ),
    },
  },
  ContainerLogs: { name: 'container.logs', request: { id: str, follow: opt(bool), tail: opt(int) }, reply: {}, streams: true },
  ContainerDiff: { name: 'container.diff', request: { id: str }, reply: { size: int }, streams: true },
  ContainerExtract: { name: 'container.extract', request: { id: str, path: str, archive: str }, reply: {} },
  ContainerRename: { name: 'container.rename', request: { id: str, name: str }, reply: {} },
  ContainerTop: {
    name: 'container.top',
    request: { id: str },
    reply: { proc: many(nested({ pid: int, ppid: int, uid: int, tty: int, cpu_ms: int, start_ms: int, cmd: str })) },
  },
  ContainerRemove: { name: 'container.remove', request: { id: str, force: opt(bool) }, reply: {} },
  Cancel: { name: 'cancel', request: { req: int }, reply: {} },

  TaskRun: { name: 'task.run', request: { id: str }, reply: { exit_code: int, oom: bool }, streams: true },
  TaskStart: { name: 'task.start', request: { id: str }, reply: { pid: int } },
  TaskResize: { name: 'task.resize', request: { id: str, rows: opt(int), cols: opt(int), exec: opt(int) }, reply: {} },
  TaskKill: { name: 'task.kill', request: { id: str, signal: opt(int) }, reply: { exit_code: opt(int) } },
  TaskStop: { name: 'task.stop', request: { id: str, timeout: opt(int), signal: opt(int) }, reply: { exit_code: int } },
  TaskPause: { name: 'task.pause', request: { id: str }, reply: {} },
  TaskResume: { name: 'task.resume', request: { id: str }, reply: {} },
  TaskWait: { name: 'task.wait', request: { id: str }, reply: { exit_code: int } },
  ExecRun: {
    name: 'exec.run',
    request: { id: str, arg: many(str), env: opt(many(str)), cwd: opt(str), user: opt(str), tty: opt(bool), stdin: opt(bool) },
    reply: { exit_code: int },
    streams: true,
  },

  NetworkCreate: {
    name: 'network.create',
    request: { name: str, id: str, bridge: str, subnet: str, gateway: str, record: opt(bytes) },
    reply: {},
  },
  NetworkList: {
    name: 'network.list',
    request: {},
    reply: {
      network: many(
        nested({
          // the network.create attrs as kept (the default network's also `builtin` 1)
          spec: nested({ name: str, id: str, bridge: str, subnet: str, gateway: str, builtin: opt(bool), record: opt(bytes) }),
          // every container attached; `ip` and `mac` empty unless its task runs
          endpoint: opt(many(nested({ id: str, name: str, ip: str, mac: str, alias: opt(many(str)) }))),
        }),
      ),
    },
  },
  NetworkRemove: { name: 'network.remove', request: { name: str }, reply: {} },
  NetworkConnect: { name: 'network.connect', request: { id: str, network: str, alias: opt(many(str)) }, reply: {} },
  NetworkDisconnect: { name: 'network.disconnect', request: { id: str, network: str }, reply: {} },
  PortConnect: { name: 'port.connect', request: { id: str, port: int }, reply: {}, streams: true },

  VolumeCreate: { name: 'volume.create', request: { name: str }, reply: {} },
  VolumeList: { name: 'volume.list', request: {}, reply: { volume: many(nested({ name: str, size: int, created: int })) } },
  VolumeRemove: { name: 'volume.remove', request: { name: str }, reply: {} },
} as const satisfies Record<string, OpSpec>;

export type Ops = typeof Op;
export type OpName = Ops[keyof Ops]['name'];

/** The attrs of the frames that are not an op's: HELLO and ERROR (PROTOCOL.md, "Frame types"). */
export const Frame = {
  Hello: { version: str, kernel: str, machine: str, mem_kb: int },
  Error: { message: str, errno: opt(int) },
} as const satisfies Record<string, Shape>;

// ---- requests ----

type Value<F extends FieldSpec> = F extends { readonly type: 'nested'; readonly shape: infer S extends Shape }
  ? Args<S>
  : F['type'] extends 'int'
    ? number
    : F['type'] extends 'bool'
      ? boolean
      : F['type'] extends 'bytes'
        ? AttrValue
        : string;
type FieldArg<F extends FieldSpec> = F extends { readonly repeated: true } ? ReadonlyArray<Value<F>> : Value<F>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends { readonly optional: true } ? K : never }[keyof S];

/** What a request of shape S is built from: numbers, booleans, strings or bytes, arrays for repeated fields, objects for nested ones. */
export type Args<S extends Shape> = { -readonly [K in Exclude<keyof S, OptionalKeys<S>>]: FieldArg<S[K]> } & {
  -readonly [K in OptionalKeys<S>]?: FieldArg<S[K]> | undefined;
};

/** A built request: the op it is (a typed property to branch on) and its fields, `op` first. */
export interface OpRequest<S extends OpSpec = OpSpec> {
  readonly op: S;
  readonly fields: AttrList;
}

/**
 * The REQUEST attrs of `op` with `args`: `op` first, then each field in the
 * table's order (repeated fields one per element; numbers in decimal,
 * booleans as 1/0, nested records encoded). Fields left undefined are left out.
 */
export function request<S extends OpSpec>(op: S, args: Args<S['request']>): OpRequest<S> {
  return { op, fields: [['op', op.name], ...encodeFields(op.request, args as Record<string, unknown>)] };
}

function encodeFields(shape: Shape, args: Record<string, unknown>): AttrList {
  const out: Array<readonly [string, AttrValue]> = [];
  for (const [key, spec] of Object.entries(shape)) {
    const v = args[key];
    if (v === undefined) continue;
    for (const one of spec.repeated ? (v as readonly unknown[]) : [v]) out.push([key, encodeValue(spec, one)]);
  }
  return out;
}

function encodeValue(spec: FieldSpec, v: unknown): AttrValue {
  switch (spec.type) {
    case 'int':
      return String(v as number);
    case 'bool':
      return v ? '1' : '0';
    case 'nested':
      return encodeAttrs(encodeFields(spec.shape ?? {}, v as Record<string, unknown>));
    default:
      return v as AttrValue;
  }
}

// ---- replies ----

/** The keys of shape S (distributes over a union of shapes: any of them). */
export type Key<S extends Shape> = S extends Shape ? keyof S & string : never;
type NestedKey<S extends Shape> = S extends Shape ? { [K in keyof S & string]: S[K] extends { readonly type: 'nested' } ? K : never }[keyof S & string] : never;
type NestedShape<S extends Shape, K extends string> = S extends Shape ? (S[K] extends { readonly shape: infer N extends Shape } ? N : never) : never;

/** Attrs read through a shape: only its keys compile. Same reads as Attrs (values decoded on demand). */
export class Fields<S extends Shape> {
  constructor(readonly attrs: Attrs) {}

  get(key: Key<S>): string | undefined {
    return this.attrs.get(key);
  }

  bytes(key: Key<S>): Uint8Array | undefined {
    return this.attrs.bytes(key);
  }

  int(key: Key<S>): number | undefined {
    return this.attrs.int(key);
  }

  all(key: Key<S>): string[] {
    return this.attrs.all(key);
  }

  /** The records of a nested (usually repeated) field, in order. */
  nested<K extends NestedKey<S>>(key: K): Array<Fields<NestedShape<S, K>>> {
    return this.attrs.fields.filter(([k]) => k === key).map(([, v]) => new Fields(Attrs.decode(v)));
  }

  /** Every field as text (the last of a repeated key wins). */
  toRecord(): Partial<Record<Key<S>, string>> {
    return this.attrs.toRecord() as Partial<Record<Key<S>, string>>;
  }
}

/** The RESPONSE of `op`, read through its reply shape. */
export function reply<S extends OpSpec>(op: S, fields: Attrs | ReadonlyArray<readonly [string, Uint8Array]>): Fields<S['reply']> {
  void op; // the op only selects the type
  return new Fields(fields instanceof Attrs ? fields : Attrs.of(fields));
}

/** Attrs of a frame that is not a reply (HELLO, ERROR), read through its shape. */
export function frameFields<S extends Shape>(shape: S, attrs: Attrs): Fields<S> {
  void shape;
  return new Fields(attrs);
}
