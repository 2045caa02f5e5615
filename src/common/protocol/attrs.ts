// Attrs: the key/value payload of HELLO, REQUEST, RESPONSE and ERROR frames
// (klen u8, key, vlen u32 LE, value; keys may repeat). See PROTOCOL.md.

export type AttrValue = string | Uint8Array;
/** Ordered fields; repeated keys express lists (e.g. one `arg` per argv element). */
export type AttrList = ReadonlyArray<readonly [key: string, value: AttrValue]>;

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeAttrs(fields: AttrList): Uint8Array {
  const parts = fields.map(([k, v]) => {
    const key = enc.encode(k);
    if (key.length < 1 || key.length > 255) throw new RangeError(`attr key "${k}" must be 1..255 bytes`);
    return { key, value: typeof v === 'string' ? enc.encode(v) : v };
  });
  const size = parts.reduce((n, p) => n + 5 + p.key.length + p.value.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let off = 0;
  for (const { key, value } of parts) {
    out[off++] = key.length;
    out.set(key, off);
    off += key.length;
    view.setUint32(off, value.length, true);
    off += 4;
    out.set(value, off);
    off += value.length;
  }
  return out;
}

export class AttrsError extends Error {}

/** Parsed attrs with typed accessors. Values are kept as bytes; strings decode on demand. */
export class Attrs {
  private constructor(readonly fields: ReadonlyArray<readonly [string, Uint8Array]>) {}

  /** Wraps fields that were already parsed (e.g. after crossing postMessage). */
  static of(fields: ReadonlyArray<readonly [string, Uint8Array]>): Attrs {
    return new Attrs(fields);
  }

  static decode(payload: Uint8Array): Attrs {
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const fields: Array<readonly [string, Uint8Array]> = [];
    let off = 0;
    while (off < payload.length) {
      const klen = payload[off]!;
      if (klen === 0 || off + 1 + klen + 4 > payload.length) throw new AttrsError(`attrs: field at ${off} runs past the end`);
      const key = dec.decode(payload.subarray(off + 1, off + 1 + klen));
      off += 1 + klen;
      const vlen = view.getUint32(off, true);
      off += 4;
      if (vlen > payload.length - off) throw new AttrsError(`attrs: value of "${key}" runs past the end`);
      fields.push([key, payload.subarray(off, off + vlen)]);
      off += vlen;
    }
    return new Attrs(fields);
  }

  bytes(key: string): Uint8Array | undefined {
    return this.fields.find(([k]) => k === key)?.[1];
  }

  get(key: string): string | undefined {
    const v = this.bytes(key);
    return v === undefined ? undefined : dec.decode(v);
  }

  all(key: string): string[] {
    return this.fields.filter(([k]) => k === key).map(([, v]) => dec.decode(v));
  }

  int(key: string): number | undefined {
    const s = this.get(key);
    if (s === undefined || !/^-?\d+$/.test(s)) return undefined;
    return Number(s);
  }

  toRecord(): Record<string, string> {
    const r: Record<string, string> = {};
    for (const [k, v] of this.fields) r[k] = dec.decode(v);
    return r;
  }
}
