// Frame codec of the host<->guest channel; the wire format is specified in
// images/containerd-lite/PROTOCOL.md and mirrored by the guest's frame.c.
import { crc32 } from './crc32.js';

export const MAGIC = new Uint8Array([0x44, 0x59, 0x4b, 0x31]); // "DYK1"
export const HEADER_SIZE = 24;
export const MAX_FRAME_PAYLOAD = 65536;
export const MAX_MESSAGE = 16 * 1024 * 1024;
export const FLAG_MORE = 1;

export const FrameType = {
  HELLO: 1,
  CREDIT: 2,
  REQUEST: 3,
  RESPONSE: 4,
  ERROR: 5,
  STREAM: 6,
  PING: 7,
  PONG: 8,
  STREAM_CREDIT: 9,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export interface Frame {
  type: number;
  flags: number;
  stream: number;
  id: number;
  payload: Uint8Array;
}

export function encodeFrame(f: Frame): Uint8Array {
  if (f.payload.length > MAX_FRAME_PAYLOAD) {
    throw new RangeError(`frame payload ${f.payload.length} > ${MAX_FRAME_PAYLOAD}`);
  }
  const out = new Uint8Array(HEADER_SIZE + f.payload.length);
  const v = new DataView(out.buffer);
  out.set(MAGIC, 0);
  v.setUint8(4, f.type);
  v.setUint8(5, f.flags);
  v.setUint16(6, f.stream, true);
  v.setUint32(8, f.id >>> 0, true);
  v.setUint32(12, f.payload.length, true);
  v.setUint32(16, crc32(f.payload), true);
  v.setUint32(20, crc32(out, 0, 20), true);
  out.set(f.payload, HEADER_SIZE);
  return out;
}

/** Splits one message into frames of at most MAX_FRAME_PAYLOAD, MORE set on all but the last. */
export function encodeMessage(type: number, id: number, payload: Uint8Array, stream = 0): Uint8Array[] {
  if (payload.length > MAX_MESSAGE) throw new RangeError(`message ${payload.length} > ${MAX_MESSAGE}`);
  const frames: Uint8Array[] = [];
  let off = 0;
  do {
    const end = Math.min(off + MAX_FRAME_PAYLOAD, payload.length);
    const more = end < payload.length;
    frames.push(encodeFrame({ type, flags: more ? FLAG_MORE : 0, stream, id, payload: payload.subarray(off, end) }));
    off = end;
  } while (off < payload.length);
  return frames;
}

export interface DecoderStats {
  /** bytes discarded while looking for a valid frame */
  skipped: number;
  badHeaders: number;
  badPayloads: number;
}

/**
 * Incremental decoder: feed arbitrary chunks, get whole, checked frames.
 * Resynchronises after garbage by rescanning for the magic one byte further.
 */
export class FrameDecoder {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;
  readonly stats: DecoderStats = { skipped: 0, badHeaders: 0, badPayloads: 0 };

  push(chunk: Uint8Array): Frame[] {
    this.append(chunk);
    const frames: Frame[] = [];
    for (;;) {
      const f = this.next();
      if (f === undefined) break;
      frames.push(f);
    }
    return frames;
  }

  /** bytes buffered but not yet part of a delivered frame */
  get pending(): number {
    return this.end - this.start;
  }

  private append(chunk: Uint8Array): void {
    const need = this.end - this.start + chunk.length;
    if (this.end + chunk.length > this.buf.length) {
      if (need <= this.buf.length && this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const grown = new Uint8Array(Math.max(need, this.buf.length * 2, 4096));
        grown.set(this.buf.subarray(this.start, this.end));
        this.buf = grown;
      }
      this.end -= this.start;
      this.start = 0;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  private skip(n: number): void {
    this.start += n;
    this.stats.skipped += n;
  }

  private next(): Frame | undefined {
    const b = this.buf;
    for (;;) {
      // find the magic; keep a possible partial magic at the tail
      let i = this.start;
      while (i + 4 <= this.end && !(b[i] === 0x44 && b[i + 1] === 0x59 && b[i + 2] === 0x4b && b[i + 3] === 0x31)) i++;
      if (i + 4 > this.end) {
        // no complete magic: keep only the bytes that could still start one
        let keep = 0;
        for (let k = Math.min(3, this.end - this.start); k > 0; k--) {
          if (prefixOfMagic(b, this.end - k, k)) { keep = k; break; }
        }
        this.skip(this.end - keep - this.start);
        return undefined;
      }
      this.skip(i - this.start);
      if (this.end - this.start < HEADER_SIZE) return undefined;
      const v = new DataView(b.buffer, b.byteOffset + this.start, HEADER_SIZE);
      const len = v.getUint32(12, true);
      if (v.getUint32(20, true) !== crc32(b, this.start, this.start + 20) || len > MAX_FRAME_PAYLOAD) {
        this.stats.badHeaders++;
        this.skip(1);
        continue;
      }
      if (this.end - this.start < HEADER_SIZE + len) return undefined;
      const p0 = this.start + HEADER_SIZE;
      if (v.getUint32(16, true) !== crc32(b, p0, p0 + len)) {
        this.stats.badPayloads++;
        this.skip(1);
        continue;
      }
      const frame: Frame = {
        type: v.getUint8(4),
        flags: v.getUint8(5),
        stream: v.getUint16(6, true),
        id: v.getUint32(8, true),
        payload: b.slice(p0, p0 + len),
      };
      this.start = p0 + len;
      return frame;
    }
  }
}

function prefixOfMagic(b: Uint8Array, at: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (b[at + k] !== MAGIC[k]) return false;
  return true;
}

export interface Message {
  type: number;
  id: number;
  stream: number;
  payload: Uint8Array;
}

/**
 * Joins MORE-flagged frames of one (id, type, stream) into messages; frames of
 * different ids may interleave. An over-long message is dropped and reported.
 */
export class MessageAssembler {
  private partial = new Map<string, { parts: Uint8Array[]; size: number; dropped: boolean }>();

  constructor(private readonly onOversize: (id: number, type: number) => void = () => {}) {}

  push(f: Frame): Message | undefined {
    const key = `${f.id}/${f.type}/${f.stream}`;
    let p = this.partial.get(key);
    if (p === undefined && !(f.flags & FLAG_MORE)) {
      return { type: f.type, id: f.id, stream: f.stream, payload: f.payload };
    }
    if (p === undefined) {
      p = { parts: [], size: 0, dropped: false };
      this.partial.set(key, p);
    }
    if (!p.dropped) {
      p.size += f.payload.length;
      if (p.size > MAX_MESSAGE) {
        p.dropped = true;
        p.parts = [];
        this.onOversize(f.id, f.type);
      } else {
        p.parts.push(f.payload);
      }
    }
    if (f.flags & FLAG_MORE) return undefined;
    this.partial.delete(key);
    if (p.dropped) return undefined;
    return { type: f.type, id: f.id, stream: f.stream, payload: concat(p.parts, p.size) };
  }

  reset(): void {
    this.partial.clear();
  }
}

export function concat(parts: Uint8Array[], size = parts.reduce((n, p) => n + p.length, 0)): Uint8Array {
  const out = new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
